import { ROLES, ROLE_LABELS, isAdminRole, type PasswordLink, type Role } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { createPerson, parseCohorts, problem } from './admin-api.ts';
import { CohortField } from './cohort-field.tsx';
import { LinkReveal } from './link-reveal.tsx';

/**
 * Adds one person: name, an email address or a username, a role, cohorts, and how they first sign in: a
 * one-time set-password link (shown once, here) or a password the admin gives them.
 */
export function CreatePerson({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (message: string) => void;
}) {
  const engine = useEngine();
  const [name, setName] = useState('');
  const [login, setLogin] = useState('');
  const [role, setRole] = useState<Role>('student');
  const [cohorts, setCohorts] = useState('');
  const [how, setHow] = useState<'link' | 'password'>('link');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<{ name: string; link: PasswordLink } | null>(null);
  // Only a super admin may make another (the server says so too); others are not offered it.
  const roles = ROLES.filter((r) => r !== 'super_admin' || engine.me()?.role === 'super_admin');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const l = login.trim();
    try {
      const reply = await createPerson(engine, {
        displayName: name.trim(),
        ...(l.includes('@') ? { email: l } : { username: l }),
        role,
        cohorts: parseCohorts(cohorts),
        ...(how === 'password' ? { password } : { link: true }),
      });
      if (reply.link) setMade({ name: reply.user.displayName, link: reply.link });
      else onCreated(`${reply.user.displayName} was added. They can sign in with the password you set.`);
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  if (made)
    return (
      <Dialog
        title={`${made.name} was added`}
        onClose={() => onCreated(`${made.name} was added. Their set-password link was shown once.`)}
      >
        <LinkReveal link={made.link} name={made.name} />
        <div className="dialog-buttons">
          <button
            type="button"
            onClick={() => onCreated(`${made.name} was added. Their set-password link was shown once.`)}
          >
            Done
          </button>
        </div>
      </Dialog>
    );

  return (
    <Dialog title="Add a person" onClose={onClose}>
      <form className="admin-form" onSubmit={(e) => void submit(e)}>
        <label>
          Full name
          <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label>
          Email or username
          <input
            value={login}
            onChange={(e) => setLogin(e.target.value)}
            required
            autoComplete="off"
            aria-describedby="login-hint"
          />
          <span id="login-hint" className="hint">
            An email address if they have one; otherwise a username such as a student number.
          </span>
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
        {isAdminRole(role) && <p className="notice">Admins can add, change and deactivate every account.</p>}
        <CohortField value={cohorts} onChange={setCohorts} />
        <fieldset className="choice">
          <legend>How they first sign in</legend>
          <label className="radio">
            <input type="radio" name="how" checked={how === 'link'} onChange={() => setHow('link')} />
            <span>
              A one-time link
              <span className="hint"> — shown once after adding; they choose their own password.</span>
            </span>
          </label>
          <label className="radio">
            <input type="radio" name="how" checked={how === 'password'} onChange={() => setHow('password')} />
            <span>A password I give them</span>
          </label>
          {how === 'password' && (
            <label>
              Initial password
              <input
                type="text"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                minLength={10}
                autoComplete="new-password"
                aria-describedby="password-hint"
              />
              <span id="password-hint" className="hint">
                At least 10 characters. Give it to them in person; they can change it after signing in.
              </span>
            </label>
          )}
        </fieldset>
        <ErrorText message={error} />
        <div className="dialog-buttons">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add person'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
