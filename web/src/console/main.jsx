// The web console: sign-in, then the person's files (browse, upload by picking or dropping
// with progress, download, rename, delete, preview). Everything it does goes through the open
// API with the console's bearer tokens.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t, lang } from '../lib/i18n.js';
import { useSignal } from '../lib/signal.js';
import { whoAmI, signIn, signOut } from '../lib/api.js';
import { LanguagePicker } from '../components.jsx';
import { Files } from './files.jsx';
import '../style.css';

function App() {
  useSignal(lang);
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
          <a href="#/" aria-current="page">
            {t('myFiles')}
          </a>
        </nav>
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
        <Files />
      </main>
    </div>
  );
}

function SignIn({ onSignedIn }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
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
