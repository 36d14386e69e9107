import { pinnedMessages, plainText } from '@commonroom/model';
import { useConversationView, useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { relativeTime } from '../ui/format.ts';

// A pin shows its first 200 characters of plain words (formatting marks left out).
const preview = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** The conversation's pinned messages, newest pin first, each with a way to jump to it. */
export function PinnedList({
  conversationId,
  onJump,
  onClose,
}: {
  conversationId: string;
  onJump: (key: string) => void;
  onClose: () => void;
}) {
  const view = useConversationView(conversationId);
  if (!view) return null;
  const c = view.conversation;
  return (
    <Dialog
      title={`Pinned in ${c?.kind === 'dm' ? 'this conversation' : `#${c?.name ?? ''}`}`}
      onClose={onClose}
    >
      <PinnedItems conversationId={conversationId} onJump={onJump} />
    </Dialog>
  );
}

/** The list itself: also the Pinned tab of a channel's details. */
export function PinnedItems({
  conversationId,
  onJump,
}: {
  conversationId: string;
  onJump: (key: string) => void;
}) {
  const engine = useEngine();
  const view = useConversationView(conversationId);
  if (!view) return null;
  const c = view.conversation;
  const pinned = pinnedMessages(view.state);
  const now = Date.now();
  if (pinned.length === 0)
    return <p className="muted">Nothing is pinned yet. Pin a message from its “More actions” menu.</p>;
  return (
    <ul className="pinned-list">
      {pinned.map((m) => (
        <li key={m.key}>
          <p className="pinned-meta">
            <strong>{engine.user(m.authorId)?.displayName ?? 'Someone'}</strong>{' '}
            <span className="muted">
              · pinned by {engine.user(m.pinned?.by ?? '')?.displayName ?? 'a moderator'}{' '}
              {relativeTime(m.pinned?.ts ?? m.ts, now)}
            </span>
          </p>
          <p className="pinned-text">{preview(plainText(m.text))}</p>
          <div className="dialog-buttons">
            <button type="button" onClick={() => onJump(m.key)}>
              Jump to message
            </button>
            {c?.canModerate && (
              <button
                type="button"
                className="link-button"
                onClick={() => void engine.pin(conversationId, m.key, false).catch(() => undefined)}
              >
                Unpin
              </button>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
