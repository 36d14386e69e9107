import { pinnedMessages } from '@commonroom/model';
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { lazy } from '../ui/lazy.tsx';
import { useConversationView, useEngine } from '../hooks/engine-context.tsx';
import { Composer } from './composer.tsx';
import { ConversationControlsProvider, type ConversationControls } from './conversation-context.tsx';
import { conversationTitle, PresenceDot, PresenceLine } from './people.tsx';
import { TypingLine } from './typing-line.tsx';
import { Bell } from '../ui/bell.tsx';
import { BackIcon, BellIcon, LeaveIcon, PeopleIcon, PinIcon } from '../ui/icons.tsx';
import { MoreMenu, type MoreItem } from './conversation/more-menu.tsx';
import { channelGlyph } from './sidebar.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import { anchorOf, type Anchor } from '../ui/dialog.tsx';
import { useActiveMute } from './use-mute.ts';
import { NoAccess } from './conversation/no-access.tsx';
import { emptyWords } from './conversation/empty-words.ts';
import { usePendingUploads } from '../hooks/use-pending-uploads.ts';
import { PaneSyncLine } from './pane-sync-line.tsx';
// The type only: the list's code is a chunk of its own (below).
import type { MessageList as MessageListComponent } from './message-list.tsx';

const ChannelDetails = lazy(async () => ({
  default: (await import('./channel-details.tsx')).ChannelDetails,
}));
const ThreadPanel = lazy(async () => ({ default: (await import('./thread-panel.tsx')).ThreadPanel }));
const NotifyDialog = lazy(async () => ({ default: (await import('./notify-dialog.tsx')).NotifyDialog }));
const LeaveDialog = lazy(async () => ({
  default: (await import('./conversation/leave-dialog.tsx')).LeaveDialog,
}));
const PinnedList = lazy(async () => ({ default: (await import('./pinned-list.tsx')).PinnedList }));
const ProfileCard = lazy(async () => ({
  default: (await import('./status/profile-card.tsx')).ProfileCard,
}));
// Its own chunk: the list and its virtualizer are the largest part of the conversation view, and the
// header, sidebar and composer show without waiting for them. The signed-in app fetches it as soon as it
// starts (preloadMessageList), so it is in memory before the person could go offline, and in the service
// worker's cache for every later start.
// Once loaded, a pane draws the list straight away: through `lazy` it would suspend once even then, and
// the retry render React schedules for it is interruptible, so every engine change at a start (several)
// threw the list's first render away and began it again (issue 20).
let loadedMessageList: typeof MessageListComponent | null = null;
const loadMessageList = async () => {
  const m = await import('./message-list.tsx');
  loadedMessageList = m.MessageList;
  return m;
};
export const preloadMessageList = (): void => void loadMessageList().catch(() => undefined);
// Messages with files waiting to upload, shown only when there are some (the queue's count is tiny code).
const PendingUploads = lazy(async () => ({
  default: (await import('./attachments/pending-uploads.tsx')).PendingUploads,
}));
const LazyMessageList = lazy(async () => ({ default: (await loadMessageList()).MessageList }));

function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const update = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return visible;
}

