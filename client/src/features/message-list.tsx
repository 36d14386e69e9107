import type { EngineMessage } from '@commonroom/engine';
import { plainText } from '@commonroom/model';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Suspense, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { lazy } from '../ui/lazy.tsx';
import { useEngine } from '../hooks/engine-context.tsx';
import { useMentionNames } from '../hooks/use-unread.ts';
import { dayLabel } from '../ui/format.ts';
import { afterFirstScreen, markFirstScreenAfterPaint } from '../ui/first-screen.ts';
import { useConversationControls } from './conversation-context.tsx';
import { continuesGroup } from './message-groups.ts';
import { MessageItem } from './message-item.tsx';
import { NewMessagesBar } from './new-messages-bar.tsx';
import './message-groups.css';
import '../ui/unread-mentions.css';

// Loaded once there is a message of mine to put it under.
const ReadReceipt = lazy(async () => ({ default: (await import('./read-receipt.tsx')).ReadReceipt }), {
  quiet: true,
});

/**
 * Where the "New messages" line goes: fixed when a conversation opens (from the read mark the person had
 * then) and kept while it stays open, so reading (which marks read) does not move it, and messages arriving
 * while the person watches do not add one. `key` is undefined until the messages are there to place it.
 */
type NewMark = { id: string; prop: number; at: number; key: string | null | undefined };

function placeMark(
  prev: NewMark | null,
  id: string,
  readSeqAtOpen: number,
  messages: EngineMessage[],
  opening: () => { readSeq: number; lastSeq: number; isMember: boolean },
  me: string | undefined,
): NewMark {
  let next = prev;
  if (!next || next.id !== id) {
    // The pane sets readSeqAtOpen just after this first render; the view still holds that same mark now.
    const o = opening();
    next = {
      id,
      prop: readSeqAtOpen,
      at: o.readSeq,
      key: !o.isMember || o.lastSeq <= o.readSeq ? null : undefined,
    };
  } else if (next.prop !== readSeqAtOpen) {
    // "Mark unread" (or the pane's own snapshot) moves where the person left off.
    next = { id, prop: readSeqAtOpen, at: readSeqAtOpen, key: undefined };
  }
  if (next.key === undefined && messages.length > 0) {
    const at = next.at;
    const first = messages.find((m) => m.seq !== null && m.seq > at && m.authorId !== me && !m.deleted);
    next = { ...next, key: first?.key ?? null };
  }
  return next;
}

type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'new'; key: string }
  | { kind: 'message'; key: string; m: EngineMessage; grouped: boolean };

/**
 * The conversation's messages, oldest first, with day dividers and a "New messages" line where the person
 * left off. Virtualised (only the rows on screen are in the DOM), so a channel with thousands of messages
 * scrolls smoothly on a cheap phone. Sticks to the bottom while the reader is at the bottom; scrolling to
 * the top loads the previous segment. New messages from others are announced politely to screen readers.
 */
