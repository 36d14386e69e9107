import { ApiError } from '@commonroom/engine';
import { isStaffRole } from '@commonroom/protocol';
import { useState } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { byCodeUnit } from '../ui/compare.ts';
import { Dialog } from '../ui/dialog.tsx';
import { channelGlyph } from './sidebar.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { ChannelCreateForm } from './channel-create-form.tsx';

/** Find and join public channels; staff create new ones. */
export function ChannelBrowser({ onClose, onOpen }: { onClose: () => void; onOpen: (id: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const staff = isStaffRole(engine.me()?.role ?? 'student');
  const channels = engine
    .conversations()
    .filter((c) => c.kind !== 'dm' && (c.name ?? '').includes(filter.toLowerCase()))
    .sort((a, b) => byCodeUnit(a.name ?? '', b.name ?? ''));

  const explain = (e: unknown) =>
    setError(e instanceof ApiError ? e.message : 'You need to be online to do that.');

  return (
    <Dialog title="Browse channels" onClose={onClose}>
      <label>
        Find a channel
        <input value={filter} onChange={(e) => setFilter(e.target.value)} autoFocus />
      </label>
      <ErrorText message={error} />
      <ul className="browser-list channel-list">
        {channels.map((c) => (
          <li key={c.id}>
            <span className="glyph" aria-hidden="true">
              {channelGlyph(c)}
            </span>
            <span className="browser-name">
              <strong>#{c.name}</strong>
              {c.archived && <span className="muted"> (archived)</span>}
              {c.description && <span className="muted channel-desc"> {c.description}</span>}
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
      {staff && <ChannelCreateForm onCreated={onOpen} />}
    </Dialog>
  );
}
