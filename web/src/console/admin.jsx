// The enterprise's administration, for its administrators: people (with their quotas and
// sign-in links), the department tree, groups, apps (secrets, redirect URIs, scopes, the
// callback address and its delivery log), the audit log and the system's status. Every
// page calls the documented /api/v2/admin paths with the enterprise's token.
import { useState } from 'preact/hooks';
import { t } from '../lib/i18n.js';
import { api } from '../lib/api.js';
import { bytes, date } from '../lib/format.js';
import { Dialog, Pager, Pending, PostButton, Problem, acting, useLoaded } from '../components.jsx';

/// The enterprise's /api/v2.
const admin = (path, options = {}) => api(path, { ...options, admin: true });

const SECTIONS = ['users', 'departments', 'groups', 'apps', 'log', 'status'];

/// `#/admin/{section}` and, for departments, groups and apps, `/{id}` of the one open.
export function adminRoute(hash) {
  const found = /^#\/admin(?:\/(\w+))?(?:\/(\d+))?/.exec(hash);
  if (!found) return null;
  const section = SECTIONS.includes(found[1]) ? found[1] : 'users';
  return { page: 'admin', section, id: found[2] === undefined ? null : Number(found[2]) };
}

export function Admin({ section, id }) {
  return (
    <>
      <nav aria-label={t('admin')} class="tabs">
        {SECTIONS.map((name) => (
          <a key={name} href={`#/admin/${name}`} aria-current={name === section ? 'page' : undefined}>
            {t(`admin_${name}`)}
          </a>
        ))}
      </nav>
      {section === 'users' && <Users />}
      {section === 'departments' && <Departments selected={id ?? 0} />}
      {section === 'groups' && <Groups selected={id} />}
      {section === 'apps' && <Apps selected={id} />}
      {section === 'log' && <AuditLog />}
      {section === 'status' && <Status />}
    </>
  );
}

/// Space as "used / total" (total -1: no limit).
function space(used, total) {
  return `${bytes(used)} / ${total < 0 ? t('unlimited') : bytes(total)}`;
}

/// Whole gigabytes of a byte count for a quota field (-1 stays -1).
function gigabytes(total) {
  return total < 0 ? -1 : Math.round(total / 1024 ** 3);
}

/// A button that, once the person confirms `question`, posts to `path` (a removal) and then
/// goes to the page `after`.
function DeleteButton({ label, question, path, after, act }) {
  return (
    <button
      type="button"
      class="quiet danger"
      onClick={() => {
        if (!confirm(question)) return;
        act(async () => {
          await admin(path, { method: 'POST', body: {} });
          location.hash = after;
        });
      }}
    >
      {label}
    </button>
  );
}

/// A form whose fields are read by name when it is sent; `onSend(form)` does the work.
function SendForm({ onSend, children, class: className = 'stack card' }) {
  return (
    <form
      class={className}
      onSubmit={(event) => {
        event.preventDefault();
        onSend(new FormData(event.currentTarget), event.currentTarget);
      }}
    >
      {children}
    </form>
  );
}

const text = (form, name) => String(form.get(name) ?? '').trim();

