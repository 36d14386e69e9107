import type { PublicUser } from '@commonroom/protocol';
import { useEffect, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { roleLabel } from '../ui/format.ts';
import { conversationTitle, PresenceDot } from './people.tsx';

/** Description, topic and the people in a conversation. Members come from the server (online only). */
export function ChannelDetails({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const engine = useEngine();
  const c = engine.conversation(conversationId);
  const [members, setMembers] = useState<PublicUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void engine
      .members(conversationId)
      .then(setMembers)
      .catch(() => setError('The member list needs a connection.'));
  }, [engine, conversationId]);
  if (!c) return null;
  return (
    <Dialog title={c.kind === 'dm' ? conversationTitle(engine, c) : `#${c.name ?? ''}`} onClose={onClose}>
      {c.description && <p>{c.description}</p>}
      {c.topic && (
        <p>
          <strong>Topic:</strong> {c.topic}
        </p>
      )}
      <h3>
        {c.memberCount} {c.memberCount === 1 ? 'member' : 'members'}
      </h3>
      {error && <p className="muted">{error}</p>}
      {members && (
        <ul className="browser-list" aria-label="Members">
          {members.map((u) => (
            <li key={u.id}>
              <PresenceDot userId={u.id} />
              <span className="browser-name">
                {u.displayName} <span className="muted">{roleLabel(u.role)}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
