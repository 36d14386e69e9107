import { threadReplies } from '@commonroom/model';
import { useEffect, useMemo, useRef } from 'react';
import { useConversationView } from '../hooks/engine-context.tsx';
import { useMentionNames } from '../hooks/use-unread.ts';
import { Composer } from './composer.tsx';
import { ConversationControlsProvider, useConversationControls } from './conversation-context.tsx';
import { MessageItem } from './message-item.tsx';
import { TypingLine } from './typing-line.tsx';
import { PendingUploads } from './attachments/pending-uploads.tsx';
import { CloseIcon } from '../ui/icons.tsx';

/**
 * A thread: the parent message, its replies in arrival order, and a composer that replies (optionally also
 * to the channel). Beside the channel on a desktop, over it on a phone. Loaded when first opened.
 */
export function ThreadPanel({
  conversationId,
  parentKey,
  focusReply = null,
  canPost,
  onClose,
}: {
  conversationId: string;
  parentKey: string;
  /** A reply to scroll to and focus (a pinned reply jumped to) instead of the heading. */
  focusReply?: { key: string; n: number } | null;
  canPost: boolean;
  onClose: () => void;
}) {
  const view = useConversationView(conversationId);
  const controls = useConversationControls();
  const heading = useRef<HTMLHeadingElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const end = useRef<HTMLDivElement>(null);
  const state = view?.state;
  const replies = useMemo(() => (state ? threadReplies(state, parentKey) : []), [state, parentKey]);
  const parent = view?.messages.find((m) => m.key === parentKey) ?? null;
  const parentView = state?.byKey.get(parentKey) ?? null;

  // Block bodies: newer browsers return a promise from scrollIntoView, which React would take for a cleanup.
  const hasFocusReply = replies.some((r) => r.key === focusReply?.key);
  useEffect(() => {
    // A reply jumped to takes the focus (once it is on this device); otherwise the heading, so a screen
    // reader announces the thread.
    const el = focusReply
      ? scroller.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusReply.key)}"]`)
      : null;
    if (el) {
      void el.scrollIntoView({ block: 'center' });
      el.focus();
      el.classList.add('msg-jumped');
    } else heading.current?.focus();
  }, [parentKey, focusReply, hasFocusReply]);
  useEffect(() => {
    // A reply being looked at stays put; new replies otherwise bring the end into view.
    if (focusReply && hasFocusReply) return;
    void end.current?.scrollIntoView({ block: 'end' });
  }, [replies.length]);

  const names = useMentionNames();
  if (!view || !controls) return null;
  const shown = [
    ...replies.map((r) => ({ ...r, ...view.statusOf(r.key) })),
    ...view.rejectedReplies.filter((r) => r.parent === parentKey),
  ];
  return (
    <ConversationControlsProvider value={{ ...controls, inThread: true }}>
      <aside className="thread-panel" aria-labelledby="thread-title">
        <header className="thread-head">
          <h2 id="thread-title" tabIndex={-1} ref={heading}>
            Thread
          </h2>
          <button type="button" className="icon-button" aria-label="Close thread" onClick={onClose}>
            <CloseIcon />
          </button>
        </header>
        <div className="thread-scroll" ref={scroller}>
          {parent ? (
            <MessageItem m={parent} now={Date.now()} mentionNames={names} />
          ) : parentView ? (
            <MessageItem
              m={{ ...parentView, ...view.statusOf(parentKey) }}
              now={Date.now()}
              mentionNames={names}
            />
          ) : (
            <p className="muted">This message is not on this device yet.</p>
          )}
          <p className="thread-count" role="status">
            {replies.length === 0
              ? 'No replies yet.'
              : `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`}
          </p>
          <ol className="thread-replies" aria-label="Replies">
            {shown.map((r) => (
              <li key={r.key}>
                <MessageItem m={r} now={Date.now()} mentionNames={names} />
              </li>
            ))}
          </ol>
          <PendingUploads conversationId={conversationId} parent={parentKey} />
          <div ref={end} />
        </div>
        <TypingLine conversationId={conversationId} parent={parentKey} />
        {canPost && (parent || parentView) && (
          <Composer conversationId={conversationId} parent={parentKey} placeholder="Reply…" autoFocus />
        )}
      </aside>
    </ConversationControlsProvider>
  );
}
