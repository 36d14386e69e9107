import type { Conversation } from '@commonroom/protocol';
import { useId, type ReactNode } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { SyncIndicator } from './sync-indicator.tsx';
import { conversationTitle, PresenceDot, statusText } from './people.tsx';
import { Bell } from '../ui/bell.tsx';
import { BellIcon, HashIcon, LockIcon, MegaphoneIcon, MoreIcon, SearchIcon } from '../ui/icons.tsx';
import { byCodeUnit } from '../ui/compare.ts';
import '../ui/unread-mentions.css';

/**
 * A channel's mark, drawn for its kind (# public, a lock for private, a megaphone for announcements), as
 * Slack and Teams do. The emoji the server's seed gives its first channels (`icon`) is not shown: a device
 * without an emoji font draws it as an empty box, and the kind is what a reader needs to see. Decoration:
 * the kind is said in words where it matters (the browse list, the details).
 */
export function channelGlyph(c: Conversation): ReactNode {
  if (c.kind === 'announcement') return <MegaphoneIcon size={16} />;
  if (c.kind === 'private') return <LockIcon size={16} />;
  return <HashIcon size={16} />;
}

const short = (n: number): string => (n > 99 ? '99+' : String(n));

/** "3 unread, 1 mention" in plain words, or '' when there is nothing new. */
export function unreadLabel(unread: number, mentions: number): string {
  const parts: string[] = [];
  if (unread > 0) parts.push(`${unread} unread`);
  if (mentions > 0) parts.push(`${mentions} ${mentions === 1 ? 'mention' : 'mentions'}`);
  return parts.join(', ');
}

/**
 * A heading's menu (issue 15 §2): "Mark all as read" for the conversations under it. A native popover, so
 * the browser gives it Escape, closing on a click elsewhere and focus back on its button. Read marks are
 * CRDT writes: this works offline.
 */
function MarkReadMenu({ label, ids }: { label: string; ids: string[] }) {
  const engine = useEngine();
  const id = useId();
  const unread = ids.some((x) => engine.view(x).unread > 0);
  return (
    <>
      <button
        type="button"
        className="icon-button head-more"
        popoverTarget={id}
        aria-label={`${label}: more`}
      >
        <MoreIcon />
      </button>
      <div id={id} popover="auto" role="menu" aria-label={label} className="head-menu">
        <button
          type="button"
          role="menuitem"
          disabled={!unread}
          popoverTarget={id}
          popoverTargetAction="hide"
          onClick={() => void engine.markAllRead(ids)}
        >
          {unread ? 'Mark all as read' : 'Nothing unread'}
        </button>
      </div>
    </>
  );
}

/** Channels with unread and mention badges, direct messages with presence, and the ways to find more. */
/** The search shortcut as the keyboard shows it: ⌘K on Apple devices, Ctrl K elsewhere. */
const SHORTCUT = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘K' : 'Ctrl K';

