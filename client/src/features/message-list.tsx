import type { EngineMessage } from '@commonroom/engine';
import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { dayLabel } from '../ui/format.ts';
import { MessageItem } from './message-item.tsx';

/**
 * The conversation's messages, oldest first, with day dividers and a "New messages" line where the person
 * left off. Sticks to the bottom while they are at the bottom. New messages from others are announced
 * politely to screen readers.
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

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  });

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

  const firstUnread = props.messages.find(
    (m) => m.seq !== null && m.seq > props.readSeqAtOpen && m.authorId !== me?.id,
  )?.key;

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
      {props.messages.map((m, i) => {
        const prev = props.messages[i - 1];
        const newDay = !prev || new Date(prev.ts).toDateString() !== new Date(m.ts).toDateString();
        return (
          <Fragment key={m.key}>
            {newDay && (
              <div className="divider" role="separator">
                <span>{dayLabel(m.ts, now)}</span>
              </div>
            )}
            {m.key === firstUnread && (
              <div className="divider divider-new" role="separator">
                <span>New messages</span>
              </div>
            )}
            <MessageItem m={m} now={now} mentionNames={mentionNames} />
          </Fragment>
        );
      })}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}