/** The open conversation: header, messages, the composer (or why one cannot post here), and its thread. */
export function ConversationPane({
  conversationId,
  target,
  onBack,
}: {
  conversationId: string;
  /** A message to open at (a deep link: `#/c/<id>/m/<key>`); `n` makes the same link again count. */
  target: { key: string; n: number } | null;
  onBack: () => void;
}) {
  const engine = useEngine();
  const view = useConversationView(conversationId);
  const c = view?.conversation ?? null;
  const [readSeqAtOpen, setReadSeqAtOpen] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [details, setDetails] = useState(false);
  const [notify, setNotify] = useState(false);
  const [pins, setPins] = useState(false);
  const [leaving, setLeaving] = useState(false);
  /** The channel just left from here: the pane says so, with a way back, rather than going blank. */
  const [left, setLeft] = useState<{ id: string; name: string; private: boolean } | null>(null);
  const [thread, setThread] = useState<string | null>(null);
  const [profile, setProfile] = useState<{ userId: string; anchor: Anchor | null } | null>(null);
  /** The last thing pressed in the pane: a name or avatar in a message, which the profile card opens beside. */
  const pressed = useRef<Element | null>(null);
  /** A reply to focus in the open thread (a pinned reply jumped to); `n` makes a repeat jump count. */
  const [threadFocus, setThreadFocus] = useState<{ key: string; n: number } | null>(null);
  const [jumpTo, setJumpTo] = useState<{ key: string; n: number } | null>(null);
  // After "mark unread" the conversation stays unread until it is opened again, as in Slack.
  const holdUnread = useRef(false);

  /** The newest position this pane marked read for: a mark unread from another device is not undone. */
  const markedFor = useRef(0);
  const visible = usePageVisible();
  const mute = useActiveMute(c);
  const queued = usePendingUploads();
  const uploading = queued.count + queued.failed > 0;
  // Chosen once for the pane: changing it later would mount a new list (its scroll position lost).
  const [MessageList] = useState(() => loadedMessageList ?? LazyMessageList);

  useEffect(() => {
    void engine.open(conversationId).catch(() => undefined);
    holdUnread.current = false;
    markedFor.current = 0;
    setThread(null);
    setJumpTo(null);
    setLeaving(false);
    setLeft(null);
    // "Message" on a profile card opened from the details goes to another conversation: nothing of this
    // one stays open over it.
    setDetails(false);
    setPins(false);
    setProfile(null);
    setReadSeqAtOpen(engine.view(conversationId).readSeq);
  }, [conversationId, engine]);

  // A linked message opens once it is on this device: now, or when it syncs or an older part is loaded.
  const [wanted, setWanted] = useState<string | null>(null);
  useEffect(() => setWanted(target?.key ?? null), [target?.key, target?.n]);
  const linked = wanted === null ? undefined : view?.state.byKey.get(wanted);
  useEffect(() => {
    if (!linked) return;
    setWanted(null);
    // A reply opens its thread, focused on it; anything else is scrolled to in the list and focused.
    if (linked.parent && !linked.alsoChannel) {
      setThread(linked.parent);
      setThreadFocus((j) => ({ key: linked.key, n: (j?.n ?? 0) + 1 }));
    } else setJumpTo((j) => ({ key: linked.key, n: (j?.n ?? 0) + 1 }));
  }, [linked]);

  // Reading is marking read: when the conversation is on screen and the page is visible, for messages that
  // arrived since (or while the page was hidden). Not when the mark moved back: that is a mark unread, maybe
  // made on the person's phone while this desktop shows the conversation.
  const lastSeq = view?.state.lastSeq ?? 0;
  const readSeq = view?.readSeq ?? 0;
  useEffect(() => {
    if (holdUnread.current || !c?.isMember || !visible) return;
    if (lastSeq > readSeq && lastSeq > markedFor.current) {
      markedFor.current = lastSeq;
      void engine.markRead(conversationId).catch(() => undefined);
    }
  }, [lastSeq, readSeq, visible, c?.isMember, conversationId, engine]);

  const markUnread = useCallback(
    (key: string) => {
      const seq = engine.view(conversationId).state.byKey.get(key)?.seq;
      if (seq === null || seq === undefined) return;
      holdUnread.current = true;
      setReadSeqAtOpen(seq - 1);
      void engine
        .markUnread(conversationId, key)
        .catch(() => setProblem('That could not be saved on this device. Please try again.'));
    },
    [conversationId, engine],
  );

  const markRead = useCallback(() => {
    holdUnread.current = false;
    void engine.markRead(conversationId).catch(() => undefined);
  }, [conversationId, engine]);

  const controls = useMemo<ConversationControls | null>(
    () =>
      c
        ? {
            conversation: c,
            openThread: setThread,
            markUnread,
            markRead,
            inThread: false,
            openProfile: (userId: string) => {
              // A click came with a press (an avatar is not focusable); a keypress leaves the name focused.
              const from = [pressed.current, document.activeElement].find(
                (e) => e?.isConnected && e.closest('.msg'),
              );
              pressed.current = null;
              setProfile({ userId, anchor: from ? anchorOf(from) : null });
            },
          }
        : null,
    [c, markUnread, markRead],
  );

  useEffect(() => {
    if (!thread) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('dialog[open]'))
        setThread(null);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [thread]);

  if (left?.id === conversationId)
    return (
      <NoAccess
        left={left}
        onBack={onBack}
        {...(c && !left.private ? { onOpen: () => setLeft(null) } : {})}
      />
    );
  // A link to a conversation this device does not know: not one of this person's (or gone). While the list
  // is still empty (a first start), nothing is known yet, so nothing is claimed.
  if (!c && engine.conversations().length > 0) return <NoAccess left={null} onBack={onBack} />;
  if (!c || !view || !controls) return <main className="pane" id="main" aria-busy="true" />;
  const title = conversationTitle(engine, c);
  // A DM with one other person shows their presence and status under the name (issue 15 §3).
  const others = c.kind === 'dm' ? c.dmMembers.filter((m) => m.id !== engine.me()?.id) : [];
  const dmWith = others.length === 1 ? others[0]?.id : undefined;
  const pinnedCount = pinnedMessages(view.state).length;

  const join = async () => {
    try {
      await engine.join(c.id);
      setProblem(null);
    } catch {
      setProblem('You need to be online to join a channel.');
    }
  };

  // What the header's "More" lists: on a phone, also what a desktop header shows as buttons.
  const moreItems = (): MoreItem[] => {
    const items: MoreItem[] = [];
    if (c.isMember)
      items.push({
        label: `Notifications${c.notify ? `: ${c.notify}` : ''}…`,
        icon: <BellIcon />,
        act: () => setNotify(true),
        phoneOnly: true,
      });
    if (pinnedCount > 0)
      items.push({
        label: `Pinned messages (${pinnedCount})`,
        icon: <PinIcon />,
        act: () => setPins(true),
        phoneOnly: true,
      });
    // #announcements is everyone's: no one leaves it.
    if (c.isMember && c.kind !== 'dm' && c.name !== 'announcements')
      items.push({ label: 'Leave channel…', icon: <LeaveIcon />, act: () => setLeaving(true) });
    return items;
  };

  const jump = (key: string) => {
    setPins(false);
    setWanted(key);
  };

  let blocked: string | null = null;
  if (!c.isMember) blocked = `You are reading #${c.name ?? ''}. Join it to post.`;
  else if (c.archived) blocked = 'This channel is archived: it keeps its history but takes no new messages.';
  else if (!c.canPost && (c.kind === 'announcement' || c.postPolicy === 'staff'))
    blocked = `Only tutors, teachers, staff and admins post in #${c.name ?? ''}. You can read and react here.`;
  else if (c.supervisor && c.supervisor.id === engine.me()?.id)
    blocked = 'You supervise this conversation: you can read it, but not post or react in it.';
  else if (!c.canPost) blocked = 'You cannot post here.';
  const muteBanner = blocked === null && mute ? `${mute.message}. You can still read here.` : null;

  return (
    <ConversationControlsProvider value={controls}>
      <div
        className={`pane-wrap${thread ? ' has-thread' : ''}`}
        onPointerDownCapture={(e) => (pressed.current = e.target instanceof Element ? e.target : null)}
      >
        <main className="pane" id="main" aria-labelledby="pane-title">
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
              <h2 id="pane-title" title={c.kind === 'dm' ? title : `#${title}`}>
                {c.kind !== 'dm' && (
                  <span className="glyph" aria-hidden="true">
                    {channelGlyph(c)}
                  </span>
                )}
                {title}
              </h2>
              {dmWith && (
                <p className="muted topic dm-presence" data-testid="dm-presence">
                  {engine.presenceOf(dmWith) && <PresenceDot userId={dmWith} decorative />}
                  <PresenceLine userId={dmWith} />
                </p>
              )}
              {(c.topic || c.description) && <p className="muted topic">{c.topic || c.description}</p>}
              {c.supervisor && (
                <p className="muted topic supervised" data-testid="supervised-by">
                  {c.supervisor.id === engine.me()?.id
                    ? 'You supervise this conversation for the college'
                    : `Supervised by ${c.supervisor.displayName}`}
                </p>
              )}
            </div>
            {pinnedCount > 0 && (
              <button
                type="button"
                className="head-icon pins-button desktop-only"
                onClick={() => setPins(true)}
                aria-haspopup="dialog"
                aria-label={`Pinned messages: ${pinnedCount}`}
                title="Pinned messages"
              >
                <PinIcon /> {pinnedCount}
              </button>
            )}
            {c.isMember && (
              <button
                type="button"
                className="icon-button head-icon desktop-only"
                onClick={() => setNotify(true)}
                aria-haspopup="dialog"
                aria-label={`Notifications${c.notify ? `: ${c.notify}` : ''}`}
                title="Notifications"
              >
                <Bell off={c.notify === 'muted'} />
              </button>
            )}
            <button
              type="button"
              className="head-icon members"
              onClick={() => setDetails(true)}
              aria-haspopup="dialog"
              title="Members and details"
            >
              <PeopleIcon />
              {c.memberCount}
              <span className="members-word"> {c.memberCount === 1 ? 'member' : 'members'}</span>
            </button>
            <MoreMenu
              label={`More for ${c.kind === 'dm' ? title : `#${c.name ?? ''}`}`}
              items={moreItems()}
            />
          </header>
          <PaneSyncLine />
          {wanted && !linked && (
            <p className="link-wait" role="status">
              That message is not on this device yet: it opens here when it arrives.{' '}
              {(view.state.oldestSegment > 0 || view.state.missingBetween) && (
                <button
                  type="button"
                  className="link-button"
                  onClick={() => void engine.loadOlder(c.id).catch(() => setProblem('You are offline.'))}
                >
                  Load older messages
                </button>
              )}
            </p>
          )}
          <Suspense fallback={<div className="messages" aria-busy="true" />}>
            <MessageList
              conversationId={c.id}
              messages={view.messages}
              readSeqAtOpen={readSeqAtOpen}
              hasOlder={view.state.oldestSegment > 0 || view.state.missingBetween}
              onLoadOlder={() => void engine.loadOlder(c.id)}
              jumpTo={jumpTo}
              emptyText={
                uploading
                  ? null
                  : engine.heard(c.id)
                    ? emptyWords(c, blocked === null)
                    : engine.status().connection !== 'offline'
                      ? null
                      : 'This conversation’s messages are not on this device yet: they arrive when you are back online.'
              }
            />
          </Suspense>
          {uploading && (
            <Suspense fallback={null}>
              <PendingUploads conversationId={c.id} parent={null} />
            </Suspense>
          )}
          <TypingLine conversationId={c.id} />
          <ErrorText message={problem} />
          {muteBanner ? (
            <div className="cannot-post muted-banner" role="status" data-testid="mute-banner">
              <p>{muteBanner}</p>
            </div>
          ) : blocked ? (
            <div className="cannot-post" role="note">
              <p>{blocked}</p>
              {!c.isMember && (
                <button type="button" className="primary" onClick={() => void join()}>
                  Join #{c.name}
                </button>
              )}
            </div>
          ) : (
            <Composer
              key={c.id}
              conversationId={c.id}
              placeholder={`Message ${c.kind === 'dm' ? title : `#${c.name ?? ''}`}`}
            />
          )}
        </main>
        <Suspense fallback={null}>
          {thread && (
            <ThreadPanel
              conversationId={c.id}
              parentKey={thread}
              focusReply={threadFocus}
              canPost={blocked === null && muteBanner === null}
              onClose={() => {
                setThread(null);
                setThreadFocus(null);
              }}
            />
          )}
          {details && (
            <ChannelDetails
              conversationId={c.id}
              onClose={() => setDetails(false)}
              onJump={(key) => {
                setDetails(false);
                jump(key);
              }}
            />
          )}
          {notify && <NotifyDialog conversation={c} onClose={() => setNotify(false)} />}
          {leaving && (
            <LeaveDialog
              conversation={c}
              onClose={() => setLeaving(false)}
              onLeft={() => {
                setLeaving(false);
                setLeft({ id: c.id, name: c.name ?? '', private: c.kind === 'private' });
              }}
            />
          )}
          {pins && <PinnedList conversationId={c.id} onJump={jump} onClose={() => setPins(false)} />}
          {profile && (
            <ProfileCard userId={profile.userId} anchor={profile.anchor} onClose={() => setProfile(null)} />
          )}
        </Suspense>
      </div>
    </ConversationControlsProvider>
  );
}
