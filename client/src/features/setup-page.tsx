import { ApiError } from '@commonroom/engine';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { ErrorText } from '../ui/error-text.tsx';

/**
 * First start: the one-time link printed by the server (/setup#token) creates the first super admin. The
 * token stays in the URL fragment, so it never reaches a server log.
 */
export function SetupPage({ token, onDone }: { token: string; onDone: () => void }) {
  const engine = useEngine();
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/api/auth/setup', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ token, displayName, email, password }),
      });
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      if (!res.ok) throw new ApiError(res.status, 'setup', body.message ?? 'Setup did not work.');
      await engine.login(email, password);
      history.replaceState(null, '', '/');
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'You need a connection to set up Commonroom.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="setup-title">
        <h1 id="setup-title">Create the first admin account</h1>
        <p className="muted">This account can add everyone else, manage channels and keep students safe.</p>
        <label>
          Your name
          <input
            value={displayName}
            onChange={(e) => setDisplayName(e.target.value)}
            autoComplete="name"
            required
          />
        </label>
        <label>
          Email
          <input
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="email"
            required
          />
        </label>
        <label>
          Password (at least 10 characters)
          <input
            type="password"
            value={password}
            minLength={10}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            required
          />
        </label>
        <ErrorText message={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </main>
  );
}
