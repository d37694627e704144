// The integrator's page: asks its own server for a component token, frames the component with
// it (in the fragment, which no server sees) and listens to what the component tells.
const openpan = document.body.dataset.openpan;
const clientId = document.body.dataset.clientId;
const area = document.getElementById('frame-area');
const holder = document.getElementById('frame-holder');
const attachments = document.getElementById('attachments');
const events = document.getElementById('events');

const TITLES = { picker: '网盘文件选择', uploader: '上传到网盘', previewer: '附件预览' };

async function open(component, settings) {
  const id = component === 'previewer' ? settings.file_id : settings.folder_id;
  const response = await fetch(`/component-token?component=${component}&id=${id}`, { method: 'POST' });
  const { token } = await response.json();
  const fragment = new URLSearchParams({ token, ...settings, lang: document.documentElement.lang });
  const frame = document.createElement('iframe');
  frame.title = TITLES[component];
  frame.src = `${openpan}/embed/${component}?client_id=${encodeURIComponent(clientId)}#${fragment}`;
  holder.replaceChildren(frame);
  area.hidden = false;
}

function close() {
  holder.replaceChildren();
  area.hidden = true;
}

function attach(item) {
  if (attachments.querySelector(`li[data-id="${item.id}"]`)) return;
  const entry = document.createElement('li');
  entry.dataset.id = String(item.id);
  entry.dataset.name = item.name;
  entry.append(`${item.name}（#${item.id}） `);
  const preview = document.createElement('button');
  preview.type = 'button';
  preview.className = 'plain';
  preview.textContent = `预览 ${item.name}`;
  preview.addEventListener('click', () => open('previewer', { file_id: item.id }));
  entry.append(preview);
  attachments.append(entry);
}

addEventListener('message', (event) => {
  // Only openpan's frames are listened to.
  if (event.origin !== new URL(openpan).origin || event.data?.source !== 'openpan') return;
  const { component, type } = event.data;
  const line = document.createElement('li');
  line.textContent = `${component} ${type}`;
  line.dataset.type = type;
  events.append(line);
  if (type === 'picked') {
    event.data.items.forEach(attach);
    close();
  } else if (type === 'uploaded') {
    attach(event.data.item);
  } else if (type === 'closed') {
    close();
  }
});

document.getElementById('pick').addEventListener('click', () => open('picker', { folder_id: 0 }));
document.getElementById('upload').addEventListener('click', () => open('uploader', { folder_id: 0 }));
