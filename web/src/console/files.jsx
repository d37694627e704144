// The file browser: a folder's contents with its path, and what a person does to them.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../lib/i18n.js';
import { api, upload } from '../lib/api.js';
import { bytes, date } from '../lib/format.js';

function folderFromHash() {
  const match = /^#\/folder\/(\d+)/.exec(location.hash);
  return match ? Number(match[1]) : 0;
}

export function Files() {
  const [folderId, setFolderId] = useState(folderFromHash());
  const [listing, setListing] = useState(null);
  const [path, setPath] = useState([]);
  const [problem, setProblem] = useState(null);
  const [transfers, setTransfers] = useState([]);
  const [previewing, setPreviewing] = useState(null);

  useEffect(() => {
    const follow = () => setFolderId(folderFromHash());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);

  const reload = useCallback(async () => {
    try {
      const [children, info] = await Promise.all([
        api(`/folder/${folderId}/children?page_id=0&page_capacity=500`),
        api(`/folder/${folderId}/info`),
      ]);
      setListing(children);
      setPath([...(info.path ?? []), { id: info.id, name: info.name }]);
      setProblem(null);
    } catch (failure) {
      setProblem(failure.message);
    }
  }, [folderId]);
  useEffect(() => {
    setListing(null);
    reload();
  }, [reload]);

  const act = async (work) => {
    try {
      await work();
      await reload();
    } catch (failure) {
      setProblem(failure.message);
    }
  };

  const sendFiles = async (files) => {
    for (const file of files) {
      const key = `${Date.now()}-${file.name}`;
      const progress = (share) =>
        setTransfers((all) => all.map((item) => (item.key === key ? { ...item, share } : item)));
      setTransfers((all) => [...all, { key, name: file.name, share: 0, done: false }]);
      try {
        await upload(file, folderId, progress);
        setTransfers((all) => all.map((item) => (item.key === key ? { ...item, share: 1, done: true } : item)));
      } catch (failure) {
        setTransfers((all) => all.filter((item) => item.key !== key));
        setProblem(`${file.name}: ${failure.message}`);
      }
    }
    await reload();
  };

  return (
    <section
      class="files"
      onDragOver={(event) => event.preventDefault()}
      onDrop={(event) => {
        event.preventDefault();
        if (event.dataTransfer?.files?.length) sendFiles([...event.dataTransfer.files]);
      }}
    >
      <nav aria-label={t('breadcrumb')} class="crumbs">
        <ol>
          {path.map((folder, index) => (
            <li key={folder.id}>
              {index === path.length - 1 ? (
                <span aria-current="location">{folder.id === 0 ? t('myFiles') : folder.name}</span>
              ) : (
                <a href={`#/folder/${folder.id}`}>{folder.id === 0 ? t('myFiles') : folder.name}</a>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <div class="toolbar">
        <NewFolder onCreate={(name) => act(() => api('/folder/create', { method: 'POST', body: { name, parent_id: folderId } }))} />
        <label class="button">
          {t('upload')}
          <input
            type="file"
            multiple
            class="visually-hidden"
            onChange={(event) => {
              const chosen = [...event.currentTarget.files];
              event.currentTarget.value = '';
              sendFiles(chosen);
            }}
          />
        </label>
        <span class="hint">{t('dropHere')}</span>
      </div>
      {problem && (
        <p class="problem" role="alert">
          {t('error', { message: problem })}
        </p>
      )}
      {transfers.length > 0 && (
        <ul class="transfers" aria-label={t('upload')}>
          {transfers.map((item) => (
            <li key={item.key}>
              <span>{item.done ? t('uploaded', { name: item.name }) : t('uploading', { name: item.name })}</span>
              <progress max="100" value={Math.round(item.share * 100)} aria-label={item.name} />
            </li>
          ))}
        </ul>
      )}
      {listing === null ? (
        <p class="notice">{t('loading')}</p>
      ) : (
        <Listing
          listing={listing}
          onRename={(item, name) =>
            act(() => api(`/${item.type}/${item.id}/update`, { method: 'POST', body: { name } }))
          }
          onTrash={(item) => {
            if (confirm(t('confirmTrash', { name: item.name }))) {
              act(() => api(`/${item.type}/${item.id}/delete`, { method: 'POST', body: {} }));
            }
          }}
          onDownload={(item) =>
            act(async () => {
              const { download_url: url } = await api(`/file/${item.id}/download`);
              location.assign(url);
            })
          }
          onPreview={(item) =>
            act(async () => {
              const { preview_token: token } = await api('/file/preview_token', {
                method: 'POST',
                body: { file_id: item.id },
              });
              setPreviewing({ name: item.name, token });
            })
          }
        />
      )}
      {previewing && <PreviewPanel previewing={previewing} onClose={() => setPreviewing(null)} />}
    </section>
  );
}

function NewFolder({ onCreate }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {t('newFolder')}
      </button>
    );
  }
  return (
    <form
      class="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        const name = String(new FormData(event.currentTarget).get('name')).trim();
        if (name) onCreate(name);
        setOpen(false);
      }}
    >
      <label>
        <span class="visually-hidden">{t('folderName')}</span>
        <input name="name" placeholder={t('folderName')} required autoFocus />
      </label>
      <button type="submit">{t('create')}</button>
      <button type="button" class="quiet" onClick={() => setOpen(false)}>
        {t('cancel')}
      </button>
    </form>
  );
}

function Listing({ listing, onRename, onTrash, onDownload, onPreview }) {
  const items = [...listing.folders, ...listing.files];
  if (items.length === 0) return <p class="notice">{t('empty')}</p>;
  return (
    <table class="listing">
      <thead>
        <tr>
          <th scope="col">{t('name')}</th>
          <th scope="col" class="wide">
            {t('size')}
          </th>
          <th scope="col" class="wide">
            {t('modified')}
          </th>
          <th scope="col">{t('actions')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <Row key={`${item.type}-${item.id}`} item={item} {...{ onRename, onTrash, onDownload, onPreview }} />
        ))}
      </tbody>
    </table>
  );
}

