import { ApiError, NetworkError } from '@commonroom/engine';
import { OkReply } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';

/** The server's rule (packages/protocol Password): said at the field, checked again there. */
const MIN_LENGTH = 10;

/**
 * Change one's own password (issue 13 §4): the current one, then the new one twice. The server ends every
 * other session of this person and closes their sockets; this device stays signed in.
 */
export function PasswordForm() {
  const engine = useEngine();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (next.length < MIN_LENGTH)
      return setError(`The new password needs at least ${MIN_LENGTH} characters.`);
    if (next !== again) return setError('The two new passwords are not the same.');
    if (next === current) return setError('The new password is the same as the current one.');
    setBusy(true);
    try {
      await engine.api.request('POST', '/api/auth/password', OkReply, {
        currentPassword: current,
        newPassword: next,
      });
      setCurrent('');
      setNext('');
      setAgain('');
      setDone('Password changed. You were signed out on your other devices; this one stays signed in.');
    } catch (err) {
      setError(
        err instanceof NetworkError
          ? 'You are offline. Connect to change your password.'
          : err instanceof ApiError
            ? err.message
            : 'Something went wrong. Please try again.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="profile-card" aria-labelledby="password-title" onSubmit={(e) => void submit(e)}>
      <h2 id="password-title">Change password</h2>
      <p className="hint">Changing it signs you out on every other device.</p>
      {/* For password managers: which account this form belongs to. */}
      <input
        type="text"
        name="username"
        autoComplete="username"
        value={engine.me()?.email ?? engine.me()?.username ?? ''}
        readOnly
        hidden
      />
      <label>
        Current password
        <input
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          required
        />
      </label>
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          aria-describedby="new-password-hint"
          minLength={MIN_LENGTH}
          maxLength={256}
          value={next}
          onChange={(e) => setNext(e.target.value)}
          required
        />
      </label>
      <p className="hint field-hint" id="new-password-hint">
        At least {MIN_LENGTH} characters. A few unrelated words are easy to remember and hard to guess.
      </p>
      <label>
        New password again
        <input
          type="password"
          autoComplete="new-password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
          required
        />
      </label>
      <ErrorText message={error} />
      {done && (
        <p className="profile-done" role="status">
          {done}
        </p>
      )}
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}
