// The console's dialogs over one item: its share links, moving or copying it, a file's
// versions and comments, a folder's collaborators.
import { useState } from 'preact/hooks';
import { t } from '../lib/i18n.js';
import { api } from '../lib/api.js';
import { bytes, date } from '../lib/format.js';
import { Dialog, Icon, PostButton, Problem, acting, useLoaded } from '../components.jsx';

export function ShareDialog({ item, onClose }) {
  const [page, reload, problem, setProblem] = useLoaded(
    () => api(`/${item.type}/${item.id}/share_links?page_id=0&page_capacity=100`),
    item.id,
  );
  const act = acting(setProblem, reload);
  const [protect, setProtect] = useState(false);
  const [made, setMade] = useState(null);
  return (
    <Dialog label={t('shareTitle', { name: item.name })} onClose={onClose}>
      <div class="dialog-body">
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            act(async () => {
              const link = await api('/share_link/create', {
                method: 'POST',
                body: {
                  [`${item.type}_id`]: item.id,
                  access: form.get('access'),
                  password_protected: protect,
                  password: protect ? String(form.get('password')) : undefined,
                  due_time: String(form.get('due') || ''),
                  disable_download: form.get('preview_only') === 'on',
                },
              });
              setMade(link);
            });
          }}
        >
          <h2>{t('newShareLink')}</h2>
          <fieldset>
            <legend>{t('access')}</legend>
            <label class="choice">
              <input type="radio" name="access" value="public" defaultChecked />
              {t('accessPublic')}
            </label>
            <label class="choice">
              <input type="radio" name="access" value="company" />
              {t('accessCompany')}
            </label>
          </fieldset>
          <label class="choice">
            <input type="checkbox" checked={protect} onChange={(event) => setProtect(event.currentTarget.checked)} />
            {t('usePassword')}
          </label>
          {protect && (
            <label>
              {t('sharePassword')}
              <input name="password" type="text" required pattern="[A-Za-z0-9]{1,33}" autocomplete="off" />
            </label>
          )}
          <label>
            {t('dueDate')}
            <input name="due" type="date" />
          </label>
          <label class="choice">
            <input type="checkbox" name="preview_only" />
            {t('disableDownload')}
          </label>
          <button type="submit">{t('createLink')}</button>
        </form>
        {made && <LinkAddress link={made} />}
        <Problem message={problem} />
        <h2>{t('shareLinks')}</h2>
        {page === null ? (
          <p class="notice">{t('loading')}</p>
        ) : page.share_links.length === 0 ? (
          <p class="notice">{t('noShareLinks')}</p>
        ) : (
          <ul class="plain-list">
            {page.share_links.map((link) => (
              <li key={link.unique_name} class="link-entry">
                <a href={link.share_link} target="_blank" rel="noopener">
                  {link.share_link}
                </a>
                <span class="hint">
                  {[
                    link.access === 'public' ? t('accessPublic') : t('accessCompany'),
                    link.password_protected ? t('passwordSet') : '',
                    link.due_time ? t('until', { date: link.due_time }) : t('forever'),
                    link.disable_download ? t('disableDownload') : '',
                    t('views', { count: link.view_count }),
                    t('downloads', { count: link.download_count_total }),
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </span>
                <PostButton
                  label={t('revoke')}
                  about={link.share_link}
                  path={`/share_link/${link.unique_name}/revoke`}
                  act={act}
                  danger
                />
              </li>
            ))}
          </ul>
        )}
      </div>
    </Dialog>
  );
}

function LinkAddress({ link }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="link-made">
      <label>
        {t('linkAddress')}
        <input type="text" readOnly value={link.share_link} data-link={link.unique_name} onFocus={(event) => event.currentTarget.select()} />
      </label>
      <button
        type="button"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(link.share_link);
            setCopied(true);
          } catch {
            // No clipboard (an insecure origin): the address stays selectable.
          }
        }}
      >
        {copied ? t('copied') : t('copy')}
      </button>
    </div>
  );
}

