import type { EngineMessage } from '@commonroom/engine';
import { Suspense, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { lazy } from '../ui/lazy.tsx';
import { useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { useConversationControls } from './conversation-context.tsx';
import { mayMute } from '@commonroom/protocol';
import { MoreIcon, ReplyIcon, SmileIcon } from '../ui/icons.tsx';

const MuteDialog = lazy(async () => ({ default: (await import('./mute-dialog.tsx')).MuteDialog }));
const EmojiPicker = lazy(async () => ({ default: (await import('./emoji-picker.tsx')).EmojiPicker }));
// Reporting is rare: its dialog loads when first opened (the first screen stays small).
const ReportDialog = lazy(async () => ({ default: (await import('./report-dialog.tsx')).ReportDialog }));

/**
 * The actions on one message: react, reply in thread, and a "more" menu (edit, delete, remove, pin, mark
 * unread). Shown when the message is hovered or holds focus, so a tap on a phone and Tab on a keyboard
 * reach it the same way. Only what this person may do is offered; the server checks again.
 */
export function MessageActions({
  m,
  onEdit,
  onProblem,
}: {
  m: EngineMessage;
  onEdit: () => void;
  onProblem: (text: string) => void;
}) {
  const engine = useEngine();
  const controls = useConversationControls();
  const [open, setOpen] = useState<'menu' | 'emoji' | 'delete' | 'remove' | 'report' | 'mute' | null>(null);
  if (!controls) return null;
  const c = controls.conversation;
  const mine = m.authorId === engine.me()?.id;
  const gone = m.deleted || m.removed !== null;
  // A refused send is not in the conversation; a refused edit or delete leaves the message there to act on.
  if (gone || (m.status === 'rejected' && m.seq === null)) return null;

  const run = (p: Promise<unknown>) =>
    void p.catch(() => onProblem('That could not be saved on this device. Please try again.'));
  // As the server decides (policy.canModerate): admins moderate public channels they have not joined.
  const canModerate = c.canModerate;
  const items: { label: string; act: () => void }[] = [];
  // Where one can no longer post (archived, left, announcement for students) the server refuses edits too.
  const canChange = mine && c.canPost;
  const muted = !!c.muted && (c.muted.until === null || c.muted.until > Date.now());
  // Muted, one may still delete one's words but not change them (the server refuses edits too).
  if (canChange && !muted) items.push({ label: 'Edit message', act: onEdit });
  if (m.seq !== null && canModerate)
    items.push({
      label: m.pinned ? 'Unpin from conversation' : 'Pin to conversation',
      act: () => run(engine.pin(c.id, m.key, m.pinned === null)),
    });
  if (m.seq !== null && c.isMember)
    items.push({ label: 'Mark unread', act: () => controls.markUnread(m.key) });
  if (canChange) items.push({ label: 'Delete message', act: () => setOpen('delete') });
  else if (canModerate && c.kind !== 'dm')
    items.push({ label: 'Remove message (moderator)', act: () => setOpen('remove') });
  // Anyone may report someone else's message to the safeguarding team (issue 14 §2), offline too.
  if (!mine && m.seq !== null) items.push({ label: 'Report message…', act: () => setOpen('report') });

  const author = engine.user(m.authorId);
  if (
    canModerate &&
    c.kind !== 'dm' &&
    !mine &&
    author &&
    mayMute(engine.me()?.role ?? 'student', author.role)
  )
    items.push({ label: `Mute ${author.displayName}…`, act: () => setOpen('mute') });

  return (
    <div className="msg-actions" role="toolbar" aria-label="Message actions">
      {c.isMember && c.supervisor?.id !== engine.me()?.id && !muted && (
        <button
          type="button"
          className="icon-button"
          aria-label="Add reaction"
          title="Add reaction"
          aria-expanded={open === 'emoji'}
          onClick={() => setOpen(open === 'emoji' ? null : 'emoji')}
        >
          <SmileIcon />
        </button>
      )}
      {!controls.inThread && m.parent === null && (
        <button
          type="button"
          className="icon-button"
          aria-label="Reply in thread"
          title="Reply in thread"
          onClick={() => controls.openThread(m.key)}
        >
          <ReplyIcon />
        </button>
      )}
      {items.length > 0 && (
        <button
          type="button"
          className="icon-button"
          aria-label="More actions"
          title="More actions"
          aria-haspopup="menu"
          aria-expanded={open === 'menu'}
          onClick={() => setOpen(open === 'menu' ? null : 'menu')}
        >
          <MoreIcon />
        </button>
      )}
      {open === 'menu' && (
        <Menu
          items={items}
          onClose={() => setOpen((o) => (o === 'menu' ? null : o))}
          onPick={(i) => {
            setOpen(null);
            i.act();
          }}
        />
      )}
      {open === 'emoji' && (
        <Suspense fallback={null}>
          <EmojiPicker
            onClose={() => setOpen(null)}
            onPick={(emoji) => {
              setOpen(null);
              const already = m.reactions.some(
                (r) => r.emoji === emoji && r.userIds.includes(engine.me()?.id ?? ''),
              );
              run(engine.react(c.id, m.key, emoji, !already));
            }}
          />
        </Suspense>
      )}
      {open === 'delete' && (
        <Dialog title="Delete message?" onClose={() => setOpen(null)}>
          <p>
            This deletes it for everyone. Where there are replies, a note that it was deleted stays in their
            place.
          </p>
          <div className="dialog-buttons">
            <button type="button" onClick={() => setOpen(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                setOpen(null);
                run(engine.delete(c.id, m.localId));
              }}
            >
              Delete
            </button>
          </div>
        </Dialog>
      )}
      {open === 'remove' && <RemoveDialog m={m} conversationId={c.id} onClose={() => setOpen(null)} />}
      {open === 'report' && (
        <Suspense fallback={null}>
          <ReportDialog m={m} conversationId={c.id} onClose={() => setOpen(null)} />
        </Suspense>
      )}
      {open === 'mute' && author && (
        <Suspense fallback={null}>
          <MuteDialog person={author} channel={{ id: c.id, name: c.name }} onClose={() => setOpen(null)} />
        </Suspense>
      )}
    </div>
  );
}

function Menu({
  items,
  onPick,
  onClose,
}: {
  items: { label: string; act: () => void }[];
  onPick: (i: { label: string; act: () => void }) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLUListElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const away = (e: PointerEvent) => {
      if (!ref.current?.parentElement?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [onClose]);
  const onKey = (e: KeyboardEvent<HTMLUListElement>) => {
    const all = [...(ref.current?.querySelectorAll('button') ?? [])];
    const i = all.indexOf(document.activeElement as HTMLButtonElement);
    const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: all.length - 1 }[e.key];
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      (ref.current?.parentElement?.querySelector('[aria-haspopup]') as HTMLElement | null)?.focus();
    } else if (next !== undefined) {
      e.preventDefault();
      all[(next + all.length) % all.length]?.focus();
    }
  };
  return (
    <ul className="menu" role="menu" ref={ref} onKeyDown={onKey}>
      {items.map((i) => (
        <li key={i.label} role="none">
          <button type="button" role="menuitem" onClick={() => onPick(i)}>
            {i.label}
          </button>
        </li>
      ))}
    </ul>
  );
}

function RemoveDialog({
  m,
  conversationId,
  onClose,
}: {
  m: EngineMessage;
  conversationId: string;
  onClose: () => void;
}) {
  const engine = useEngine();
  const [reason, setReason] = useState('');
  const author = engine.user(m.authorId)?.displayName ?? 'this person';
  return (
    <Dialog title="Remove this message?" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onClose();
          void engine.remove(conversationId, m.key, reason.trim() || undefined).catch(() => undefined);
        }}
      >
        <p>
          Everyone will see that a moderator removed {author}&apos;s message. The original is kept for
          safeguarding review.
        </p>
        <label htmlFor="remove-reason">Reason (optional, seen by admins)</label>
        <input
          id="remove-reason"
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
        />
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger">
            Remove
          </button>
        </div>
      </form>
    </Dialog>
  );
}
