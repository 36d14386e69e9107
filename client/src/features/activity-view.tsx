import { plainText, type ActivityItem } from '@commonroom/model';
import { avatarHex } from '@commonroom/protocol';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { initials, relativeTime } from '../ui/format.ts';
import { conversationTitle } from './people.tsx';
import './activity-view.css';
import { BackIcon } from '../ui/icons.tsx';

/**
 * Activity (issue 15 §2): mentions of me and replies in threads I am in, newest first, derived on this device
 * from the synced documents and my read marks (model/activity.ts), so every device of mine agrees. Each entry
 * is a link to the message in context (`#/c/<id>/m/<key>`); opening it reads the conversation, which moves my
 * read mark, and every device of mine then counts it read. Loaded when first opened.
 */
export function ActivityView({ onBack }: { onBack: () => void }) {
  const engine = useEngine();
  useEngineVersion();
  const activity = engine.activity();
  const { items, unread } = activity ?? { items: [], unread: 0 };
  const heading = useRef<HTMLHeadingElement>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    heading.current?.focus();
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);

  // ↑ and ↓ move between entries, Home and End to the ends; Tab leaves the list as usual.
  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    const links = [...e.currentTarget.querySelectorAll<HTMLAnchorElement>('a')];
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    const to =
      e.key === 'ArrowDown'
        ? i + 1
        : e.key === 'ArrowUp'
          ? i - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? -1
              : null;
    if (to === null) return;
    e.preventDefault();
    links.at(Math.max(-1, Math.min(links.length - 1, to)))?.focus();
  };

  return (
    <main className="pane activity" id="main" aria-labelledby="activity-title" aria-busy={!activity}>
      <header className="pane-head">
        <button
          type="button"
          className="back icon-button"
          onClick={onBack}
          aria-label="Back to conversations"
        >
          <BackIcon size={22} />
        </button>
        <div className="pane-title">
          <h2 id="activity-title" tabIndex={-1} ref={heading}>
            Activity
          </h2>
          <p className="muted topic">
            {unread > 0 ? `${unread} new · ` : ''}Mentions of you and replies in your threads
          </p>
        </div>
      </header>
      {!activity ? null : items.length === 0 ? (
        <div className="activity-empty">
          <p className="activity-empty-title">Nothing for you yet</p>
          <p className="muted">
            When someone mentions you, writes @channel or @here in a channel you are in, or replies in a
            thread you started or replied in, it shows here, newest first. Select one to open it in its
            conversation.
          </p>
        </div>
      ) : (
        <ul className="activity-list" aria-label="Mentions and replies" onKeyDown={onKeyDown}>
          {items.map((i) => (
            <li key={`${i.conversationId}/${i.key}`}>
              <Entry item={i} now={now} />
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

function Entry({ item, now }: { item: ActivityItem; now: number }) {
  const engine = useEngine();
  const author = engine.user(item.authorId);
  const name = author?.displayName ?? 'Someone';
  const c = engine.conversation(item.conversationId);
  const where = !c ? '' : c.kind === 'dm' ? ' in a direct message' : ` in #${conversationTitle(engine, c)}`;
  const what = `${name} ${item.reason === 'mention' ? 'mentioned you' : 'replied in a thread'}${where}`;
  const when = relativeTime(item.ts, now);
  return (
    <a
      className={`activity-item${item.unread ? ' unread' : ''}`}
      href={`#/c/${item.conversationId}/m/${item.key}`}
    >
      <span className="avatar" aria-hidden="true" style={{ background: avatarHex(author?.avatarColour) }}>
        {initials(name)}
      </span>
      <span className="activity-body">
        <span className="activity-what">
          {item.unread && <span className="visually-hidden">New: </span>}
          {what}
          <span className="visually-hidden">, </span>
          <span className="muted activity-when">{when}</span>
        </span>
        <span className="visually-hidden">: </span>
        <span className="activity-text">{plainText(item.text)}</span>
      </span>
      {item.unread && <span className="activity-dot" aria-hidden="true" />}
    </a>
  );
}
