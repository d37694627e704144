// The web console: sign-in (password, or a 免登 link that lands here signed in), then the
// person's files (browse, upload by picking or dropping with progress, download, rename,
// move, copy, versions, share links, collaborators, comments, preview), search and the
// trash; administrators also get the enterprise's administration. Everything it does goes
// through the open API with the console's bearer tokens.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t, lang } from '../lib/i18n.js';
import { useSignal } from '../lib/signal.js';
import { whoAmI, signIn, signOut } from '../lib/api.js';
import { LanguagePicker } from '../components.jsx';
import { Files, Search, Trash } from './files.jsx';
import { Admin, adminRoute } from './admin.jsx';
import '../style.css';

/// Where the console is: `#/folder/{id}`, `#/trash`, `#/search?q=…`, `#/admin/…`.
function route() {
  const hash = location.hash;
  const admin = adminRoute(hash);
  if (admin) return admin;
  const folder = /^#\/folder\/(\d+)/.exec(hash);
  if (folder) return { page: 'files', folderId: Number(folder[1]) };
  if (hash.startsWith('#/trash')) return { page: 'trash' };
  if (hash.startsWith('#/search')) {
    return { page: 'search', query: new URLSearchParams(hash.split('?')[1] ?? '').get('q') ?? '' };
  }
  return { page: 'files', folderId: 0 };
}

function useRoute() {
  const [where, setWhere] = useState(route());
  useEffect(() => {
    const follow = () => setWhere(route());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return where;
}

function App() {
  useSignal(lang);
  const where = useRoute();
  const [session, setSession] = useState(undefined);
  useEffect(() => {
    whoAmI()
      .then(setSession)
      .catch(() => setSession(null));
  }, []);
  if (session === undefined) return <p class="notice">{t('loading')}</p>;
  if (!session) return <SignIn onSignedIn={setSession} />;
  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">{t('appName')}</span>
        <nav aria-label={t('appName')} class="topnav">
          <a href="#/" aria-current={where.page === 'files' ? 'page' : undefined}>
            {t('myFiles')}
          </a>
          <a href="#/trash" aria-current={where.page === 'trash' ? 'page' : undefined}>
            {t('trashBin')}
          </a>
          {session.isAdmin && (
            <a href="#/admin/users" aria-current={where.page === 'admin' ? 'page' : undefined}>
              {t('admin')}
            </a>
          )}
        </nav>
        <form
          role="search"
          class="searchbox"
          onSubmit={(event) => {
            event.preventDefault();
            const words = String(new FormData(event.currentTarget).get('q')).trim();
            if (words) location.hash = `#/search?q=${encodeURIComponent(words)}`;
          }}
        >
          <label>
            <span class="visually-hidden">{t('search')}</span>
            <input name="q" type="search" placeholder={t('searchPlaceholder')} defaultValue={where.query ?? ''} />
          </label>
        </form>
        <span class="who">{session.user.name}</span>
        <LanguagePicker />
        <button
          type="button"
          class="quiet"
          onClick={async () => {
            await signOut();
            setSession(null);
          }}
        >
          {t('signOut')}
        </button>
      </header>
      <main class="content">
        {where.page === 'files' && <Files key={where.folderId} folderId={where.folderId} />}
        {where.page === 'trash' && <Trash />}
        {where.page === 'search' && <Search query={where.query} />}
        {where.page === 'admin' &&
          (session.isAdmin ? <Admin section={where.section} id={where.id} /> : <p class="notice">{t('notAdmin')}</p>)}
      </main>
    </div>
  );
}

function SignIn({ onSignedIn }) {
  const [busy, setBusy] = useState(false);
  // A 免登 link that could not sign the person in lands here with `#/sso-failed`.
  const [problem, setProblem] = useState(location.hash.startsWith('#/sso-failed') ? t('ssoFailed') : null);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setProblem(null);
    try {
      await signIn(String(form.get('login')), String(form.get('password')));
      onSignedIn(await whoAmI());
    } catch (failure) {
      setProblem(failure.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <div class="signin-top">
        <h1>{t('appName')}</h1>
        <LanguagePicker />
      </div>
      <form onSubmit={submit} class="card">
        <label>
          {t('login')}
          <input name="login" type="text" autocomplete="username" required />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        {problem && (
          <p class="problem" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? t('signingIn') : t('signIn')}
        </button>
      </form>
    </main>
  );
}

render(<App />, document.getElementById('app'));