/// Moves or copies `item` into a folder the person browses to.
export function TargetDialog({ item, mode, onDone, onClose }) {
  const [folderId, setFolderId] = useState(0);
  const [listing] = useLoaded(
    async () => {
      const [children, info] = await Promise.all([
        api(`/folder/${folderId}/children?page_id=0&page_capacity=500&type=folder`),
        api(`/folder/${folderId}/info`),
      ]);
      return { folders: children.folders, path: [...(info.path ?? []), { id: info.id, name: info.name }] };
    },
    folderId,
  );
  const [problem, setProblem] = useState(null);
  const title = t(mode === 'move' ? 'moveTitle' : 'copyTitle', { name: item.name });
  return (
    <Dialog label={title} onClose={onClose}>
      <div class="dialog-body">
        {listing === null ? (
          <p class="notice">{t('loading')}</p>
        ) : (
          <>
            <p aria-live="polite">
              {t('location')}: {listing.path.map((folder) => (folder.id === 0 ? t('myFiles') : folder.name)).join(' / ')}
            </p>
            <ul class="plain-list chooser">
              {listing.folders
                .filter((folder) => !(item.type === 'folder' && folder.id === item.id))
                .map((folder) => (
                  <li key={folder.id}>
                    <button type="button" class="quiet item-name" onClick={() => setFolderId(folder.id)}>
                      <Icon folder />
                      {folder.name}
                    </button>
                  </li>
                ))}
            </ul>
            <div class="chooser-up">
              {listing.path.length > 1 && (
                <button type="button" class="quiet" onClick={() => setFolderId(listing.path[listing.path.length - 2].id)}>
                  ↑ {listing.path[listing.path.length - 2].id === 0 ? t('myFiles') : listing.path[listing.path.length - 2].name}
                </button>
              )}
            </div>
          </>
        )}
        <Problem message={problem} />
        <button
          type="button"
          onClick={acting(setProblem)(async () => {
            await api(`/${item.type}/${item.id}/${mode}`, { method: 'POST', body: { target_folder_id: folderId } });
            onDone();
          })}
        >
          {t(mode === 'move' ? 'moveHere' : 'copyHere')}
        </button>
      </div>
    </Dialog>
  );
}

export function VersionsDialog({ item, onChanged, onClose }) {
  const [versions, reload, problem, setProblem] = useLoaded(() => api(`/file/${item.id}/versions`), item.id);
  const act = acting(setProblem, async () => {
    await reload();
    onChanged();
  });
  const list = versions?.file_versions ?? [];
  return (
    <Dialog label={t('versionsTitle', { name: item.name })} onClose={onClose}>
      <div class="dialog-body">
        <Problem message={problem} />
        {versions === null ? (
          <p class="notice">{t('loading')}</p>
        ) : (
          <ol class="plain-list" reversed>
            {list.map((version, index) => {
              const label = t('versionNumber', { number: list.length - index });
              return (
                <li key={version.id} class="link-entry" data-version={version.id}>
                  <span>
                    <strong>{label}</strong> {version.current && <span class="badge">{t('current')}</span>}
                  </span>
                  <span class="hint">
                    {bytes(version.size)} · {date(version.modified_at)} · {version.modified_by?.name}
                  </span>
                  <span class="row-actions">
                    <button
                      type="button"
                      class="quiet"
                      aria-label={`${t('download')} ${label}`}
                      onClick={acting(setProblem)(async () => {
                        const { download_url: url } = await api(`/file/${item.id}/download?version=${version.id}`);
                        location.assign(url);
                      })}
                    >
                      {t('download')}
                    </button>
                    {!version.current && (
                      <>
                        <PostButton
                          label={t('promote')}
                          about={label}
                          path={`/file/${item.id}/version/${version.id}/promote`}
                          act={act}
                        />
                        <PostButton
                          label={t('deleteVersion')}
                          about={label}
                          path={`/file/${item.id}/version/${version.id}/delete`}
                          act={act}
                          danger
                        />
                      </>
                    )}
                  </span>
                </li>
              );
            })}
          </ol>
        )}
      </div>
    </Dialog>
  );
}

