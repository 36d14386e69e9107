import type { EngineMessage } from '@commonroom/engine';
import { avatarHex, isStaffRole, LIMITS, type Role } from '@commonroom/protocol';
import { broadcastProblem } from '../ui/broadcast-rule.ts';
import { Suspense, useId, useState, type KeyboardEvent } from 'react';
import { lazy } from '../ui/lazy.tsx';
import { useEngine } from '../hooks/engine-context.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { clockTime, gutterTime, initials, relativeTime, roleLabel } from '../ui/format.ts';
import { MessageText } from '../ui/markdown/message-text.tsx';
import { useConversationControls } from './conversation-context.tsx';
import { ReactionChips } from './reaction-chips.tsx';
import { PinIcon } from '../ui/icons.tsx';

// The actions toolbar (react, reply, edit, delete, pin, report, mute and their menu) loads just after the
// first screen, from the service worker's cache when offline: it kept the first screen over its budget.
// Quiet when it cannot load (a first visit gone offline early): a notice inside every message would
// squeeze the text to a letter a line; the message still reads, and its actions return with a reload.
const MessageActions = lazy(
  async () => ({ default: (await import('./message-actions.tsx')).MessageActions }),
  { quiet: true },
);

// Thumbnails, cards and their viewer load with the first message that has files.
const MessageFiles = lazy(async () => ({
  default: (await import('./attachments/message-files.tsx')).MessageFiles,
}));

