// The embeddable components (`/embed/picker`, `/embed/uploader`, `/embed/previewer`), framed
// by an integrator's page. The page hands over, in the fragment (never sent to a server), a
// token its server got by token exchange (confined to one folder or file) and what to show:
//   #token=…&folder_id=…          picker and uploader (folder 0: the user's own files)
//   #token=…&file_id=…            previewer
//   &multiple=true  &lang=en|zh-CN
// The components tell the framing page what happened with postMessage:
//   {source: 'openpan', component, type: 'ready' | 'picked' | 'uploaded' | 'closed' | 'error', …}
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t, lang, setLang } from '../lib/i18n.js';
import { useSignal } from '../lib/signal.js';
import { withToken } from '../lib/api.js';
import { Icon, ItemTable, UploadButton, pathBelow, useUploads } from '../components.jsx';
import { Viewer } from '../viewer/viewer.jsx';
import '../style.css';

const component = location.pathname.split('/')[2];
const settings = new URLSearchParams(location.hash.slice(1));
// The token leaves the address bar (and the history) at once.
history.replaceState(null, '', location.pathname + location.search);
if (settings.get('lang')) setLang(settings.get('lang'));
const call = withToken(settings.get('token') ?? '');

/// Only the page that frames this one hears from it: the framing origin is one the app
/// registered, or the browser would not have shown this page in its frame.
const host = (() => {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0];
  try {
    return new URL(document.referrer).origin;
  } catch {
    return null;
  }
})();

function tell(type, details = {}) {
  if (host && parent !== window) parent.postMessage({ source: 'openpan', component, type, ...details }, host);
}

const brief = (item) => ({ id: item.id, type: item.type, name: item.name, size: item.size ?? 0 });

function Failure({ failure }) {
  useEffect(() => tell('error', { code: failure.code, message: failure.message }), [failure]);
  return (
    <p class="problem" role="alert">
      {failure.status === 401 ? t('embedExpired') : t('error', { message: failure.message })}
    </p>
  );
}

function Picker({ root }) {
  const multiple = settings.get('multiple') === 'true';
  const [folderId, setFolderId] = useState(root);
  const [listing, setListing] = useState(null);
  const [path, setPath] = useState([]);
  const [chosen, setChosen] = useState(new Map());
  const [failure, setFailure] = useState(null);
  useEffect(() => {
    setListing(null);
    Promise.all([call(`/folder/${folderId}/children?page_id=0&page_capacity=500`), call(`/folder/${folderId}/info`)]).then(
      ([children, info]) => {
        // The component sees from its folder down: the path above it is cut off.
        const top = folderId === root ? [] : [{ id: root, name: '' }];
        setPath([...top, ...pathBelow(info, root), { id: info.id, name: info.name }]);
        setListing(children);
        tell('ready');
      },
      setFailure,
    );
  }, [folderId]);
  const toggle = (item) =>
    setChosen((before) => {
      const next = new Map(multiple ? before : []);
      if (before.has(item.id)) next.delete(item.id);
      else next.set(item.id, item);
      return next;
    });
  if (failure) return <Failure failure={failure} />;
  return (
    <section class="files embed">
      <h1 class="page-title">{t('pickTitle')}</h1>
      <nav aria-label={t('breadcrumb')} class="crumbs">
        <ol>
          {path.map((folder, index) => (
            <li key={folder.id}>
              {index === path.length - 1 ? (
                <span aria-current="location">{folder.name || t('myFiles')}</span>
              ) : (
                <button type="button" class="quiet" onClick={() => setFolderId(folder.id)}>
                  {folder.name || t('myFiles')}
                </button>
              )}
            </li>
          ))}
        </ol>
      </nav>
      {listing === null ? (
        <p class="notice">{t('loading')}</p>
      ) : (
        <ItemTable
          listing={listing}
          folderHref={() => '#'}
          name={(item) =>
            item.type === 'folder' ? (
              <button type="button" class="quiet item-name" onClick={() => setFolderId(item.id)}>
                <Icon folder />
                {item.name}
              </button>
            ) : null
          }
          actions={(item) =>
            item.type === 'file' && (
              <label class="choice">
                <input type="checkbox" checked={chosen.has(item.id)} onChange={() => toggle(item)} />
                <span class="visually-hidden">
                  {t('select')} {item.name}
                </span>
                <span aria-hidden="true">{t('select')}</span>
              </label>
            )
          }
        />
      )}
      <div class="toolbar embed-actions">
        <span class="hint" aria-live="polite">
          {t('selected', { count: chosen.size })}
        </span>
        <button type="button" class="quiet" onClick={() => tell('closed')}>
          {t('cancel')}
        </button>
        <button type="button" disabled={chosen.size === 0} onClick={() => tell('picked', { items: [...chosen.values()].map(brief) })}>
          {t('confirm')}
        </button>
      </div>
    </section>
  );
}

function Uploader({ root }) {
  const [failure, setFailure] = useState(null);
  useEffect(() => tell('ready'), []);
  const { send, dropTarget, progress } = useUploads({
    folderId: root,
    call,
    onUploaded: (file) => tell('uploaded', { item: brief(file) }),
    onFailed: (_, failed) => setFailure(failed),
  });
  return (
    <section class="files embed" {...dropTarget}>
      <h1 class="page-title">{t('uploadTitle')}</h1>
      <div class="dropzone">
        <UploadButton onChoose={send} />
        <span class="hint">{t('dropHere')}</span>
      </div>
      {failure && <Failure failure={failure} />}
      {progress}
      <div class="toolbar embed-actions">
        <button type="button" class="quiet" onClick={() => tell('closed')}>
          {t('close')}
        </button>
      </div>
    </section>
  );
}

function Previewer({ fileId }) {
  const [token, setToken] = useState(null);
  const [failure, setFailure] = useState(null);
  useEffect(() => {
    call('/file/preview_token', { method: 'POST', body: { file_id: fileId } }).then((body) => {
      setToken(body.preview_token);
      tell('ready');
    }, setFailure);
  }, [fileId]);
  if (failure) return <Failure failure={failure} />;
  if (!token) return <p class="notice">{t('loading')}</p>;
  return <Viewer token={token} />;
}

function Component() {
  useSignal(lang);
  const folder = Number(settings.get('folder_id') ?? 0);
  if (!settings.get('token')) return <Failure failure={{ status: 401, code: 'unauthorized', message: '' }} />;
  if (component === 'picker') return <Picker root={folder} />;
  if (component === 'uploader') return <Uploader root={folder} />;
  return <Previewer fileId={Number(settings.get('file_id'))} />;
}

render(<Component />, document.getElementById('app'));
