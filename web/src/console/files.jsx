// The file browser (a folder's contents with its path, and what a person does to them), the
// search results and the trash.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { t } from '../lib/i18n.js';
import { api } from '../lib/api.js';
import { date } from '../lib/format.js';
import { Crumbs, ItemButton, ItemTable, Pager, PreviewDialog, Problem, UploadButton, acting, useUploads } from '../components.jsx';
import { CollabDialog, CommentsDialog, ShareDialog, TargetDialog, VersionsDialog } from './dialogs.jsx';

/// What every listing of the person's own items offers on a row, and the dialogs it opens.
function useItemActions(reload, setProblem) {
  const [open, setOpen] = useState(null);
  const act = acting(setProblem, reload);
  const preview = (item) =>
    act(async () => {
      const { preview_token: token } = await api('/file/preview_token', { method: 'POST', body: { file_id: item.id } });
      setOpen({ kind: 'preview', item, token });
    });
  const download = (item) =>
    act(async () => {
      const { download_url: url } = await api(`/file/${item.id}/download`);
      location.assign(url);
    });
  const show = (kind) => (item) => setOpen({ kind, item });
  const trash = (item) => {
    if (confirm(t('confirmTrash', { name: item.name }))) {
      act(() => api(`/${item.type}/${item.id}/delete`, { method: 'POST', body: {} }));
    }
  };
  const actions = (item, startRename) => {
    const file = item.type === 'file';
    return (
      <>
        {file && <ItemButton item={item} label={t('preview')} onClick={preview} />}
        {file && <ItemButton item={item} label={t('download')} onClick={download} />}
        <ItemButton item={item} label={t('share')} onClick={show('share')} />
        <details class="menu">
          <summary aria-label={t('moreFor', { name: item.name })}>{t('more')}</summary>
          <div class="menu-items">
            {startRename && <ItemButton item={item} label={t('rename')} onClick={startRename} />}
            <ItemButton item={item} label={t('move')} onClick={show('move')} />
            <ItemButton item={item} label={t('copyTo')} onClick={show('copy')} />
            {file && <ItemButton item={item} label={t('versions')} onClick={show('versions')} />}
            {file && <ItemButton item={item} label={t('comments')} onClick={show('comments')} />}
            {!file && <ItemButton item={item} label={t('collaborators')} onClick={show('collab')} />}
            <ItemButton item={item} label={t('trash')} onClick={trash} danger />
          </div>
        </details>
      </>
    );
  };
  const close = () => setOpen(null);
  const dialogs = open && (
    <>
      {open.kind === 'preview' && <PreviewDialog name={open.item.name} token={open.token} onClose={close} />}
      {open.kind === 'share' && <ShareDialog item={open.item} onClose={close} />}
      {(open.kind === 'move' || open.kind === 'copy') && (
        <TargetDialog
          item={open.item}
          mode={open.kind}
          onClose={close}
          onDone={() => {
            close();
            reload();
          }}
        />
      )}
      {open.kind === 'versions' && <VersionsDialog item={open.item} onChanged={reload} onClose={close} />}
      {open.kind === 'comments' && <CommentsDialog item={open.item} onClose={close} />}
      {open.kind === 'collab' && <CollabDialog item={open.item} onClose={close} />}
    </>
  );
  return { act, actions, dialogs };
}

/// Rows of a folder shown at once; a larger folder is paged.
const PAGE = 200;