export function CommentsDialog({ item, onClose }) {
  const [page, reload, problem, setProblem] = useLoaded(
    () => api(`/file/${item.id}/comments?page_id=0&page_capacity=100`),
    item.id,
  );
  const act = acting(setProblem, reload);
  return (
    <Dialog label={t('commentsTitle', { name: item.name })} onClose={onClose}>
      <div class="dialog-body">
        {page === null ? (
          <p class="notice">{t('loading')}</p>
        ) : page.comments.length === 0 ? (
          <p class="notice">{t('noComments')}</p>
        ) : (
          <ul class="plain-list">
            {page.comments.map((comment) => (
              <li key={comment.id} class="link-entry">
                <span>
                  <strong>{comment.user.name}</strong> <span class="hint">{date(comment.created_at)}</span>
                </span>
                <span class="comment-text">{comment.content}</span>
                <PostButton label={t('trash')} path={`/comment/${comment.id}/delete`} act={act} danger />
              </li>
            ))}
          </ul>
        )}
        <Problem message={problem} />
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            const content = String(new FormData(form).get('content')).trim();
            if (!content) return;
            act(async () => {
              await api('/comment/create', { method: 'POST', body: { file_id: item.id, content } });
              form.reset();
            });
          }}
        >
          <label>
            {t('newComment')}
            <textarea name="content" rows="3" required maxLength={1000} />
          </label>
          <button type="submit">{t('send')}</button>
        </form>
      </div>
    </Dialog>
  );
}

const ROLES = ['coowner', 'editor', 'online_collaborator', 'viewer_uploader', 'viewer', 'previewer_uploader', 'previewer', 'uploader'];

/// A collaboration role to choose, labelled for screen readers with whom it is for.
function RoleSelect({ who, value, onChange }) {
  return (
    <label>
      <span class="visually-hidden">
        {t('role')} {who}
      </span>
      <select value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {role}
          </option>
        ))}
      </select>
    </label>
  );
}

export function CollabDialog({ item, onClose }) {
  const [collabs, reload, problem, setProblem] = useLoaded(() => api(`/folder/${item.id}/collabs`), item.id);
  const act = acting(setProblem, reload);
  const [found, setFound] = useState([]);
  return (
    <Dialog label={t('collabTitle', { name: item.name })} onClose={onClose}>
      <div class="dialog-body">
        {collabs === null ? (
          <p class="notice">{t('loading')}</p>
        ) : (
          <ul class="plain-list">
            {collabs.collabs.map((collab) => (
              <li key={collab.id ?? 'owner'} class="link-entry">
                <span>
                  <strong>{collab.accessible_by.name}</strong> {!collab.accepted && <span class="badge">{t('pending')}</span>}
                </span>
                {collab.id == null ? (
                  <span class="hint">{collab.role}</span>
                ) : (
                  <span class="row-actions">
                    <RoleSelect
                      who={collab.accessible_by.name}
                      value={collab.role}
                      onChange={(role) => act(() => api(`/collab/${collab.id}/update`, { method: 'POST', body: { role } }))}
                    />
                    <PostButton
                      label={t('remove')}
                      about={collab.accessible_by.name}
                      path={`/collab/${collab.id}/delete`}
                      act={act}
                      danger
                    />
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        <Problem message={problem} />
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            const words = String(new FormData(event.currentTarget).get('who')).trim();
            if (!words) return;
            acting(setProblem)(async () => {
              const page = await api(`/user/search?query_words=${encodeURIComponent(words)}&page_id=0&page_capacity=20`);
              setFound(page.users);
            });
          }}
        >
          <label>
            {t('inviteWho')}
            <input name="who" type="search" required />
          </label>
          <button type="submit">{t('search')}</button>
        </form>
        <ul class="plain-list">
          {found.map((user) => (
            <li key={user.id} class="link-entry">
              <span>
                {user.name} <span class="hint">{user.login}</span>
              </span>
              <InviteButton
                user={user}
                onInvite={(role) =>
                  act(() =>
                    api('/collab/invite', {
                      method: 'POST',
                      body: { folder_id: item.id, accessible_by: { type: 'user', id: user.id, role } },
                    }),
                  )
                }
              />
            </li>
          ))}
        </ul>
      </div>
    </Dialog>
  );
}

function InviteButton({ user, onInvite }) {
  const [role, setRole] = useState('viewer');
  return (
    <span class="row-actions">
      <RoleSelect who={user.name} value={role} onChange={setRole} />
      <button type="button" aria-label={`${t('invite')} ${user.name}`} onClick={() => onInvite(role)}>
        {t('invite')}
      </button>
    </span>
  );
}