/// Finds colleagues by name, email or phone; `onPick(user)` takes one.
function PersonFinder({ label, onPick, pickLabel, except }) {
  const [found, setFound] = useState([]);
  const [problem, setProblem] = useState(null);
  return (
    <div class="stack">
      <SendForm
        class="inline-form"
        onSend={(form) =>
          acting(setProblem)(async () => {
            const words = text(form, 'who');
            if (!words) return;
            const page = await api(`/user/search?query_words=${encodeURIComponent(words)}&page_id=0&page_capacity=20`);
            const excluded = [except ?? []].flat();
            setFound(page.users.filter((user) => !excluded.includes(user.id)));
          })
        }
      >
        <label>
          {label}
          <input name="who" type="search" required />
        </label>
        <button type="submit">{t('search')}</button>
      </SendForm>
      <Problem message={problem} />
      <ul class="plain-list">
        {found.map((user) => (
          <li key={user.id} class="row-entry">
            <span>
              {user.name} <span class="hint">{user.login}</span>
            </span>
            <button type="button" class="quiet" aria-label={`${pickLabel} ${user.name}`} onClick={() => onPick(user)}>
              {pickLabel}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

/// The members of a department or group (`path` lists them, `base` takes `add_user` and
/// `remove_user`); `onChanged` hears of each change.
function Members({ path, base, canChange = true, onChanged }) {
  const [pageId, setPageId] = useState(0);
  const [page, reload, problem, setProblem] = useLoaded(
    () => admin(`${path}?page_id=${pageId}&page_capacity=50`),
    `${path}-${pageId}`,
  );
  const act = acting(setProblem, async () => {
    await reload();
    await onChanged?.();
  });
  return (
    <section class="stack" aria-label={t('members')}>
      <h3 class="card-title">{t('members')}</h3>
      {page === null ? (
        <p class="notice">{t('loading')}</p>
      ) : page.users.length === 0 ? (
        <p class="notice">{t('noMembers')}</p>
      ) : (
        <ul class="plain-list">
          {page.users.map((user) => (
            <li key={user.id} class="row-entry">
              <span>
                {user.name} <span class="hint">{user.login}</span>
              </span>
              {canChange && (
                <button
                  type="button"
                  class="quiet danger"
                  aria-label={`${t('remove')} ${user.name}`}
                  onClick={() => act(() => admin(`${base}/remove_user`, { method: 'POST', body: { user_id: user.id } }))}
                >
                  {t('remove')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <Pager page={page} onPage={setPageId} />
      <Problem message={problem} />
      {canChange && (
        <PersonFinder
          label={t('addMember')}
          pickLabel={t('add')}
          onPick={(user) => act(() => admin(`${base}/add_user`, { method: 'POST', body: { user_id: user.id } }))}
        />
      )}
    </section>
  );
}

function Users() {
  const [pageId, setPageId] = useState(0);
  const [page, reload, problem, setProblem] = useLoaded(
    () => admin(`/admin/user/all?page_id=${pageId}&page_capacity=50`),
    pageId,
  );
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState(null);
  const [editProblem, setEditProblem] = useState(null);
  const [link, setLink] = useState(null);
  const act = acting(setProblem, reload);
  const signInLink = (user) =>
    act(async () => {
      const found = await admin(
        `/admin/user/get_login_url?type=simple_phone_or_email&identifier=${encodeURIComponent(user.login)}`,
      );
      setLink({ user, url: found.login_url, expiresIn: found.expires_in });
    });
  const [removing, setRemoving] = useState(null);
  const [removeProblem, setRemoveProblem] = useState(null);
  // Their files go to `receiver` first (the platform keeps nobody's files without an owner).
  const remove = (receiver) =>
    acting(setRemoveProblem, reload)(async () => {
      await admin(`/admin/user/${removing.id}/delete`, { method: 'POST', body: { user_receive_items: receiver.id } });
      setRemoving(null);
    });
  return (
    <section class="stack">
      <div class="toolbar">
        <h2 class="page-title">{t('admin_users')}</h2>
        {page && <span class="hint">{t('peopleCount', { count: page.total_count })}</span>}
        <button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>
          {t('newUser')}
        </button>
      </div>
      {adding && (
        <SendForm
          onSend={(form, element) =>
            act(async () => {
              const body = { name: text(form, 'name'), force_active: true };
              for (const field of ['email', 'phone', 'password']) if (text(form, field)) body[field] = text(form, field);
              if (text(form, 'space_total')) body.space_total = Number(text(form, 'space_total'));
              await admin('/admin/user/create', { method: 'POST', body });
              element.reset();
              setAdding(false);
            })
          }
        >
          <label>
            {t('personName')}
            <input name="name" required />
          </label>
          <label>
            {t('email')}
            <input name="email" type="email" autocomplete="off" />
          </label>
          <label>
            {t('phone')}
            <input name="phone" type="tel" autocomplete="off" />
          </label>
          <label>
            {t('firstPassword')}
            <input name="password" type="password" autocomplete="new-password" />
          </label>
          <label>
            {t('quotaGb')}
            <input name="space_total" type="number" min="-1" step="1" />
          </label>
          <button type="submit">{t('create')}</button>
        </SendForm>
      )}
      <Problem message={problem} />
      {page === null ? (
        <p class="notice">{t('loading')}</p>
      ) : (
        <table class="listing">
          <thead>
            <tr>
              <th scope="col">{t('personName')}</th>
              <th scope="col" class="wide">
                {t('login')}
              </th>
              <th scope="col">{t('space')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {page.users.map((user) => (
              <tr key={user.id} data-name={user.name}>
                <td>
                  {user.name} {!user.active && <span class="badge">{t('inactive')}</span>}
                </td>
                <td class="wide">{user.login}</td>
                <td>{space(user.space_used, user.space_total)}</td>
                <td class="row-actions">
                  <button
                    type="button"
                    class="quiet"
                    aria-label={`${t('edit')} ${user.name}`}
                    onClick={() => {
                      setEditProblem(null);
                      setEditing(user);
                    }}
                  >
                    {t('edit')}
                  </button>
                  <button
                    type="button"
                    class="quiet"
                    aria-label={`${t('signInLink')} ${user.name}`}
                    onClick={() => signInLink(user)}
                  >
                    {t('signInLink')}
                  </button>
                  <button
                    type="button"
                    class="quiet danger"
                    aria-label={`${t('delete')} ${user.name}`}
                    onClick={() => {
                      setRemoveProblem(null);
                      setRemoving(user);
                    }}
                  >
                    {t('delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} onPage={setPageId} />
      {editing && (
        <Dialog label={t('editUser', { name: editing.name })} onClose={() => setEditing(null)}>
          <SendForm
            class="dialog-body stack"
            onSend={(form) =>
              acting(setEditProblem, reload)(async () => {
                await admin(`/admin/user/${editing.id}/update`, {
                  method: 'POST',
                  body: {
                    name: text(form, 'name'),
                    space_total: Number(text(form, 'space_total')),
                    disable_download: form.get('disable_download') === 'on',
                    hide_phone: form.get('hide_phone') === 'on',
                  },
                });
                setEditing(null);
              })
            }
          >
            <label>
              {t('personName')}
              <input name="name" defaultValue={editing.name} required />
            </label>
            <label>
              {t('quotaGb')}
              <input name="space_total" type="number" min="-1" step="1" defaultValue={gigabytes(editing.space_total)} required />
            </label>
            <label class="choice">
              <input name="disable_download" type="checkbox" defaultChecked={editing.disable_download} />
              {t('disableDownload')}
            </label>
            <label class="choice">
              <input name="hide_phone" type="checkbox" defaultChecked={editing.hide_phone} />
              {t('hidePhone')}
            </label>
            <Problem message={editProblem} />
            <button type="submit">{t('save')}</button>
          </SendForm>
        </Dialog>
      )}
      {removing && (
        <Dialog label={t('deleteUserTitle', { name: removing.name })} onClose={() => setRemoving(null)}>
          <div class="dialog-body stack">
            <p class="hint">{t('deleteUserHint')}</p>
            <PersonFinder
              label={t('receiverFinder')}
              pickLabel={t('giveFilesTo')}
              onPick={remove}
              except={removing.id}
            />
            <Problem message={removeProblem} />
          </div>
        </Dialog>
      )}
      {link && (
        <Dialog label={t('signInLinkFor', { name: link.user.name })} onClose={() => setLink(null)}>
          <div class="dialog-body">
            <p class="hint">{t('signInLinkHint', { minutes: Math.round(link.expiresIn / 60) })}</p>
            <label class="stack">
              {t('address')}
              <input readOnly value={link.url} onFocus={(event) => event.currentTarget.select()} />
            </label>
          </div>
        </Dialog>
      )}
    </section>
  );
}

/// One department of the tree, with its sub-departments when opened.
function DepartmentNode({ department, selected, depth = 0 }) {
  const [open, setOpen] = useState(depth === 0);
  const [children] = useLoaded(
    () => (open ? admin(`/admin/department/${department.id}/children`) : Promise.resolve(null)),
    `${department.id}-${open}`,
  );
  const hasChildren = department.has_children_departments !== false;
  return (
    <li>
      <div class="tree-row">
        {hasChildren ? (
          <button
            type="button"
            class="quiet tree-toggle"
            aria-expanded={open}
            aria-label={`${open ? t('collapse') : t('expand')} ${department.name}`}
            onClick={() => setOpen(!open)}
          >
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span class="tree-toggle" aria-hidden="true" />
        )}
        <a href={`#/admin/departments/${department.id}`} aria-current={department.id === selected ? 'true' : undefined}>
          {department.name}
        </a>
        <span class="hint">{department.user_count}</span>
      </div>
      {open && children && children.children.length > 0 && (
        <ul>
          {children.children.map((child) => (
            <DepartmentNode key={child.id} department={child} selected={selected} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

function Departments({ selected }) {
  const [root] = useLoaded(() => admin('/admin/department/0/children'), 'root');
  const [version, setVersion] = useState(0);
  return (
    <div class="split">
      <nav aria-label={t('departmentTree')} class="tree card">
        {root ? (
          <ul key={version}>
            <DepartmentNode department={{ ...root, has_children_departments: true }} selected={selected} />
          </ul>
        ) : (
          <p class="notice">{t('loading')}</p>
        )}
      </nav>
      <Department key={selected} id={selected} onChanged={() => setVersion(version + 1)} />
    </div>
  );
}

/// Who heads a department and who manages its folder: `act` runs each change, then reloads.
function DepartmentRoles({ info, act }) {
  const update = (body) => act(() => admin(`/admin/department/${info.id}/update`, { method: 'POST', body }));
  const managers = info.file_managers || [];
  const setManagers = (ids) => update({ file_managers: ids });
  return (
    <section class="stack" aria-label={t('departmentRoles')}>
      <h3>{t('departmentRoles')}</h3>
      <div class="row-entry">
        <span>
          {t('director')}: {info.director ? info.director.name : t('nobody')}
        </span>
        {info.director && (
          <button
            type="button"
            class="quiet danger"
            aria-label={`${t('remove')} ${t('director')} ${info.director.name}`}
            onClick={() => update({ director_id: -1 })}
          >
            {t('remove')}
          </button>
        )}
      </div>
      <PersonFinder
        label={t('chooseDirector')}
        pickLabel={t('makeDirector')}
        onPick={(user) => update({ director_id: user.id })}
      />
      <h4>{t('fileManagers')}</h4>
      {managers.length === 0 ? (
        <p class="hint">{t('nobody')}</p>
      ) : (
        <ul class="plain-list">
          {managers.map((user) => (
            <li key={user.id} class="row-entry">
              <span>{user.name}</span>
              <button
                type="button"
                class="quiet danger"
                aria-label={`${t('remove')} ${t('fileManagers')} ${user.name}`}
                onClick={() => setManagers(managers.filter((other) => other.id !== user.id).map((other) => other.id))}
              >
                {t('remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <PersonFinder
        label={t('addFileManager')}
        pickLabel={t('add')}
        except={managers.map((user) => user.id)}
        onPick={(user) => setManagers([...managers.map((other) => other.id), user.id])}
      />
    </section>
  );
}

function Department({ id, onChanged }) {
  const [info, reload, problem, setProblem] = useLoaded(() => admin(`/admin/department/${id}/info`), id);
  const act = acting(setProblem, async () => {
    await reload();
    onChanged();
  });
  if (info === null) {
    return (
      <section class="card">
        <Pending problem={problem} />
      </section>
    );
  }
  const isRoot = id === 0;
  return (
    <section class="stack card" aria-label={info.name}>
      <h2 class="page-title">{info.name}</h2>
      <p class="hint">
        {t('space')}: {space(info.space_used, info.space_total)} · {t('peopleCount', { count: info.user_count })}
        {info.director && ` · ${t('director')}: ${info.director.name}`}
      </p>
      {!isRoot && (
        <SendForm
          onSend={(form) =>
            act(() =>
              admin(`/admin/department/${id}/update`, {
                method: 'POST',
                body: {
                  name: text(form, 'name'),
                  enable_watermark: form.get('enable_watermark') === 'on',
                  disable_share: form.get('disable_share') === 'on',
                  hide_phone: form.get('hide_phone') === 'on',
                  collab_auto_accepted: form.get('collab_auto_accepted') === 'on',
                },
              }),
            )
          }
        >
          <label>
            {t('departmentName')}
            <input name="name" defaultValue={info.name} required maxLength={30} />
          </label>
          {['enable_watermark', 'disable_share', 'hide_phone', 'collab_auto_accepted'].map((flag) => (
            <label class="choice" key={flag}>
              <input name={flag} type="checkbox" defaultChecked={info[flag]} />
              {t(`flag_${flag}`)}
            </label>
          ))}
          <button type="submit">{t('save')}</button>
        </SendForm>
      )}
      {!isRoot && (
        <SendForm
          class="inline-form"
          onSend={(form) =>
            act(() =>
              admin(`/admin/department/${id}/update_space`, {
                method: 'POST',
                body: { space_total: Number(text(form, 'space_total')) },
              }),
            )
          }
        >
          <label>
            {t('quotaGb')}
            <input name="space_total" type="number" min="-1" step="1" defaultValue={gigabytes(info.space_total)} required />
          </label>
          <button type="submit">{t('save')}</button>
        </SendForm>
      )}
      <SendForm
        class="inline-form"
        onSend={(form, element) =>
          act(async () => {
            await admin('/admin/department/create', { method: 'POST', body: { name: text(form, 'name'), parent_id: id } });
            element.reset();
          })
        }
      >
        <label>
          {t('newSubDepartment')}
          <input name="name" required maxLength={30} />
        </label>
        <button type="submit">{t('create')}</button>
      </SendForm>
      <Problem message={problem} />
      {!isRoot && (
        <div>
          <DeleteButton
            label={t('deleteDepartment')}
            question={t('confirmDeleteDepartment', { name: info.name })}
            path={`/admin/department/${id}/delete`}
            after={`#/admin/departments/${info.parent_id}`}
            act={act}
          />
        </div>
      )}
      {!isRoot && <DepartmentRoles info={info} act={act} />}
      <Members
        path={`/admin/department/${id}/users`}
        base={`/admin/department/${id}`}
        canChange={!isRoot}
        onChanged={async () => {
          await reload();
          onChanged();
        }}
      />
    </section>
  );
}

function Groups({ selected }) {
  const [pageId, setPageId] = useState(0);
  const [page, reload, problem, setProblem] = useLoaded(
    () => admin(`/admin/group/list?page_id=${pageId}&page_capacity=50`),
    pageId,
  );
  const act = acting(setProblem, reload);
  return (
    <div class="split">
      <section class="stack card" aria-label={t('admin_groups')}>
        <SendForm
          class="inline-form"
          onSend={(form, element) =>
            act(async () => {
              const group = await admin('/admin/group/create', { method: 'POST', body: { name: text(form, 'name') } });
              element.reset();
              location.hash = `#/admin/groups/${group.id}`;
            })
          }
        >
          <label>
            {t('newGroup')}
            <input name="name" required />
          </label>
          <button type="submit">{t('create')}</button>
        </SendForm>
        <Problem message={problem} />
        {page === null ? (
          <p class="notice">{t('loading')}</p>
        ) : page.groups.length === 0 ? (
          <p class="notice">{t('noGroups')}</p>
        ) : (
          <ul class="plain-list">
            {page.groups.map((group) => (
              <li key={group.id} class="row-entry">
                <a href={`#/admin/groups/${group.id}`} aria-current={group.id === selected ? 'true' : undefined}>
                  {group.name}
                </a>
                <span class="hint">{t('peopleCount', { count: group.user_count })}</span>
              </li>
            ))}
          </ul>
        )}
        <Pager page={page} onPage={setPageId} />
      </section>
      {selected !== null && <Group key={selected} id={selected} onChanged={reload} />}
    </div>
  );
}

function Group({ id, onChanged }) {
  const [group, reload, problem, setProblem] = useLoaded(() => admin(`/admin/group/${id}/info`), id);
  const act = acting(setProblem, async () => {
    await reload();
    await onChanged();
  });
  if (group === null) {
    return (
      <section class="card">
        <Pending problem={problem} />
      </section>
    );
  }
  return (
    <section class="stack card" aria-label={group.name}>
      <h2 class="page-title">{group.name}</h2>
      <SendForm
        onSend={(form) =>
          act(() =>
            admin(`/admin/group/${id}/update`, {
              method: 'POST',
              body: { name: text(form, 'name'), description: text(form, 'description') },
            }),
          )
        }
      >
        <label>
          {t('groupName')}
          <input name="name" defaultValue={group.name} required />
        </label>
        <label>
          {t('description')}
          <input name="description" defaultValue={group.description} />
        </label>
        <button type="submit">{t('save')}</button>
      </SendForm>
      <Problem message={problem} />
      <div>
        <DeleteButton
          label={t('deleteGroup')}
          question={t('confirmDeleteGroup', { name: group.name })}
          path={`/admin/group/${id}/delete`}
          after="#/admin/groups"
          act={act}
        />
      </div>
      <Members
        path={`/admin/group/${id}/users`}
        base={`/admin/group/${id}`}
        onChanged={async () => {
          await reload();
          await onChanged();
        }}
      />
    </section>
  );
}

/// The redirect URIs typed one per line.
const lines = (value) =>
  value
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/// A secret shown this once.
function SecretShown({ secret, onDone }) {
  return (
    <div class="stack secret" role="status">
      <p>
        <strong>{t('secretOnce')}</strong>
      </p>
      <label class="stack">
        {t('clientSecret')}
        <input readOnly value={secret} onFocus={(event) => event.currentTarget.select()} />
      </label>
      <button type="button" class="quiet" onClick={onDone}>
        {t('secretNoted')}
      </button>
    </div>
  );
}

/// The settings an app is created and changed with.
function AppFields({ app }) {
  return (
    <>
      <label>
        {t('appLabel')}
        <input name="name" defaultValue={app?.name ?? ''} required />
      </label>
      <label>
        {t('redirectUris')}
        <textarea name="redirect_uris" rows={3} defaultValue={(app?.redirect_uris ?? []).join('\n')} />
      </label>
      <label>
        {t('scopes')}
        <input name="scopes" defaultValue={app?.scopes ?? ''} placeholder={t('anyScope')} />
      </label>
      <label>
        {t('callbackUrl')}
        <input name="callback_url" type="url" defaultValue={app?.callback_url ?? ''} />
      </label>
    </>
  );
}

function appSettings(form) {
  return {
    name: text(form, 'name'),
    redirect_uris: lines(String(form.get('redirect_uris') ?? '')),
    scopes: text(form, 'scopes'),
    callback_url: text(form, 'callback_url'),
  };
}

function Apps({ selected }) {
  const [list, reload, problem, setProblem] = useLoaded(() => admin('/admin/app/list'), 'apps');
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState(null);
  const act = acting(setProblem, reload);
  return (
    <div class="split">
      <section class="stack card" aria-label={t('admin_apps')}>
        <button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>
          {t('newApp')}
        </button>
        {adding && (
          <SendForm
            onSend={(form) =>
              act(async () => {
                const body = appSettings(form);
                if (!body.callback_url) delete body.callback_url;
                body.client_type = String(form.get('client_type'));
                const created = await admin('/admin/app/create', { method: 'POST', body });
                setAdding(false);
                if (created.client_secret) setSecret({ appId: created.app_id, value: created.client_secret });
                location.hash = `#/admin/apps/${created.app_id}`;
              })
            }
          >
            <AppFields />
            <label>
              {t('clientType')}
              <select name="client_type">
                <option value="confidential">{t('confidential')}</option>
                <option value="public">{t('publicClient')}</option>
              </select>
            </label>
            <button type="submit">{t('create')}</button>
          </SendForm>
        )}
        {secret && secret.appId === selected && <SecretShown secret={secret.value} onDone={() => setSecret(null)} />}
        <Problem message={problem} />
        {list === null ? (
          <p class="notice">{t('loading')}</p>
        ) : list.apps.length === 0 ? (
          <p class="notice">{t('noApps')}</p>
        ) : (
          <ul class="plain-list">
            {list.apps.map((app) => (
              <li key={app.app_id} class="row-entry">
                <a href={`#/admin/apps/${app.app_id}`} aria-current={app.app_id === selected ? 'true' : undefined}>
                  {app.name}
                </a>
                {app.status !== 'active' && <span class="badge">{t(`status_${app.status}`)}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      {selected !== null && <AppDetail key={selected} id={selected} onChanged={reload} />}
    </div>
  );
}

function AppDetail({ id, onChanged }) {
  const [app, reload, problem, setProblem] = useLoaded(() => admin(`/admin/app/${id}/info`), id);
  const [secret, setSecret] = useState(null);
  const act = acting(setProblem, async () => {
    await reload();
    await onChanged();
  });
  if (app === null) {
    return (
      <section class="card">
        <Pending problem={problem} />
      </section>
    );
  }
  return (
    <section class="stack card" aria-label={app.name}>
      <h2 class="page-title">
        {app.name} {app.status !== 'active' && <span class="badge">{t(`status_${app.status}`)}</span>}
      </h2>
      <dl class="facts">
        <dt>{t('clientId')}</dt>
        <dd>
          <code>{app.client_id}</code>
        </dd>
        <dt>{t('clientType')}</dt>
        <dd>{app.client_type === 'public' ? t('publicClient') : t('confidential')}</dd>
        <dt>{t('createdAt')}</dt>
        <dd>{date(app.created_at)}</dd>
        {app.previous_secret_valid_until && (
          <>
            <dt>{t('previousSecretUntil')}</dt>
            <dd>{date(app.previous_secret_valid_until)}</dd>
          </>
        )}
      </dl>
      <SendForm onSend={(form) => act(() => admin(`/admin/app/${id}/update`, { method: 'POST', body: appSettings(form) }))}>
        <AppFields app={app} />
        <button type="submit">{t('save')}</button>
      </SendForm>
      {secret && <SecretShown secret={secret} onDone={() => setSecret(null)} />}
      <Problem message={problem} />
      <div class="toolbar">
        {app.client_type !== 'public' && (
          <SendForm
            class="inline-form"
            onSend={(form) =>
              act(async () => {
                const rotated = await admin(`/admin/app/${id}/rotate_secret`, {
                  method: 'POST',
                  body: { grace_seconds: Number(form.get('grace')) },
                });
                setSecret(rotated.client_secret);
              })
            }
          >
            <label>
              {t('oldSecretWorks')}
              <select name="grace">
                <option value="0">{t('graceNone')}</option>
                <option value="3600">{t('graceHour')}</option>
                <option value="86400" selected>
                  {t('graceDay')}
                </option>
              </select>
            </label>
            <button type="submit">{t('rotateSecret')}</button>
          </SendForm>
        )}
        {app.status === 'active' ? (
          <PostButton label={t('disableApp')} path={`/admin/app/${id}/disable`} act={act} call={admin} danger />
        ) : (
          <PostButton label={t('enableApp')} path={`/admin/app/${id}/enable`} act={act} call={admin} />
        )}
        <DeleteButton
          label={t('deleteApp')}
          question={t('confirmDeleteApp', { name: app.name })}
          path={`/admin/app/${id}/delete`}
          after="#/admin/apps"
          act={act}
        />
      </div>
      {app.callback_url && <WebhookPanel id={id} />}
    </section>
  );
}

function WebhookPanel({ id }) {
  const [hook, reload, problem, setProblem] = useLoaded(() => admin(`/admin/app/${id}/webhook`), id);
  const [pageId, setPageId] = useState(0);
  const [deliveries, reloadDeliveries, deliveryProblem] = useLoaded(
    () => admin(`/admin/app/${id}/webhook/deliveries?page_id=${pageId}&page_capacity=20`),
    `${id}-${pageId}`,
  );
  const act = acting(setProblem, async () => {
    await reload();
    await reloadDeliveries();
  });
  if (hook === null) return <Problem message={problem} />;
  const backlog = hook.latest_event_id - hook.delivered_event_id;
  return (
    <section class="stack" aria-label={t('webhook')}>
      <h3 class="card-title">{t('webhook')}</h3>
      <p class="hint">
        {t(`status_${hook.status}`)} · {t('backlog', { count: backlog })}
        {hook.failures > 0 && ` · ${t('failuresInRow', { count: hook.failures })}`}
        {hook.disabled_reason && ` · ${hook.disabled_reason}`}
      </p>
      <SendForm
        class="inline-form"
        onSend={(form) =>
          act(() =>
            admin(`/admin/app/${id}/webhook/update`, {
              method: 'POST',
              body: { events: text(form, 'events') || '*' },
            }),
          )
        }
      >
        <label>
          {t('eventTypes')}
          <input name="events" defaultValue={hook.events.join(',')} />
        </label>
        <button type="submit">{t('save')}</button>
      </SendForm>
      <div class="toolbar">
        <button
          type="button"
          class="quiet"
          onClick={() =>
            act(() =>
              admin(`/admin/app/${id}/webhook/update`, {
                method: 'POST',
                body: { status: hook.status === 'active' ? 'disabled' : 'active' },
              }),
            )
          }
        >
          {hook.status === 'active' ? t('pauseDelivery') : t('resumeDelivery')}
        </button>
        <button type="button" class="quiet" onClick={() => act(async () => {})}>
          {t('refresh')}
        </button>
      </div>
      <Problem message={problem} />
      <h3 class="card-title">{t('deliveryLog')}</h3>
      {deliveries === null ? (
        <Pending problem={deliveryProblem} />
      ) : deliveries.deliveries.length === 0 ? (
        <p class="notice">{t('noDeliveries')}</p>
      ) : (
        <table class="listing">
          <thead>
            <tr>
              <th scope="col">{t('when')}</th>
              <th scope="col">{t('event')}</th>
              <th scope="col">{t('outcome')}</th>
              <th scope="col">{t('actions')}</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.deliveries.map((attempt) => (
              <tr key={attempt.id}>
                <td>{date(attempt.attempted_at)}</td>
                <td>
                  {attempt.event} <span class="hint">#{attempt.event_id}</span>
                  {attempt.redelivery && <span class="badge">{t('redelivery')}</span>}
                </td>
                <td>
                  {attempt.delivered ? t('delivered') : t('notDelivered')}
                  {attempt.status_code != null && ` · HTTP ${attempt.status_code}`} · {attempt.duration_ms} ms
                  {attempt.error && <span class="hint"> · {attempt.error}</span>}
                </td>
                <td>
                  <button
                    type="button"
                    class="quiet"
                    aria-label={`${t('redeliver')} #${attempt.event_id}`}
                    onClick={() =>
                      act(() =>
                        admin(`/admin/app/${id}/webhook/redeliver`, { method: 'POST', body: { event_id: attempt.event_id } }),
                      )
                    }
                  >
                    {t('redeliver')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={deliveries} onPage={setPageId} />
    </section>
  );
}

/// `YYYY-MM-DD` of the day `back` days before today in the platform's zone (UTC+8, where the
/// audit log's days begin), whatever this browser's zone is.
function day(back = 0) {
  return new Date(Date.now() + 8 * 3_600_000 - back * 86_400_000).toISOString().slice(0, 10);
}

const LOG_PAGE = 25;

function AuditLog() {
  const [types] = useLoaded(() => admin('/admin/log/action_type_info', { method: 'POST', body: { is_all: true } }), 'types');
  const [query, setQuery] = useState({ start_date: day(6), end_date: day(0), page_number: 1 });
  const [found, , problem] = useLoaded(
    () => admin('/admin/log/log_info', { method: 'POST', body: { ...query, page_size: LOG_PAGE } }),
    JSON.stringify(query),
  );
  const pages = found ? Math.max(1, Math.ceil(found.total_count / LOG_PAGE)) : 0;
  return (
    <section class="stack">
      <h2 class="page-title">{t('admin_log')}</h2>
      <SendForm
        class="filters card"
        onSend={(form) => {
          const next = { start_date: text(form, 'start_date'), end_date: text(form, 'end_date'), page_number: 1 };
          if (text(form, 'action_type')) next.action_types = [Number(text(form, 'action_type'))];
          if (text(form, 'email')) next.emails = [text(form, 'email')];
          setQuery(next);
        }}
      >
        <label>
          {t('from')}
          <input name="start_date" type="date" defaultValue={query.start_date} required />
        </label>
        <label>
          {t('to')}
          <input name="end_date" type="date" defaultValue={query.end_date} required />
        </label>
        <label>
          {t('action')}
          <select name="action_type">
            <option value="">{t('anyAction')}</option>
            {types &&
              Object.entries(types.action_types)
                .sort(([a], [b]) => Number(a) - Number(b))
                .map(([code, name]) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
          </select>
        </label>
        <label>
          {t('byEmail')}
          <input name="email" type="email" />
        </label>
        <button type="submit">{t('filter')}</button>
      </SendForm>
      <Problem message={problem} />
      {found === null ? (
        <p class="notice">{t('loading')}</p>
      ) : found.user_activities.length === 0 ? (
        <p class="notice">{t('noActivity')}</p>
      ) : (
        <>
          <p class="hint">{t('activityCount', { count: found.total_count })}</p>
          <table class="listing">
            <thead>
              <tr>
                <th scope="col">{t('when')}</th>
                <th scope="col">{t('who')}</th>
                <th scope="col">{t('action')}</th>
                <th scope="col">{t('target')}</th>
                <th scope="col" class="wide">
                  {t('from')}
                </th>
              </tr>
            </thead>
            <tbody>
              {found.user_activities.map((entry, index) => (
                <tr key={`${entry.created}-${index}`}>
                  <td>{date(entry.created)}</td>
                  <td>
                    {entry.operator.user_name} <span class="hint">{entry.operator.login}</span>
                  </td>
                  <td>{entry.action_type.name}</td>
                  <td class="item-name">{entry.target.target_file_name}</td>
                  <td class="wide">{[entry.platform?.service_name, entry.platform?.ip_address].filter(Boolean).join(' · ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            page={{ page_id: query.page_number - 1, page_count: pages }}
            onPage={(pageId) => setQuery({ ...query, page_number: pageId + 1 })}
          />
        </>
      )}
    </section>
  );
}

function Status() {
  const [status, reload, problem] = useLoaded(() => admin('/admin/enterprise/status'), 'status');
  if (status === null) return <Pending problem={problem} />;
  const { enterprise } = status;
  return (
    <section class="stack">
      <div class="toolbar">
        <h2 class="page-title">{t('admin_status')}</h2>
        <button type="button" class="quiet" onClick={reload}>
          {t('refresh')}
        </button>
      </div>
      <div class="cards">
        <section class="card stack" aria-label={t('service')}>
          <h3 class="card-title">{t('service')}</h3>
          <dl class="facts">
            <dt>{t('version')}</dt>
            <dd>{status.version}</dd>
            <dt>{t('runningSince')}</dt>
            <dd>{date(status.started_at)}</dd>
            <dt>{t('checkedAt')}</dt>
            <dd>{date(status.checked_at)}</dd>
          </dl>
          <ul class="plain-list" aria-label={t('stores')}>
            {status.stores.map((store) => (
              <li key={store.name} class="row-entry">
                <span>{store.name}</span>
                <span class={store.healthy ? 'ok' : 'problem'}>
                  {store.healthy ? t('healthy') : t('unhealthy')} · {store.latency_ms} ms
                </span>
              </li>
            ))}
          </ul>
        </section>
        <section class="card stack" aria-label={enterprise.name}>
          <h3 class="card-title">{enterprise.name}</h3>
          <dl class="facts">
            <dt>{t('people')}</dt>
            <dd>{enterprise.user_count}</dd>
            <dt>{t('space')}</dt>
            <dd>{space(enterprise.space_used, enterprise.space_total)}</dd>
          </dl>
          {enterprise.space_total > 0 && (
            <progress
              max="100"
              value={Math.min(100, Math.round((enterprise.space_used / enterprise.space_total) * 100))}
              aria-label={t('space')}
            />
          )}
        </section>
      </div>
      <section class="card stack" aria-label={t('webhooks')}>
        <h3 class="card-title">{t('webhooks')}</h3>
        {status.webhooks.length === 0 ? (
          <p class="notice">{t('noApps')}</p>
        ) : (
          <ul class="plain-list">
            {status.webhooks.map(({ app_name: name, app_status: appStatus, webhook }) => (
              <li key={webhook.app_id} class="row-entry">
                <span>
                  <a href={`#/admin/apps/${webhook.app_id}`}>{name}</a>{' '}
                  {appStatus !== 'active' && <span class="badge">{t(`status_${appStatus}`)}</span>}
                </span>
                <span class={webhook.failures > 0 || webhook.status === 'disabled' ? 'problem' : 'hint'}>
                  {t(`status_${webhook.status}`)} · {t('backlog', { count: webhook.latest_event_id - webhook.delivered_event_id })}
                  {webhook.failures > 0 && ` · ${t('failuresInRow', { count: webhook.failures })}`}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