export function Sidebar(props: {
  workspaceName: string;
  selected: string | null;
  onSelect: (id: string) => void;
  /** Opens Activity: mentions of me and replies in my threads (`selected` is 'activity' while open). */
  onActivity: () => void;
  /** Opens the search dialog (issue 16; Ctrl/Cmd+K too). */
  onSearch: () => void;
  onBrowse: () => void;
  onNewMessage: () => void;
  onSignOut: () => void;
  onSignOutEverywhere: () => void;
  onProfile: () => void;
  /** Opens the dialog that sets one's status and do not disturb. */
  onStatus: () => void;
  /** Given only to admins and super admins: opens the admin area. */
  onAdmin?: () => void;
  /** Given only to safeguarding leads: opens the safeguarding area; `open` items wait in its queue. */
  safeguarding?: { open: number; onOpen: () => void };
}) {
  const engine = useEngine();
  useEngineVersion();
  const me = engine.me();
  const mine = engine.conversations().filter((c) => c.isMember);
  // Archived channels leave the list (the channel browser still finds them), unless one is open now.
  const channels = mine
    .filter((c) => c.kind !== 'dm' && (!c.archived || c.id === props.selected))
    .sort((a, b) => byCodeUnit(a.name ?? '', b.name ?? ''));
  const dms = mine.filter((c) => c.kind === 'dm');
  const activity = engine.activity()?.unread ?? 0;

  const item = (c: Conversation) => {
    const v = engine.view(c.id);
    const title = conversationTitle(engine, c);
    const other = c.kind === 'dm' ? c.dmMembers.find((m) => m.id !== me?.id) : undefined;
    const label = unreadLabel(v.unread, v.mentions);
    const quiet = c.notify === 'muted';
    return (
      <li key={c.id}>
        <button
          type="button"
          className={`conv${props.selected === c.id ? ' selected' : ''}${label ? ' unread' : ''}${quiet ? ' notify-muted' : ''}`}
          aria-current={props.selected === c.id ? 'page' : undefined}
          onClick={() => props.onSelect(c.id)}
          data-conversation={c.name ?? c.id}
        >
          {other ? (
            <PresenceDot userId={other.id} />
          ) : (
            <span className="glyph" aria-hidden="true">
              {channelGlyph(c)}
            </span>
          )}
          <span className="conv-name">{title}</span>
          {quiet && <Bell off label="muted" />}
          {label && <span className="visually-hidden">, {label}</span>}
          {v.mentions > 0 && (
            <span className="badge badge-mention" aria-hidden="true" title={label}>
              @{short(v.mentions)}
            </span>
          )}
          {v.unread > 0 && (
            <span className="badge badge-unread" aria-hidden="true" title={label}>
              {short(v.unread)}
            </span>
          )}
        </button>
      </li>
    );
  };

  return (
    <nav className="sidebar" aria-label="Conversations">
      <header className="sidebar-head">
        <div className="head-row">
          <h1 className="workspace">{props.workspaceName}</h1>
          <MarkReadMenu label="Workspace" ids={mine.map((c) => c.id)} />
        </div>
        <SyncIndicator />
        <button
          type="button"
          className="search-button"
          aria-keyshortcuts="Control+K Meta+K"
          onClick={props.onSearch}
        >
          <SearchIcon size={16} /> Search <kbd aria-hidden="true">{SHORTCUT}</kbd>
        </button>
      </header>
      <div className="sidebar-scroll">
        <button
          type="button"
          className={`conv${props.selected === 'activity' ? ' selected' : ''}`}
          aria-current={props.selected === 'activity' ? 'page' : undefined}
          onClick={props.onActivity}
        >
          <span className="glyph" aria-hidden="true">
            <BellIcon size={16} />
          </span>
          <span className="conv-name">Activity</span>
          {activity > 0 && (
            <span className="badge badge-mention">
              {short(activity)}
              <span className="visually-hidden"> new</span>
            </span>
          )}
        </button>
        <div className="head-row">
          <h2 className="section">Channels</h2>
          <MarkReadMenu label="Channels" ids={channels.map((c) => c.id)} />
        </div>
        <ul className="conv-list">{channels.map(item)}</ul>
        <button type="button" className="link-button" onClick={props.onBrowse}>
          Browse channels
        </button>
        <div className="head-row">
          <h2 className="section">Direct messages</h2>
          <MarkReadMenu label="Direct messages" ids={dms.map((c) => c.id)} />
        </div>
        <ul className="conv-list">{dms.map(item)}</ul>
        <button type="button" className="link-button" onClick={props.onNewMessage}>
          + New message
        </button>
      </div>
      <footer className="sidebar-foot">
        <span className="me">
          {me && <PresenceDot userId={me.id} />}
          {me?.displayName}
        </span>
        <button
          type="button"
          className="link-button my-status"
          onClick={props.onStatus}
          aria-haspopup="dialog"
        >
          {statusText(engine.presenceOf(me?.id ?? '')) || 'Set a status'}
        </button>
        <button type="button" className="link-button" onClick={props.onProfile}>
          Profile
        </button>
        {props.onAdmin && (
          <button type="button" className="link-button" onClick={props.onAdmin}>
            Admin
          </button>
        )}
        {props.safeguarding && (
          <button type="button" className="link-button" onClick={props.safeguarding.onOpen}>
            Safeguarding{' '}
            {props.safeguarding.open > 0 && (
              <span className="badge badge-mention">
                {short(props.safeguarding.open)}
                <span className="visually-hidden"> open</span>
              </span>
            )}
          </button>
        )}
        <button type="button" className="link-button" onClick={props.onSignOut}>
          Sign out
        </button>
        <button type="button" className="link-button" onClick={props.onSignOutEverywhere}>
          Sign out everywhere
        </button>
      </footer>
    </nav>
  );
}
