import {
  mayMute,
  ROLES,
  ROLE_LABELS,
  type AdminUser,
  type PasswordLink,
  type Role,
} from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import {
  changeRole,
  getPerson,
  parseCohorts,
  problem,
  resetPassword,
  setActive,
  signOutEverywhere,
  updatePerson,
} from './admin-api.ts';
import { CohortField } from './cohort-field.tsx';
import { Confirm } from './confirm.tsx';
import { LeadCard } from './lead-card.tsx';
import { LinkReveal } from './link-reveal.tsx';
import { PersonMutes } from './person-mutes.tsx';
import { CohortChips, lastSeenText } from './people-table.tsx';

type Pending = { title: string; text: string; action: string; danger?: boolean; run: () => Promise<string> };

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short' });

/** One person (/admin/people/:id): who they are, and the changes an admin makes, each confirmed first. */
export function PersonPage({ id }: { id: string }) {
  const engine = useEngine();
  const [person, setPerson] = useState<AdminUser | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [role, setRole] = useState<Role>('student');
  const [password, setPassword] = useState('');
  const [how, setHow] = useState<'link' | 'password'>('link');
  const [pending, setPending] = useState<Pending | null>(null);
  const [version, setVersion] = useState(0);
  const [name, setName] = useState('');
  const [cohorts, setCohorts] = useState('');
  const [link, setLink] = useState<PasswordLink | null>(null);

  useEffect(() => {
    let alive = true;
    getPerson(engine, id)
      .then((p) => {
        if (!alive) return;
        setPerson(p);
        setRole(p.role);
        setName(p.displayName);
        setCohorts((p.cohort ?? '').split(',').filter(Boolean).join(', '));
      })
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine, id, version]);

  const back = (
    <a
      href="/admin/people"
      className="back-link"
      onClick={(e) => {
        e.preventDefault();
        navigate('/admin/people');
      }}
    >
      ← People
    </a>
  );
  if (!person)
    return (
      <section className="admin-section" aria-busy={!error}>
        {back}
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const self = person.id === engine.me()?.id;
  const shown = person.displayName;
  const saveDetails = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const before = (person.cohort ?? '').split(',').filter(Boolean);
    const after = parseCohorts(cohorts);
    try {
      const u = await updatePerson(engine, person.id, { displayName: name.trim(), cohorts: after });
      const joined = after.filter((c) => !before.includes(c));
      const left = before.filter((c) => !after.includes(c));
      const said = [
        u.displayName !== shown ? `${shown} is now called ${u.displayName}` : null,
        joined.length > 0 ? `joined ${joined.join(', ')}` : null,
        left.length > 0 ? `left ${left.join(', ')}` : null,
      ].filter(Boolean);
      setResult(
        said.length > 0
          ? `Saved: ${said.join('; ')}. Their course channels follow their cohorts.`
          : 'Nothing to change.',
      );
      setVersion((v) => v + 1);
    } catch (err) {
      setError(problem(err));
    }
  };
  const confirmNow = async () => {
    const p = pending;
    setPending(null);
    if (!p) return;
    setError(null);
    setResult(null);
    try {
      setResult(await p.run());
      setVersion((v) => v + 1);
    } catch (e) {
      setError(problem(e));
    }
  };

  return (
    <section className="admin-section person" aria-labelledby="person-title">
      {back}
      <header className="admin-head">
        <div>
          <h1 id="person-title">{shown}</h1>
          <p className="muted admin-sub">
            {ROLE_LABELS[person.role]} ·{' '}
            <span className={`status-pill ${person.active ? 'status-active' : 'status-off'}`}>
              {person.active ? 'Active' : 'Deactivated'}
            </span>
          </p>
        </div>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <dl className="person-facts">
        <dt>Email</dt>
        <dd>{person.email ?? '—'}</dd>
        <dt>Username</dt>
        <dd>{person.username ?? '—'}</dd>
        <dt>Cohorts</dt>
        <dd>
          <CohortChips cohort={person.cohort} />
        </dd>
        <dt>Last seen</dt>
        <dd>{lastSeenText(person)}</dd>
        <dt>Created</dt>
        <dd>{person.createdAt > 0 ? dateFormat.format(person.createdAt) : '—'}</dd>
      </dl>

      <div className="admin-cards">
        <section className="admin-card" aria-labelledby="details-title">
          <h2 id="details-title">Name and cohorts</h2>
          <p className="muted">Course channels are joined and left to match the cohorts.</p>
          <form className="admin-form tight" onSubmit={(e) => void saveDetails(e)}>
            <label>
              Full name
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={80} />
            </label>
            <CohortField value={cohorts} onChange={setCohorts} />
            <div>
              <button type="submit">Save</button>
            </div>
          </form>
        </section>

        <section className="admin-card" aria-labelledby="role-title">
          <h2 id="role-title">Role</h2>
          <p className="muted">Staff and admin channels are joined or left to match the role.</p>
          <div className="inline-form">
            <label>
              <span className="visually-hidden">New role</span>
              <select
                aria-label="New role"
                value={role}
                disabled={self}
                onChange={(e) => setRole(e.target.value as Role)}
              >
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {ROLE_LABELS[r]}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              disabled={self || role === person.role}
              onClick={() =>
                setPending({
                  title: 'Change role',
                  text: `${shown} becomes ${ROLE_LABELS[role]} (now ${ROLE_LABELS[person.role]}). Their channels follow the new role.`,
                  action: 'Change role',
                  run: async () => {
                    await changeRole(engine, person.id, role);
                    return `${shown} is now ${ROLE_LABELS[role]}.`;
                  },
                })
              }
            >
              Change role
            </button>
          </div>
          {self && <p className="hint">You cannot change your own role.</p>}
        </section>

        <section className="admin-card" aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          <p className="muted">A reset signs them out on every device; the old password stops working.</p>
          <fieldset className="choice">
            <legend>Reset with</legend>
            <label className="radio">
              <input type="radio" name="reset-how" checked={how === 'link'} onChange={() => setHow('link')} />
              <span>A one-time link they open to choose a password</span>
            </label>
            <label className="radio">
              <input
                type="radio"
                name="reset-how"
                checked={how === 'password'}
                onChange={() => setHow('password')}
              />
              <span>A new password I give them</span>
            </label>
            {how === 'password' && (
              <label>
                <span className="visually-hidden">New password</span>
                <input
                  aria-label="New password"
                  type="text"
                  autoComplete="new-password"
                  placeholder="At least 10 characters"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </label>
            )}
          </fieldset>
          <div className="card-actions">
            <button
              type="button"
              disabled={how === 'password' && password.length < 10}
              onClick={() =>
                setPending({
                  title: 'Reset password',
                  text:
                    how === 'link'
                      ? `${shown} will be signed out on every device and their password stops working. You get a one-time link to send them.`
                      : `${shown} will be signed out on every device and sign in with the new password.`,
                  action: 'Reset password',
                  run: async () => {
                    if (how === 'link') {
                      const made = await resetPassword(engine, person.id, { link: true });
                      setLink(made);
                      return `${shown}'s password was reset. They were signed out on every device; send them the link.`;
                    }
                    await resetPassword(engine, person.id, { password });
                    setPassword('');
                    return `${shown}'s password was reset. They were signed out on every device.`;
                  },
                })
              }
            >
              Reset password
            </button>
          </div>
        </section>

        <section className="admin-card" aria-labelledby="access-title">
          <h2 id="access-title">Access</h2>
          <p className="muted">
            Signing out everywhere, or deactivating, clears this account's messages from every device at its
            next connection.
          </p>
          <div className="dialog-buttons">
            <button
              type="button"
              disabled={!person.active}
              onClick={() =>
                setPending({
                  title: 'Sign out everywhere',
                  text: `${shown} will be signed out on every device, and each device clears what it stored. They can sign in again.`,
                  action: 'Sign out everywhere',
                  run: async () => {
                    await signOutEverywhere(engine, person.id);
                    return `${shown} was signed out on every device.`;
                  },
                })
              }
            >
              Sign out everywhere
            </button>
            {person.active ? (
              <button
                type="button"
                className="danger"
                disabled={self}
                onClick={() =>
                  setPending({
                    title: `Deactivate ${shown}?`,
                    text: `${shown} can no longer sign in. Every device of theirs is signed out and clears their messages. You can reactivate the account later.`,
                    action: 'Deactivate',
                    danger: true,
                    run: async () => {
                      await setActive(engine, person.id, false);
                      return `${shown} was deactivated.`;
                    },
                  })
                }
              >
                Deactivate
              </button>
            ) : (
              <button
                type="button"
                onClick={() =>
                  setPending({
                    title: `Reactivate ${shown}?`,
                    text: `${shown} can sign in again with their password.`,
                    action: 'Reactivate',
                    run: async () => {
                      await setActive(engine, person.id, true);
                      return `${shown} was reactivated and can sign in again.`;
                    },
                  })
                }
              >
                Reactivate
              </button>
            )}
          </div>
        </section>

        <LeadCard key={person.role} person={person} onResult={setResult} onError={setError} />
        {!self && mayMute(engine.me()?.role ?? 'student', person.role) && (
          <PersonMutes
            person={person}
            onResult={(said) => {
              setError(null);
              setResult(said);
            }}
          />
        )}
      </div>
      {link && (
        <Dialog title={`Set-password link for ${shown}`} onClose={() => setLink(null)}>
          <LinkReveal link={link} name={shown} />
          <div className="dialog-buttons">
            <button type="button" onClick={() => setLink(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
      {pending && (
        <Confirm
          title={pending.title}
          action={pending.action}
          {...(pending.danger ? { danger: true } : {})}
          onConfirm={() => void confirmNow()}
          onCancel={() => setPending(null)}
        >
          <p>{pending.text}</p>
        </Confirm>
      )}
    </section>
  );
}