function Row({ item, onRename, onTrash, onDownload, onPreview }) {
  const [renaming, setRenaming] = useState(false);
  const folder = item.type === 'folder';
  return (
    <tr data-name={item.name}>
      <td>
        {renaming ? (
          <form
            class="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              const name = String(new FormData(event.currentTarget).get('name')).trim();
              setRenaming(false);
              if (name && name !== item.name) onRename(item, name);
            }}
          >
            <label>
              <span class="visually-hidden">{t('newName')}</span>
              <input name="name" defaultValue={item.name} required autoFocus />
            </label>
            <button type="submit">{t('save')}</button>
          </form>
        ) : folder ? (
          <a href={`#/folder/${item.id}`} class="item-name">
            <Icon folder />
            {item.name}
          </a>
        ) : (
          <span class="item-name">
            <Icon />
            {item.name}
          </span>
        )}
      </td>
      <td class="wide">{folder ? '' : bytes(item.size)}</td>
      <td class="wide">{date(item.modified_at)}</td>
      <td class="row-actions">
        {!folder && (
          <>
            <button type="button" class="quiet" onClick={() => onPreview(item)} aria-label={`${t('preview')} ${item.name}`}>
              {t('preview')}
            </button>
            <button type="button" class="quiet" onClick={() => onDownload(item)} aria-label={`${t('download')} ${item.name}`}>
              {t('download')}
            </button>
          </>
        )}
        <button type="button" class="quiet" onClick={() => setRenaming(true)} aria-label={`${t('rename')} ${item.name}`}>
          {t('rename')}
        </button>
        <button type="button" class="quiet danger" onClick={() => onTrash(item)} aria-label={`${t('trash')} ${item.name}`}>
          {t('trash')}
        </button>
      </td>
    </tr>
  );
}

function Icon({ folder = false }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      {folder ? (
        <path fill="#d97706" d="M2 6a2 2 0 0 1 2-2h5l2 2h9a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z" />
      ) : (
        <path fill="#64748b" d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5z" />
      )}
    </svg>
  );
}

function PreviewPanel({ previewing, onClose }) {
  const close = useRef(null);
  const latest = useRef(onClose);
  latest.current = onClose;
  useEffect(() => {
    // Focus moves into the dialog, and back to where it was when the dialog closes.
    const before = document.activeElement;
    close.current?.focus();
    const escape = (event) => event.key === 'Escape' && latest.current();
    addEventListener('keydown', escape);
    return () => {
      removeEventListener('keydown', escape);
      if (before instanceof HTMLElement) before.focus();
    };
  }, []);
  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-label={previewing.name}>
      <div class="overlay-bar">
        <span>{previewing.name}</span>
        <button type="button" onClick={onClose} ref={close}>
          {t('close')}
        </button>
      </div>
      <iframe
        class="overlay-frame"
        title={`${t('preview')} ${previewing.name}`}
        src={`/preview/preview.html?preview_token=${encodeURIComponent(previewing.token)}`}
      />
    </div>
  );
}
