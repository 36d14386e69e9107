import { ApiError } from '@commonroom/engine';
import { useEffect, useState } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { byLocale } from '../ui/compare.ts';
import { Dialog } from '../ui/dialog.tsx';
import { roleLabel } from '../ui/format.ts';
import { PresenceDot, PresenceLine } from './people.tsx';
import { ErrorText } from '../ui/error-text.tsx';

/** Start a direct message: pick a person from the directory. */
export function NewMessage({ onClose, onOpen }: { onClose: () => void; onOpen: (id: string) => void }) {
  const engine = useEngine();
  useEngineVersion();
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void engine.users().catch(() => undefined);
  }, [engine]);
  const me = engine.me()?.id;
  const people = engine
    .directory()
    .filter((u) => u.id !== me && u.displayName.toLowerCase().includes(filter.toLowerCase()))
    .sort((a, b) => byLocale(a.displayName, b.displayName));

  const open = async (id: string) => {
    try {
      const c = await engine.openDm([id]);
      onOpen(c.id);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'You need to be online to start a conversation.');
    }
  };

  return (
    <Dialog title="New message" onClose={onClose}>
      <label>
        To
        <input
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="Type a name"
          autoFocus
        />
      </label>
      <ErrorText message={error} />
      <ul className="browser-list">
        {people.map((u) => (
          <li key={u.id}>
            <PresenceDot userId={u.id} />
            <span className="browser-name">
              <strong>{u.displayName}</strong> <span className="muted">{roleLabel(u.role)}</span>{' '}
              <PresenceLine userId={u.id} />
            </span>
            <button type="button" className="primary" onClick={() => void open(u.id)}>
              Message
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
