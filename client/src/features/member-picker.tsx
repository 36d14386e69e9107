import type { PublicUser } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { roleLabel } from '../ui/format.ts';
import './member-picker.css';
import { PresenceLine } from './people.tsx';
import { CloseIcon } from '../ui/icons.tsx';

const SHOWN = 8;

/**
 * Find people and add several at once (issue 13 §3): search the directory this device already holds (20,000
 * names filter in a few milliseconds, and it works for tutors, who have no admin routes), tick, add. Used by
 * the channel details dialog and the admin channel page, both loaded only when opened.
 */
export function MemberPicker(props: {
  /** People already in: not offered. */
  exclude: ReadonlySet<string>;
  /** Who may be offered at all (e.g. staff only for a staff channel). */
  allow?: (u: PublicUser) => boolean;
  onAdd: (people: PublicUser[]) => Promise<void>;
  idPrefix: string;
}) {
  const engine = useEngine();
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<PublicUser[]>([]);
  const [busy, setBusy] = useState(false);
  const q = query.trim().toLowerCase();
  const chosen = new Set(picked.map((u) => u.id));
  const matches =
    q === ''
      ? []
      : engine
          .directory()
          .filter(
            (u) =>
              u.active &&
              !props.exclude.has(u.id) &&
              (props.allow?.(u) ?? true) &&
              (u.displayName.toLowerCase().includes(q) || (u.username ?? '').includes(q)),
          )
          .slice(0, SHOWN);
  const toggle = (u: PublicUser, on: boolean) =>
    setPicked((old) => (on ? [...old, u] : old.filter((x) => x.id !== u.id)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (picked.length === 0) return;
    setBusy(true);
    try {
      await props.onAdd(picked);
      setPicked([]);
      setQuery('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="member-picker" onSubmit={(e) => void submit(e)}>
      <label htmlFor={`${props.idPrefix}-find`}>Find people to add</label>
      <input
        id={`${props.idPrefix}-find`}
        type="search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        placeholder="Type a name or username"
        autoComplete="off"
      />
      {q !== '' && (
        <fieldset className="picker-matches">
          <legend className="visually-hidden">Matching people</legend>
          {matches.length === 0 ? (
            <p className="muted">No one else matches.</p>
          ) : (
            matches.map((u) => (
              <label key={u.id} className="picker-row">
                <input
                  type="checkbox"
                  checked={chosen.has(u.id)}
                  onChange={(e) => toggle(u, e.target.checked)}
                />
                <span className="picker-name">{u.displayName}</span>
                <span className="muted">
                  {roleLabel(u.role)}
                  {engine.presenceOf(u.id) && (
                    <>
                      {' · '}
                      <PresenceLine userId={u.id} />
                    </>
                  )}
                </span>
              </label>
            ))
          )}
        </fieldset>
      )}
      {picked.length > 0 && (
        <ul className="picker-chips" aria-label="Chosen people">
          {picked.map((u) => (
            <li key={u.id}>
              {u.displayName}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${u.displayName} from the people to add`}
                onClick={() => toggle(u, false)}
              >
                <CloseIcon size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="submit" className="primary" disabled={busy || picked.length === 0}>
        {busy
          ? 'Adding…'
          : picked.length === 0
            ? 'Add people'
            : `Add ${picked.length} ${picked.length === 1 ? 'person' : 'people'}`}
      </button>
    </form>
  );
}
