import type { EngineMessage } from '@commonroom/engine';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { dayLabel } from '../ui/format.ts';
import { MessageItem } from './message-item.tsx';

type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'new'; key: string }
  | { kind: 'message'; key: string; m: EngineMessage };

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
}) {
  const engine = useEngine();
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

  const mentionNames = useMemo(() => {
    const names = new Set<string>(['channel', 'here', 'everyone']);
    if (me?.username) names.add(me.username.toLowerCase());
    if (me) names.add(me.displayName.split(' ')[0]?.toLowerCase() ?? '');
    return names;
  }, [me]);

  const firstUnread = props.messages.find(
    (m) => m.seq !== null && m.seq > props.readSeqAtOpen && m.authorId !== me?.id,
  )?.key;

  const rows = useMemo(() => {
    const out: Row[] = [];
    let prevDay = '';
    for (const m of props.messages) {
      const day = new Date(m.ts).toDateString();
      if (day !== prevDay) out.push({ kind: 'day', key: `day-${day}`, label: dayLabel(m.ts, now) });
      prevDay = day;
      if (m.key === firstUnread) out.push({ kind: 'new', key: 'new-messages' });
      out.push({ kind: 'message', key: m.key, m });
    }
    return out;
  }, [props.messages, firstUnread, now]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => ref.current,
    estimateSize: (i) => (rows[i]?.kind === 'message' ? 72 : 36),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 8,
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

  useEffect(() => {
    const last = props.messages.at(-1);
    if (!last || last.key === lastKey.current) return;
    if (lastKey.current !== null && last.authorId !== me?.id) {
      const who = engine.user(last.authorId)?.displayName ?? 'someone';
      setAnnouncement(`New message from ${who}: ${last.text.slice(0, 140)}`);
    }
    lastKey.current = last.key;
  }, [props.messages, engine, me]);

  return (
    <div
      className="messages"
      ref={ref}
      tabIndex={0}
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
      {props.messages.length === 0 && <p className="empty">No messages yet. Say hello!</p>}
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
                <MessageItem m={row.m} now={now} mentionNames={mentionNames} />
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
  );
}
