// A share link's page (`/share/{name}`): asks for the link's password when it has one, then
// shows the shared file (its preview, and a download unless the link is preview only) or the
// shared folder to browse. Everything goes through /api/v2 with the link's visitor headers;
// a person signed in to the console is sent along too, which links for the enterprise need.
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { t, lang } from '../lib/i18n.js';
import { useSignal } from '../lib/signal.js';
import { asVisitor, whoAmI } from '../lib/api.js';
import { bytes } from '../lib/format.js';
import { Crumbs, ItemButton, ItemTable, LanguagePicker, PreviewDialog, Problem, acting, pathBelow } from '../components.jsx';
import '../style.css';

const linkName = decodeURIComponent(location.pathname.split('/')[2] ?? '');

function SharePage() {
  useSignal(lang);
  const [signedIn, setSignedIn] = useState(null);
  const [password, setPassword] = useState('');
  const [state, setState] = useState({ phase: 'loading' });

  useEffect(() => {
    whoAmI()
      .then((session) => setSignedIn(Boolean(session)))
      .catch(() => setSignedIn(false));
  }, []);

  const open = useCallback(
    async (tried) => {
      // Header values are ASCII; link passwords are letters and digits.
      if (/[^\x21-\x7e]/.test(tried)) {
        setState({ phase: 'password', wrong: true });
        return;
      }
      const call = asVisitor({ link: linkName, password: tried, signedIn });
      try {
        const link = await call(`/share_link/${encodeURIComponent(linkName)}/info`);
        setPassword(tried);
        setState({ phase: 'open', link, call });
      } catch (failure) {
        if (failure.code === 'share_link_password_not_provided') setState({ phase: 'password', wrong: false });
        else if (failure.code === 'share_link_password_not_correct') setState({ phase: 'password', wrong: true });
        else if (failure.status === 401) setState({ phase: 'signin' });
        else if (failure.status === 404 || failure.code === 'share_link_expired') setState({ phase: 'gone' });
        else setState({ phase: 'problem', message: failure.message });
      }
    },
    [signedIn],
  );
  useEffect(() => {
    if (signedIn !== null) open(password);
  }, [signedIn]);

  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">{t('appName')}</span>
        <span class="who">{state.phase === 'open' ? t('sharedBy', { name: state.link.owned_by.name }) : ''}</span>
        <LanguagePicker />
      </header>
      <main class="content">
        {state.phase === 'loading' && <p class="notice">{t('loading')}</p>}
        {state.phase === 'password' && <PasswordForm wrong={state.wrong} onSubmit={open} />}
        {state.phase === 'signin' && (
          <p class="notice" role="alert">
            {t('shareNeedsSignIn')} <a href="/">{t('goSignIn')}</a>
          </p>
        )}
        {state.phase === 'gone' && (
          <p class="notice" role="alert">
            {t('shareGone')}
          </p>
        )}
        {state.phase === 'problem' && <Problem message={state.message} />}
        {state.phase === 'open' && <Shared link={state.link} call={state.call} />}
      </main>
    </div>
  );
}

function PasswordForm({ wrong, onSubmit }) {
  return (
    <form
      class="card"
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(String(new FormData(event.currentTarget).get('password')));
      }}
    >
      <h1 class="card-title">{t('shareNeedsPassword')}</h1>
      <label>
        {t('password')}
        <input name="password" type="password" autocomplete="off" required autoFocus />
      </label>
      {wrong && (
        <p class="problem" role="alert">
          {t('wrongPassword')}
        </p>
      )}
      <button type="submit">{t('enter')}</button>
    </form>
  );
}

function folderFromHash() {
  const match = /^#\/folder\/(\d+)/.exec(location.hash);
  return match ? Number(match[1]) : null;
}

function Shared({ link, call }) {
  const [problem, setProblem] = useState(null);
  const [previewing, setPreviewing] = useState(null);
  const act = acting(setProblem);
  const preview = (item) =>
    act(async () => {
      const found = await call(`/file/${item.id}/preview`);
      setPreviewing({ name: item.name, token: found.preview_token });
    });
  const download = (item) =>
    act(async () => {
      const { download_url: url } = await call(`/file/${item.id}/download`);
      location.assign(url);
    });
  const actions = (item) =>
    item.type === 'file' && (
      <>
        <ItemButton item={item} label={t('preview')} onClick={preview} />
        {!link.disable_download && <ItemButton item={item} label={t('download')} onClick={download} />}
      </>
    );
  return (
    <section class="files">
      <Problem message={problem} />
      {link.disable_download && <p class="hint">{t('previewOnly')}</p>}
      {link.item.type === 'file' ? (
        <SharedFile id={link.item.id} call={call} actions={actions} />
      ) : (
        <SharedFolder root={link.item} call={call} actions={actions} onProblem={setProblem} />
      )}
      {previewing && <PreviewDialog {...previewing} onClose={() => setPreviewing(null)} />}
    </section>
  );
}

function SharedFile({ id, call, actions }) {
  const [file, setFile] = useState(null);
  useEffect(() => {
    call(`/file/${id}/info`).then(setFile, () => setFile(false));
  }, [id]);
  if (file === null) return <p class="notice">{t('loading')}</p>;
  if (file === false) return <p class="notice">{t('shareGone')}</p>;
  return (
    <div class="card shared-file" data-name={file.name}>
      <h1 class="card-title">{file.name}</h1>
      <p class="hint">{bytes(file.size)}</p>
      <div class="row-actions">{actions(file)}</div>
    </div>
  );
}

function SharedFolder({ root, call, actions, onProblem }) {
  const [folderId, setFolderId] = useState(folderFromHash() ?? root.id);
  const [listing, setListing] = useState(null);
  const [path, setPath] = useState([root]);
  useEffect(() => {
    const follow = () => setFolderId(folderFromHash() ?? root.id);
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    setListing(null);
    Promise.all([call(`/folder/${folderId}/children?page_id=0&page_capacity=500`), call(`/folder/${folderId}/info`)]).then(
      ([children, info]) => {
        // The owner's folders above the shared one are not the visitor's to see.
        setPath(folderId === root.id ? [root] : [root, ...pathBelow(info, root.id), { id: info.id, name: info.name }]);
        setListing(children);
      },
      (failure) => onProblem(failure.message),
    );
  }, [folderId]);
  return (
    <>
      <Crumbs path={path} href={(folder) => `#/folder/${folder.id}`} />
      {listing === null ? (
        <p class="notice">{t('loading')}</p>
      ) : (
        <ItemTable listing={listing} folderHref={(folder) => `#/folder/${folder.id}`} actions={actions} />
      )}
    </>
  );
}

render(<SharePage />, document.getElementById('app'));
