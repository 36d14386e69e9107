import { ApiError } from '@commonroom/engine';
import { SetPasswordReply, SetPasswordState } from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { ErrorText } from '../ui/error-text.tsx';

/** The token of /set-password#<token> (as made) or /set-password/<token>. */
const tokenOf = (): string =>
  location.hash.slice(1) || (/^\/set-password\/([A-Za-z0-9_-]+)\/?$/.exec(location.pathname)?.[1] ?? '');

const SAID: Record<'used' | 'expired' | 'invalid', { title: string; text: string }> = {
  used: {
    title: 'This link has already been used',
    text: 'Each link works once. If you already chose a password, sign in with it. If you did not use this link, tell an admin at your college and ask for a new one.',
  },
  expired: {
    title: 'This link has expired',
    text: 'Links work for 72 hours. Ask an admin at your college for a new one.',
  },
  invalid: {
    title: 'This link does not work',
    text: 'It may have been copied only in part, or replaced by a newer link. Ask an admin at your college for a new one.',
  },
};

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!res.ok) throw new ApiError(res.status, json.error ?? 'error', json.message ?? 'That did not work.');
  return json;
}

/**
 * A one-time set-password link (issue 13 §2): says at once whether the link still works, in plain words if
 * not; otherwise the person chooses a password and is signed in. The token stays in the address's fragment.
 */
export function SetPasswordPage({
  signedInAs,
  onDone,
  onSignIn,
}: {
  /** Someone is signed in on this device already: they must sign out before using another's link. */
  signedInAs: string | null;
  onDone: () => void;
  onSignIn: () => void;
}) {
  const engine = useEngine();
  const [token] = useState(tokenOf);
  const [state, setState] = useState<SetPasswordState | null>(null);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    post('/api/auth/set-password/check', { token })
      .then((r) => alive && setState(SetPasswordState.parse(r)))
      .catch((e: unknown) => {
        if (!alive) return;
        if (e instanceof ApiError && e.status === 400) setState({ state: 'invalid' });
        else setError('You need a connection to use this link. Connect and reload the page.');
      });
    return () => {
      alive = false;
    };
  }, [token]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) {
      setError('The two passwords are not the same.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { login } = SetPasswordReply.parse(await post('/api/auth/set-password', { token, password }));
      await engine.login(login, password);
      history.replaceState(null, '', '/');
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'You need a connection to set your password.');
    } finally {
      setBusy(false);
    }
  };

  const goSignIn = () => {
    history.replaceState(null, '', '/');
    onSignIn();
  };

  if (signedInAs)
    return (
      <main className="login" id="main">
        <div className="login-card">
          <h1>Sign out first</h1>
          <p>
            This device is signed in as {signedInAs}. A set-password link is for one person: sign out, then
            open the link again.
          </p>
          <button type="button" className="primary" onClick={goSignIn}>
            Go to my messages
          </button>
        </div>
      </main>
    );

  if (state && state.state !== 'valid') {
    const said = SAID[state.state];
    return (
      <main className="login" id="main">
        <div className="login-card" role="alert">
          <h1>{said.title}</h1>
          <p>{said.text}</p>
          <button type="button" className="primary" onClick={goSignIn}>
            Go to sign in
          </button>
        </div>
      </main>
    );
  }

  return (
    <main className="login" id="main">
      <form
        className="login-card"
        onSubmit={(e) => void submit(e)}
        aria-labelledby="set-title"
        aria-busy={!state}
      >
        <h1 id="set-title">Choose your password</h1>
        {state ? (
          <p className="muted">
            Hello {state.displayName}. Choose a password for Commonroom: at least 10 characters. A few words
            you will remember make a good one.
          </p>
        ) : (
          !error && <p className="muted">Checking your link…</p>
        )}
        <label>
          New password
          <input
            type="password"
            value={password}
            minLength={10}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="new-password"
            required
            disabled={!state}
          />
        </label>
        <label>
          The same password again
          <input
            type="password"
            value={again}
            minLength={10}
            onChange={(e) => setAgain(e.target.value)}
            autoComplete="new-password"
            required
            disabled={!state}
          />
        </label>
        <ErrorText message={error} />
        <button type="submit" className="primary" disabled={busy || !state}>
          {busy ? 'Saving…' : 'Set password and sign in'}
        </button>
      </form>
    </main>
  );
}
