import { ApiError } from '@commonroom/engine';
import { isStaffRole, slugifyChannelName } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { byCodeUnit } from '../ui/compare.ts';
import { Dialog } from '../ui/dialog.tsx';
import { channelGlyph } from './sidebar.tsx';
import { ErrorText } from '../ui/error-text.tsx';

/** Find and join public channels; staff create new ones. */
export function ChannelBrowser({ onClose, onOpen }: { onClose: () => void; onOpen: (id: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const staff = isStaffRole(engine.me()?.role ?? 'student');
  const channels = engine
    .conversations()
    .filter((c) => c.kind !== 'dm' && (c.name ?? '').includes(filter.toLowerCase()))
    .sort((a, b) => byCodeUnit(a.name ?? '', b.name ?? ''));

  const explain = (e: unknown) =>
    setError(e instanceof ApiError ? e.message : 'You need to be online to do that.');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const c = await engine.createChannel(slugifyChannelName(name, true), kind);
      onOpen(c.id);
    } catch (err) {
      explain(err);
    }
  };

  return (
    <Dialog title="Browse channels" onClose={onClose}>
      <label>
        Find a channel
        <input value={filter} onChange={(e) => setFilter(e.target.value)} autoFocus />
      </label>
      <ErrorText message={error} />
      <ul className="browser-list">
        {channels.map((c) => (
          <li key={c.id}>
            <span className="glyph" aria-hidden="true">
              {channelGlyph(c)}
            </span>
            <span className="browser-name">
              <strong>#{c.name}</strong>
              {c.archived && <span className="muted"> (archived)</span>}
              <span className="muted"> {c.description}</span>
            </span>
            {c.isMember ? (
              <button type="button" onClick={() => onOpen(c.id)}>
                Open
              </button>
            ) : (
              <button
                type="button"
                className="primary"
                onClick={() =>
                  void engine
                    .join(c.id)
                    .then(() => onOpen(c.id))
                    .catch(explain)
                }
              >
                Join
              </button>
            )}
          </li>
        ))}
      </ul>
      {staff && (
        <form className="create-channel" onSubmit={(e) => void create(e)}>
          <h3>Create a channel</h3>
          <label>
            Name
            <input
              value={name}
              onChange={(e) => setName(slugifyChannelName(e.target.value))}
              placeholder="e.g. level2-revision"
              required
            />
          </label>
          <label>
            Who can find it
            <select
              value={kind}
              onChange={(e) => setKind(e.target.value === 'private' ? 'private' : 'public')}
            >
              <option value="public">Everyone (public)</option>
              <option value="private">Invited people only (private)</option>
            </select>
          </label>
          <button type="submit" className="primary">
            Create
          </button>
        </form>
      )}
    </Dialog>
  );
}