/** One message: who, their role, when, the text, reactions, thread summary, and its delivery state. */
export function MessageItem({
  m,
  now,
  mentionNames,
  grouped = false,
}: {
  m: EngineMessage;
  now: number;
  mentionNames: ReadonlySet<string>;
  /** Continues the same person's run just above (message-groups.ts): no name or avatar, time on hover. */
  grouped?: boolean;
}) {
  const engine = useEngine();
  const controls = useConversationControls();
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const author = engine.user(m.authorId);
  const mine = m.authorId === engine.me()?.id;
  const name = author?.displayName ?? (mine ? (engine.me()?.displayName ?? 'You') : 'Someone');
  const role = author?.role ?? (mine ? engine.me()?.role : undefined);
  const gone = m.deleted || m.removed !== null;
  const c = controls?.conversation;
  const replyNames = m.replyAuthors
    .slice(0, 3)
    .map((id) => engine.user(id)?.displayName ?? (id === engine.me()?.id ? 'You' : 'someone'));
  return (
    <article
      className={`msg${grouped ? ' msg-grouped' : ''}${mine ? ' mine' : ''}${m.status !== 'sent' ? ` msg-${m.status}` : ''}${m.pinned ? ' msg-pinned' : ''}`}
      aria-label={`${name}, ${relativeTime(m.ts, now)}`}
      data-key={m.key}
      tabIndex={-1}
    >
      {grouped ? (
        // The run's name and avatar are above; the time shows here on hover or focus (the article's label
        // already says who and when to a screen reader).
        <span className="msg-gutter" aria-hidden="true">
          <time dateTime={new Date(m.ts).toISOString()} title={new Date(m.ts).toLocaleString()}>
            {gutterTime(m.ts)}
          </time>
        </span>
      ) : (
        <span
          className="avatar"
          aria-hidden="true"
          onClick={() => controls?.openProfile(m.authorId)}
          style={{
            background: avatarHex(author?.avatarColour ?? (mine ? engine.me()?.avatarColour : undefined)),
          }}
        >
          {initials(name)}
        </span>
      )}
      <div className="msg-body">
        <header className="msg-head">
          {!grouped && (
            <>
              <button type="button" className="author" onClick={() => controls?.openProfile(m.authorId)}>
                {name}
              </button>
              {author?.pronouns && <span className="pronouns">{author.pronouns}</span>}
              {role && (
                <span className={`role role-${isStaffRole(role) ? 'staff' : 'student'}`}>
                  {roleLabel(role)}
                </span>
              )}
              <time dateTime={new Date(m.ts).toISOString()} title={new Date(m.ts).toLocaleString()}>
                {relativeTime(m.ts, now)}
              </time>
            </>
          )}
          {m.editedAt !== null && !gone && (
            <span className="edited" title={`Edited ${new Date(m.editedAt).toLocaleString()}`}>
              (edited)
            </span>
          )}
          {m.pinned && !gone && (
            <span className="pinned">
              <PinIcon size={13} /> Pinned
            </span>
          )}
          {m.parent !== null && m.alsoChannel && !controls?.inThread && (
            <button
              type="button"
              className="link-button small"
              onClick={() => controls?.openThread(m.parent ?? '')}
            >
              replied to a thread
            </button>
          )}
        </header>
        {gone ? (
          <p
            className={`text deleted${m.removed ? ' removed' : ''}`}
            data-placeholder={m.removed ? 'removed' : 'deleted'}
          >
            {m.removed ? 'Removed by a moderator' : 'This message was deleted.'}
          </p>
        ) : editing ? (
          <EditBox
            initial={m.text}
            hasFiles={m.files.length > 0}
            role={engine.me()?.role}
            onCancel={() => setEditing(false)}
            onSave={(text) => {
              setEditing(false);
              if (text !== m.text && c)
                void engine
                  .edit(c.id, m.localId, text)
                  .catch(() => setProblem('The edit could not be saved on this device. Please try again.'));
            }}
          />
        ) : (
          m.text !== '' && <MessageText text={m.text} mentionNames={mentionNames} />
        )}
        {!gone && m.files.length > 0 && (
          <Suspense fallback={<div className="msg-files" aria-busy="true" />}>
            <MessageFiles files={m.files} owner={{ conversationId: c?.id ?? '', messageKey: m.key }} />
          </Suspense>
        )}
        {c && !gone && (
          <ReactionChips
            m={m}
            conversationId={c.id}
            canReact={c.isMember && c.supervisor?.id !== engine.me()?.id}
          />
        )}
        {m.replyCount > 0 && !controls?.inThread && (
          <button type="button" className="replies link-button" onClick={() => controls?.openThread(m.key)}>
            <span className="reply-avatars" aria-hidden="true">
              {replyNames.map((n, i) => (
                <span key={i} className="avatar tiny">
                  {initials(n)}
                </span>
              ))}
            </span>
            {m.replyCount} {m.replyCount === 1 ? 'reply' : 'replies'}
            {m.lastReplyTs !== null && (
              <span className="muted"> · last {relativeTime(m.lastReplyTs, now)}</span>
            )}
            {/* Named by what it shows, then who and what (no aria-label: axe label-content-name-mismatch). */}
            <span className="visually-hidden">, from {replyNames.join(', ')}. Open thread</span>
          </button>
        )}
        {mine && m.status === 'saving' && (
          <span className="visually-hidden" data-status="saving">
            Saving on this device
          </span>
        )}
        {mine && m.status === 'waiting' && (
          <p className="delivery" data-status="waiting">
            {engine.status().slowedUntil === null
              ? 'Waiting to send'
              : 'Waiting to send: sending too fast, will retry shortly'}
          </p>
        )}
        {mine && m.status === 'rejected' && (
          <p className="delivery delivery-rejected" data-status="rejected" role="alert">
            {m.seq === null ? 'Not sent' : 'Your change was not accepted'}:{' '}
            {m.error ?? 'the server did not accept it'}.{' '}
            {m.seq === null && c && (
              <button
                type="button"
                className="link-button"
                onClick={() =>
                  // Sent again as a new message (now), then the refused copy is forgotten: nothing is lost
                  // if the second send is refused too, it shows here again with its reason.
                  void engine
                    .send(c.id, m.text, {
                      ...(m.parent !== null ? { parent: m.parent } : {}),
                      ...(m.alsoChannel ? { alsoChannel: true } : {}),
                    })
                    .then(() => engine.dismiss(m.key))
                    .catch(() => setProblem('That could not be saved on this device. Please try again.'))
                }
              >
                Send again
              </button>
            )}{' '}
            <button type="button" className="link-button" onClick={() => void engine.dismiss(m.key)}>
              {m.seq === null ? 'Discard' : 'Dismiss'}
            </button>
          </p>
        )}
        {mine && m.status === 'sent' && (
          <span className="visually-hidden" data-status="sent">
            Sent {clockTime(m.ts)}
          </span>
        )}
        <ErrorText message={problem} />
      </div>
      {!editing && (
        <Suspense fallback={null}>
          <MessageActions m={m} onEdit={() => setEditing(true)} onProblem={setProblem} />
        </Suspense>
      )}
    </article>
  );
}

/** Editing in place: Enter saves, Shift+Enter adds a line, Escape cancels. An edit cannot empty a message. */
function EditBox({
  initial,
  hasFiles,
  role,
  onSave,
  onCancel,
}: {
  initial: string;
  hasFiles: boolean;
  role: Role | undefined;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const id = useId();
  const body = text.trim();
  const tooLong = body.length > LIMITS.maxMessageChars;
  const refused = broadcastProblem(body, role);
  const save = () => {
    if (body && !tooLong && !refused) onSave(body);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onCancel();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      save();
    }
  };
  return (
    <form
      className="edit-box"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <label className="visually-hidden" htmlFor={id}>
        Edit message
      </label>
      <textarea
        id={id}
        value={text}
        rows={Math.min(6, text.split('\n').length + 1)}
        autoFocus
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
      />
      <div className="edit-buttons">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!body || tooLong || refused !== null}>
          Save
        </button>
        {!body && (
          <span className="muted">
            {hasFiles
              ? 'A caption can be changed but not emptied once sent; to take it away, delete the message.'
              : 'An edit cannot empty a message; delete it instead.'}
          </span>
        )}
        {tooLong && (
          <span className="error">
            Messages can be up to {LIMITS.maxMessageChars.toLocaleString()} characters.
          </span>
        )}
        {refused && <span className="error">{refused}</span>}
      </div>
    </form>
  );
}
