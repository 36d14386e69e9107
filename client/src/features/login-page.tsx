import { ApiError, NetworkError } from '@commonroom/engine';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { ReplyIcon } from '../ui/icons.tsx';

/** Sign in with email or username. Errors in plain words; the button says what is happening. */
export function LoginPage({ notice, onSignedIn }: { notice?: string; onSignedIn: () => void }) {
  const engine = useEngine();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await engine.login(login, password);
      onSignedIn();
    } catch (err) {
      setError(
        err instanceof NetworkError
          ? 'You are offline. Connect to the internet to sign in.'
          : err instanceof ApiError
            ? err.message
            : 'Something went wrong. Please try again.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          <ReplyIcon size={26} /> Commonroom
        </h1>
        {notice && <p className="notice">{notice}</p>}
        <label>
          Email or username
          <input
            name="login"
            autoComplete="username"
            value={login}
            onChange={(e) => setLogin(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <ErrorText message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