export function MessageList(props: {
  conversationId: string;
  messages: EngineMessage[];
  readSeqAtOpen: number;
  hasOlder: boolean;
  onLoadOlder: () => void;
  /** Scroll to this message and focus it (a pinned message, say); `n` makes a repeat jump count. */
  jumpTo?: { key: string; n: number } | null;
  /**
   * What an empty conversation says: not "Say hello!" to someone who cannot post (conversation/empty-words.ts);
   * null says nothing (the person's first message is already waiting to upload below the list).
   */
  emptyText?: string | null;
}) {
  const engine = useEngine();
  const controls = useConversationControls();
  const me = engine.me();
  const ref = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const [now, setNow] = useState(() => Date.now());
  const [announcement, setAnnouncement] = useState('');
  const lastKey = useRef<string | null>(null);
  const lastOlder = useRef(0);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);

  const mentionNames = useMentionNames();

  const opening = () => {
    const v = engine.view(props.conversationId);
    return {
      readSeq: v.readSeq,
      lastSeq: v.state.lastSeq,
      isMember: v.conversation?.isMember ?? false,
    };
  };
  const [mark, setMark] = useState<NewMark>(() =>
    placeMark(null, props.conversationId, props.readSeqAtOpen, props.messages, opening, me?.id),
  );
  const placed = placeMark(mark, props.conversationId, props.readSeqAtOpen, props.messages, opening, me?.id);
  if (placed !== mark) setMark(placed);
  const firstUnread = placed.key ?? null;
  // Under my newest message the server has: who has seen it.
  const receiptKey = props.messages.findLast(
    (m) => m.authorId === me?.id && m.status === 'sent' && m.seq !== null && !m.deleted && !m.removed,
  )?.key;

  const rows = useMemo(() => {
    const out: Row[] = [];
    let prevDay = '';
    let prev: EngineMessage | undefined;
    for (const m of props.messages) {
      const day = new Date(m.ts).toDateString();
      if (day !== prevDay) {
        out.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.ts, now) });
        prev = undefined;
      }
      prevDay = day;
      if (m.key === firstUnread) {
        out.push({ kind: 'new', key: 'new-messages' });
        prev = undefined;
      }
      out.push({ kind: 'message', key: m.key, m, grouped: continuesGroup(prev, m) });
      prev = m;
    }
    return out;
  }, [props.messages, firstUnread, now]);

  // Estimates close to what rows measure (a grouped message is one line under the one before it), so
  // measuring the rows on screen moves the total little: each change is another render and scroll.
  const estimate = (i: number): number => {
    const row = rows[i];
    return row?.kind !== 'message' ? 36 : row.grouped ? 28 : 76;
  };
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => ref.current,
    estimateSize: estimate,
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 8,
    // A conversation opens at its newest messages: the first render draws the bottom rows for a list
    // about the window's height, instead of the oldest rows that the scroll to the end then replaces.
    initialOffset: () => rows.reduce((sum, _, i) => sum + estimate(i), 0),
    initialRect: { width: innerWidth, height: innerHeight },
  });

  // Stay at the bottom while the reader is there: new messages, their own sends, first open, and rows
  // growing as they are measured (a phone wraps long messages onto more lines).
  const totalSize = virtualizer.getTotalSize();
  useLayoutEffect(() => {
    if (atBottom.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [rows.length, totalSize, virtualizer]);

  useEffect(() => {
    atBottom.current = true;
    lastKey.current = null;
  }, [props.conversationId]);

  // The newest messages (or the empty line) are on screen: what waited for them may start.
  const drawn = rows.length > 0 || props.messages.length === 0;
  useEffect(() => {
    if (drawn) markFirstScreenAfterPaint();
  }, [drawn]);

  const jumpTo = props.jumpTo;
  useEffect(() => {
    if (!jumpTo) return;
    const i = rows.findIndex((r) => r.key === jumpTo.key);
    if (i < 0) return;
    atBottom.current = false;
    virtualizer.scrollToIndex(i, { align: 'center' });
    // The row exists once the virtualizer has drawn it: focus it for keyboard and screen-reader users.
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const el = ref.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(jumpTo.key)}"]`);
        el?.focus();
        el?.classList.add('msg-jumped');
      }),
    );
    // Only a new jump moves the list; rows changing later must not pull the reader back.
  }, [jumpTo]);

  useEffect(() => {
    const last = props.messages.at(-1);
    if (!last || last.key === lastKey.current) return;
    if (lastKey.current !== null && last.authorId !== me?.id) {
      const who = engine.user(last.authorId)?.displayName ?? 'someone';
      const files = last.files.length;
      const what = plainText(last.text) || (files > 0 ? `${files} ${files === 1 ? 'file' : 'files'}` : '');
      setAnnouncement(`New message from ${who}: ${what.slice(0, 140)}`);
    }
    lastKey.current = last.key;
  }, [props.messages, engine, me]);

  // Files of messages deleted, removed or expired since they were shown leave this device's offline copies
  // (a tombstone carries no files). A message this device does not hold (an older part) keeps its copies.
  useEffect(() => {
    const conversationId = props.conversationId;
    void afterFirstScreen()
      .then(() => import('../attachments/attachments.ts'))
      .then(({ attachmentsFor }) =>
        attachmentsFor(engine).cache.sweep(conversationId, (key, id) => {
          const m = engine.view(conversationId).state.byKey.get(key);
          return m === undefined ? undefined : !m.deleted && !m.removed && m.files.some((f) => f.id === id);
        }),
      )
      .catch(() => undefined);
  }, [props.messages, props.conversationId, engine]);

  const newIndex = rows.findIndex((r) => r.kind === 'new');
  const range = virtualizer.range;
  const newAbove = newIndex >= 0 && range !== null && newIndex < range.startIndex;
  // The line's message key once the line has been on screen: the bar is then done with for this line. Read
  // from the DOM after each render (the virtualizer's range lags a frame behind the opening scroll to the
  // bottom, and would count the line as seen before the list got there).
  const [seenLine, setSeenLine] = useState<string | null>(null);
  useEffect(() => {
    if (!firstUnread || seenLine === firstUnread) return;
    const box = ref.current?.getBoundingClientRect();
    const line = ref.current?.querySelector('.divider-new')?.getBoundingClientRect();
    if (box && line && line.bottom > box.top && line.top < box.bottom) setSeenLine(firstUnread);
  });
  const showBar = newAbove && firstUnread !== null && seenLine !== firstUnread;
  // The bar takes its room above the list: a reader at the bottom stays at the bottom when it comes or goes.
  useLayoutEffect(() => {
    if (atBottom.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
  }, [showBar]);
  const newCount = firstUnread
    ? props.messages.filter((m) => m.seq !== null && m.seq > placed.at && m.authorId !== me?.id && !m.deleted)
        .length
    : 0;
  const jumpToNew = () => {
    const first = rows[newIndex + 1];
    atBottom.current = false;
    virtualizer.scrollToIndex(newIndex, { align: 'start' });
    requestAnimationFrame(() =>
      requestAnimationFrame(() =>
        ref.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(first?.key ?? '')}"]`)?.focus(),
      ),
    );
  };

  return (
    <>
      {showBar && (
        <NewMessagesBar
          count={newCount}
          onJump={jumpToNew}
          onMarkRead={() => {
            setMark({ ...placed, key: null });
            if (controls) controls.markRead();
            else void engine.markRead(props.conversationId).catch(() => undefined);
          }}
        />
      )}
      <div
        className="messages"
        ref={ref}
        tabIndex={0}
        role="region"
        aria-label="Messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          // Scrolling to the top brings the previous part of the history.
          if (el.scrollTop < 40 && props.hasOlder && Date.now() - lastOlder.current > 1000) {
            lastOlder.current = Date.now();
            props.onLoadOlder();
          }
        }}
      >
        {props.hasOlder && (
          <button type="button" className="load-older" onClick={props.onLoadOlder}>
            Show older messages
          </button>
        )}
        {props.messages.length === 0 && props.emptyText !== null && (
          <p className="empty">{props.emptyText ?? 'No messages yet. Say hello!'}</p>
        )}
        <div className="rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index];
            if (!row) return null;
            return (
              <div
                key={v.key}
                data-index={v.index}
                ref={virtualizer.measureElement}
                className="row"
                style={{ transform: `translateY(${v.start}px)` }}
              >
                {row.kind === 'message' ? (
                  <>
                    <MessageItem m={row.m} now={now} mentionNames={mentionNames} grouped={row.grouped} />
                    {row.key === receiptKey && (
                      <Suspense fallback={null}>
                        <ReadReceipt conversationId={props.conversationId} m={row.m} />
                      </Suspense>
                    )}
                  </>
                ) : (
                  <div className={row.kind === 'new' ? 'divider divider-new' : 'divider'} role="separator">
                    <span>{row.kind === 'new' ? 'New messages' : row.label}</span>
                  </div>
                )}
              </div>
            );
          })}
        </div>
        <p className="visually-hidden" aria-live="polite">
          {announcement}
        </p>
      </div>
    </>
  );
}