export function Files({ folderId }) {
  const [pageId, setPageId] = useState(0);
  const [listing, setListing] = useState(null);
  const [path, setPath] = useState([]);
  const [problem, setProblem] = useState(null);
  const [renaming, setRenaming] = useState(null);

  const reload = useCallback(async () => {
    try {
      const [children, info] = await Promise.all([
        api(`/folder/${folderId}/children?page_id=${pageId}&page_capacity=${PAGE}`),
        api(`/folder/${folderId}/info`),
      ]);
      setListing(children);
      setPath([...(info.path ?? []), { id: info.id, name: info.name }]);
      setProblem(null);
    } catch (failure) {
      setProblem(failure.message);
    }
  }, [folderId, pageId]);
  useEffect(() => {
    reload();
  }, [reload]);
  const { act, actions, dialogs } = useItemActions(reload, setProblem);

  const { send, dropTarget, progress } = useUploads({
    folderId,
    call: api,
    onUploaded: reload,
    onFailed: (name, failure) => setProblem(`${name}: ${failure.message}`),
  });

  const renameForm = (item) =>
    renaming?.id === item.id && renaming?.type === item.type ? (
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          const name = String(new FormData(event.currentTarget).get('name')).trim();
          setRenaming(null);
          if (name && name !== item.name) act(() => api(`/${item.type}/${item.id}/update`, { method: 'POST', body: { name } }));
        }}
      >
        <label>
          <span class="visually-hidden">{t('newName')}</span>
          <input name="name" defaultValue={item.name} required autoFocus />
        </label>
        <button type="submit">{t('save')}</button>
      </form>
    ) : null;

  return (
    <section class="files" {...dropTarget}>
      <Crumbs
        path={path}
        href={(folder) => `#/folder/${folder.id}`}
        label={(folder) => (folder.id === 0 ? t('myFiles') : folder.name)}
      />
      <div class="toolbar">
        <NewFolder onCreate={(name) => act(() => api('/folder/create', { method: 'POST', body: { name, parent_id: folderId } }))} />
        <UploadButton onChoose={send} />
        <span class="hint">{t('dropHere')}</span>
      </div>
      <Problem message={problem} />
      {progress}
      {listing === null ? (
        <p class="notice">{t('loading')}</p>
      ) : (
        <ItemTable
          listing={listing}
          folderHref={(folder) => `#/folder/${folder.id}`}
          name={renameForm}
          actions={(item) => actions(item, setRenaming)}
        />
      )}
      <Pager page={listing} onPage={setPageId} />
      {dialogs}
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

export function Search({ query }) {
  const [listing, setListing] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = useCallback(async () => {
    try {
      setListing(await api(`/item/search?query_words=${encodeURIComponent(query)}&type=all&page_id=0&page_capacity=100`));
    } catch (failure) {
      setProblem(failure.message);
    }
  }, [query]);
  useEffect(() => {
    setListing(null);
    reload();
  }, [reload]);
  const { actions, dialogs } = useItemActions(reload, setProblem);
  return (
    <section class="files">
      <h1 class="page-title">{t('searchResults', { query })}</h1>
      <Problem message={problem} />
      {listing === null ? (
        <p class="notice">{t('loading')}</p>
      ) : listing.files.length + listing.folders.length === 0 ? (
        <p class="notice">{t('noResults')}</p>
      ) : (
        <ItemTable listing={listing} folderHref={(folder) => `#/folder/${folder.id}`} actions={(item) => actions(item)} />
      )}
      {dialogs}
    </section>
  );
}

export function Trash() {
  const [listing, setListing] = useState(null);
  const [problem, setProblem] = useState(null);
  const reload = useCallback(async () => {
    try {
      setListing(await api('/trash/list?type=all&page_id=0&page_capacity=500'));
    } catch (failure) {
      setProblem(failure.message);
    }
  }, []);
  useEffect(() => {
    reload();
  }, [reload]);
  const act = acting(setProblem, reload);
  const empty = listing && listing.files.length + listing.folders.length === 0;
  return (
    <section class="files">
      <h1 class="page-title">{t('trashBin')}</h1>
      <div class="toolbar">
        <button
          type="button"
          class="danger"
          disabled={!listing || empty}
          onClick={() => {
            if (confirm(t('confirmEmptyTrash'))) act(() => api('/trash/clear?type=all', { method: 'POST', body: {} }));
          }}
        >
          {t('emptyTrash')}
        </button>
      </div>
      <Problem message={problem} />
      {listing === null ? (
        <p class="notice">{t('loading')}</p>
      ) : empty ? (
        <p class="notice">{t('trashEmpty')}</p>
      ) : (
        <ItemTable
          listing={listing}
          folderHref={() => '#/trash'}
          name={(item) => (
            <span class="item-name">
              {item.name} <span class="hint">{item.deleted_at ? `${t('deletedAt')} ${date(item.deleted_at)}` : ''}</span>
            </span>
          )}
          actions={(item) => (
            <>
              <ItemButton
                item={item}
                label={t('restore')}
                onClick={() => act(() => api(`/${item.type}/${item.id}/restore_from_trash`, { method: 'POST', body: {} }))}
              />
              <ItemButton
                item={item}
                label={t('deleteForever')}
                danger
                onClick={() => {
                  if (confirm(t('confirmDeleteForever', { name: item.name }))) {
                    act(() => api(`/${item.type}/${item.id}/delete_from_trash`, { method: 'POST', body: {} }));
                  }
                }}
              />
            </>
          )}
        />
      )}
    </section>
  );
}
