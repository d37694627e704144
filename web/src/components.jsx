// Pieces the console, the share page, the viewer and the embeddable components share.
import { useEffect, useRef, useState } from 'preact/hooks';
import { languages, lang, setLang, t } from './lib/i18n.js';
import { useSignal } from './lib/signal.js';
import { api, upload } from './lib/api.js';
import { bytes, date } from './lib/format.js';

export function LanguagePicker() {
  const current = useSignal(lang);
  return (
    <label class="language">
      <span class="visually-hidden">{t('language')}</span>
      <select value={current} onChange={(event) => setLang(event.currentTarget.value)}>
        {languages.map((language) => (
          <option key={language.code} value={language.code}>
            {language.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Icon({ folder = false }) {
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

/// A folder's path: `path` is `[{id, name}]` from the top shown to the folder itself;
/// `href(folder)` links every folder but the last.
export function Crumbs({ path, href, label = (folder) => folder.name }) {
  return (
    <nav aria-label={t('breadcrumb')} class="crumbs">
      <ol>
        {path.map((folder, index) => (
          <li key={folder.id}>
            {index === path.length - 1 ? (
              <span aria-current="location">{label(folder)}</span>
            ) : (
              <a href={href(folder)}>{label(folder)}</a>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

/// Loads `load()` when `key` changes; `[value, reload, problem]`.
export function useLoaded(load, key) {
  const [value, setValue] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = async () => {
    try {
      setValue(await load());
      setProblem(null);
    } catch (failure) {
      setProblem(failure.message);
    }
  };
  useEffect(() => {
    reload();
  }, [key]);
  return [value, reload, problem, setProblem];
}

/// A button that posts to `path` (an action without arguments) through `act`; `about` names
/// what it acts on for screen readers; `call` is whose /api/v2 it posts to.
export function PostButton({ label, about, path, act, danger = false, call = api }) {
  return (
    <button
      type="button"
      class={danger ? 'quiet danger' : 'quiet'}
      aria-label={about ? `${label} ${about}` : undefined}
      onClick={() => act(() => call(path, { method: 'POST', body: {} }))}
    >
      {label}
    </button>
  );
}

/// Previous and next page buttons for a 0-based `page_id` of `page_count` pages.
export function Pager({ page, onPage }) {
  if (!page || page.page_count <= 1) return null;
  return (
    <nav class="toolbar" aria-label={t('pages')}>
      <button type="button" class="quiet" disabled={page.page_id <= 0} onClick={() => onPage(page.page_id - 1)}>
        {t('previousPage')}
      </button>
      <span class="hint">{t('pageOf', { page: page.page_id + 1, count: page.page_count })}</span>
      <button
        type="button"
        class="quiet"
        disabled={page.page_id + 1 >= page.page_count}
        onClick={() => onPage(page.page_id + 1)}
      >
        {t('nextPage')}
      </button>
    </nav>
  );
}

/// Stands in for what has not loaded: why, when it failed, else that it is loading.
export function Pending({ problem }) {
  return problem ? <Problem message={problem} /> : <p class="notice">{t('loading')}</p>;
}

export function Problem({ message }) {
  return (
    message && (
      <p class="problem" role="alert">
        {t('error', { message })}
      </p>
    )
  );
}

/// Runs `work`, then `after`; a failure is shown through `setProblem`.
export function acting(setProblem, after) {
  return async (work) => {
    try {
      setProblem(null);
      await work();
      await after?.();
    } catch (failure) {
      setProblem(failure.message);
    }
  };
}

/// The folders of `info.path` below the folder `rootId` (none when it is not on the path):
/// what a page that starts at `rootId` may show of where a folder is.
export function pathBelow(info, rootId) {
  const above = info.path ?? [];
  const start = above.findIndex((folder) => folder.id === rootId);
  return start < 0 ? [] : above.slice(start + 1);
}

/// Folders then files of a listing, one row each. `folderHref(folder)` opens a folder,
/// `name(item)` may replace a row's name cell (a rename form), `actions(item)` gives its
/// buttons.
export function ItemTable({ listing, folderHref, name, actions }) {
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
        {items.map((item) => {
          const folder = item.type === 'folder';
          return (
            <tr key={`${item.type}-${item.id}`} data-name={item.name}>
              <td>
                {name?.(item) ??
                  (folder ? (
                    <a href={folderHref(item)} class="item-name">
                      <Icon folder />
                      {item.name}
                    </a>
                  ) : (
                    <span class="item-name">
                      <Icon />
                      {item.name}
                    </span>
                  ))}
              </td>
              <td class="wide">{folder ? '' : bytes(item.size)}</td>
              <td class="wide">{date(item.modified_at)}</td>
              <td class="row-actions">{actions(item)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/// A button labelled for screen readers with the item it acts on.
export function ItemButton({ item, label, onClick, danger = false }) {
  return (
    <button type="button" class={danger ? 'quiet danger' : 'quiet'} onClick={() => onClick(item)} aria-label={`${label} ${item.name}`}>
      {label}
    </button>
  );
}

/// A modal dialog: focus moves in when it opens and back where it was when it closes;
/// Escape closes it.
export function Dialog({ label, onClose, class: className = 'dialog', children }) {
  const close = useRef(null);
  const latest = useRef(onClose);
  latest.current = onClose;
  useEffect(() => {
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
    <div class={className} role="dialog" aria-modal="true" aria-label={label}>
      <div class="overlay-bar">
        <span>{label}</span>
        <button type="button" onClick={onClose} ref={close}>
          {t('close')}
        </button>
      </div>
      {children}
    </div>
  );
}

/// The viewer page for a preview token, in a full-screen dialog.
export function PreviewDialog({ name, token, onClose }) {
  return (
    <Dialog label={name} onClose={onClose} class="overlay">
      <iframe
        class="overlay-frame"
        title={`${t('preview')} ${name}`}
        src={`/preview/preview.html?preview_token=${encodeURIComponent(token)}`}
      />
    </Dialog>
  );
}

/// Files uploaded one after another into folder `folderId` through `call`'s /api/v2, each
/// with a progress bar. `onUploaded(file)` hears of each one done, `onFailed(name, failure)` of
/// each one that was not. `send(files)` starts them; `dropTarget` makes an element take drops;
/// `progress` is the list to show. A large file whose connection dropped stays listed, paused,
/// with a button that sends the parts that did not arrive.
export function useUploads({ folderId, call, onUploaded, onFailed }) {
  const [transfers, setTransfers] = useState([]);
  const sendTo = async (files, target) => {
    for (const file of files) {
      const key = `${Date.now()}-${file.name}`;
      const update = (change) => setTransfers((all) => all.map((item) => (item.key === key ? { ...item, ...change } : item)));
      setTransfers((all) => [...all, { key, name: file.name, size: file.size, share: 0, done: false }]);
      try {
        const uploaded = await upload(file, target, (share) => update({ share }), call);
        update({ share: 1, done: true });
        await onUploaded?.(uploaded);
      } catch (failure) {
        if (failure.resumable) {
          update({ paused: true, file, target });
        } else {
          setTransfers((all) => all.filter((item) => item.key !== key));
          onFailed(file.name, failure);
        }
      }
    }
  };
  const dropTarget = {
    onDragOver: (event) => event.preventDefault(),
    onDrop: (event) => {
      event.preventDefault();
      if (event.dataTransfer?.files?.length) send([...event.dataTransfer.files]);
    },
  };
  const send = (files) => sendTo(files, folderId);
  // Into the folder it was going to, wherever the person is now.
  const resume = (item) => {
    setTransfers((all) => all.filter((other) => other.key !== item.key));
    sendTo([item.file], item.target);
  };
  const state = (item) =>
    item.done ? t('uploaded', { name: item.name }) : item.paused ? t('uploadPaused', { name: item.name }) : t('uploading', { name: item.name });
  const progress = transfers.length > 0 && (
    <ul class="transfers" aria-label={t('upload')}>
      {transfers.map((item) => (
        <li key={item.key}>
          <span>
            {state(item)} ({bytes(item.size)})
          </span>
          <progress max="100" value={Math.round(item.share * 100)} aria-label={item.name} />
          {item.paused && (
            <button type="button" class="quiet" onClick={() => resume(item)} aria-label={`${t('resumeUpload')} ${item.name}`}>
              {t('resumeUpload')}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
  return { send, dropTarget, progress };
}

/// The upload button: a file chooser for one or more files.
export function UploadButton({ onChoose }) {
  return (
    <label class="button">
      {t('upload')}
      <input
        type="file"
        multiple
        class="visually-hidden"
        onChange={(event) => {
          const chosen = [...event.currentTarget.files];
          event.currentTarget.value = '';
          onChoose(chosen);
        }}
      />
    </label>
  );
}
