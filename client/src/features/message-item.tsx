import type { EngineMessage } from '@commonroom/engine';
import { isStaffRole } from '@commonroom/protocol';
import { useEngine } from '../hooks/engine-context.tsx';
import { clockTime, initials, relativeTime, roleLabel } from '../ui/format.ts';
import { LinkifiedText } from '../ui/linkified-text.tsx';

/** One message: who, their role, when, the text, and an honest delivery state for one's own. */
export function MessageItem({
  m,
  now,
  mentionNames,
}: {
  m: EngineMessage;
  now: number;
  mentionNames: ReadonlySet<string>;
}) {
  const engine = useEngine();
  const author = engine.user(m.authorId);
  const mine = m.authorId === engine.me()?.id;
  const name = author?.displayName ?? (mine ? (engine.me()?.displayName ?? 'You') : 'Someone');
  const role = author?.role ?? (mine ? engine.me()?.role : undefined);
  const gone = m.deleted || m.removed !== null;
  return (
    <article
      className={`msg${mine ? ' mine' : ''}${m.status !== 'sent' ? ` msg-${m.status}` : ''}`}
      aria-label={`${name}, ${relativeTime(m.ts, now)}`}
      data-key={m.key}
    >
      <span className="avatar" aria-hidden="true">
        {initials(name)}
      </span>
      <div className="msg-body">
        <header className="msg-head">
          <span className="author">{name}</span>
          {role && (
            <span className={`role role-${isStaffRole(role) ? 'staff' : 'student'}`}>{roleLabel(role)}</span>
          )}
          <time dateTime={new Date(m.ts).toISOString()} title={new Date(m.ts).toLocaleString()}>
            {relativeTime(m.ts, now)}
          </time>
          {m.editedAt !== null && !gone && (
            <span className="edited" title={`Edited ${new Date(m.editedAt).toLocaleString()}`}>
              (edited)
            </span>
          )}
          {m.pinned && <span className="pinned">📌 Pinned</span>}
        </header>
        {gone ? (
          <p className="text deleted">
            {m.removed ? 'This message was removed by a moderator.' : 'This message was deleted.'}
          </p>
        ) : (
          <p className="text">
            <LinkifiedText text={m.text} mentionNames={mentionNames} />
          </p>
        )}
        {m.reactions.length > 0 && (
          <ul className="reactions" aria-label="Reactions">
            {m.reactions.map((r) => (
              <li
                key={r.emoji}
                title={r.userIds.map((id) => engine.user(id)?.displayName ?? 'someone').join(', ')}
              >
                {r.emoji} {r.userIds.length}
              </li>
            ))}
          </ul>
        )}
        {m.replyCount > 0 && (
          <p className="replies">
            {m.replyCount} {m.replyCount === 1 ? 'reply' : 'replies'}
            {m.lastReplyTs !== null && ` · last ${relativeTime(m.lastReplyTs, now)}`}
          </p>
        )}
        {mine && m.status === 'waiting' && (
          <p className="delivery" data-status="waiting">
            Waiting to send
          </p>
        )}
        {mine && m.status === 'rejected' && (
          <p className="delivery delivery-rejected" data-status="rejected" role="alert">
            Not sent: {m.error ?? 'the server did not accept it'}.{' '}
            <button type="button" className="link-button" onClick={() => void engine.dismiss(m.key)}>
              Dismiss
            </button>
          </p>
        )}
        {mine && m.status === 'sent' && (
          <span className="visually-hidden" data-status="sent">
            Sent {clockTime(m.ts)}
          </span>
        )}
      </div>
    </article>
  );
}
