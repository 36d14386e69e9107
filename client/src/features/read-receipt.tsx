import { RECEIPT_MAX_MEMBERS, seenBy, type MessageView } from '@commonroom/model';
import { useState } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { clockTime, dayLabel } from '../ui/format.ts';
import '../ui/unread-mentions.css';

function seenAt(at: number): string {
  const day = dayLabel(at, Date.now());
  return day === 'Today' ? clockTime(at) : `${day}, ${clockTime(at)}`;
}

/**
 * Under my newest message: in a DM "Seen" and when, once the other person has read it; in a small channel
 * (or a group DM) "Seen by N", with the names on hover, for screen readers, and on a tap (phones have no
 * hover); nothing in a larger channel.
 */
export function ReadReceipt({ conversationId, m }: { conversationId: string; m: MessageView }) {
  const engine = useEngine();
  // Read marks arrive at any time: re-draw on them, whatever the list around does.
  useEngineVersion();
  const [open, setOpen] = useState(false);
  const view = engine.view(conversationId);
  const c = view.conversation;
  if (!c) return null;
  // A DM's supervisor reads it too, but is not one of its people (issue 14 §4): not a "Seen".
  const seen = seenBy(view.state, m).filter(
    (s) => s.userId !== engine.me()?.id && s.userId !== c.supervisor?.id,
  );
  if (seen.length === 0) return null;

  if (c.kind === 'dm' && c.dmMembers.length <= 2) {
    const at = seen[0]?.at ?? 0;
    return (
      <p className="receipt" data-testid="read-receipt">
        Seen
        {at > 0 && (
          <>
            {' '}
            <time dateTime={new Date(at).toISOString()} title={new Date(at).toLocaleString()}>
              {seenAt(at)}
            </time>
          </>
        )}
      </p>
    );
  }
  if (c.kind !== 'dm' && c.memberCount > RECEIPT_MAX_MEMBERS) return null;
  const names = seen.map((s) => engine.user(s.userId)?.displayName ?? 'someone');
  return (
    <div className="receipt" data-testid="read-receipt">
      <button
        type="button"
        className="link-button receipt-toggle"
        aria-expanded={open}
        title={names.join(', ')}
        onClick={() => setOpen(!open)}
      >
        Seen by {seen.length}
        <span className="visually-hidden">: {names.join(', ')}</span>
      </button>
      {open && (
        <ul className="receipt-names">
          {seen.map((s, i) => (
            <li key={s.userId}>
              {names[i]}
              {s.at > 0 && <span className="muted"> · {seenAt(s.at)}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
