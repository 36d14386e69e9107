import { idxRoots } from '@commonroom/model';
import {
  SYNC_STEP1,
  authorDoc,
  idxDoc,
  modDoc,
  type Conversation,
  type ConversationId,
  type Frame,
  type Me,
  type UserId,
} from '@commonroom/protocol';
import * as Y from 'yjs';
import { UNFOLLOWED, isFollowed, isIncomplete } from './doc-state.ts';
import { segmentPrefix, type Replica, type Replicas } from './replicas.ts';

/**
 * Which documents this device follows on the socket (P2, P3): every document of the conversations the
 * person is in, the authors an index reveals, older segments only while they matter (on screen, or with
 * something waiting to send). One WELCOME asks for all of them in one round.
 */

/** How many recently opened conversations keep their older segments followed across reconnects. */
const RECENTLY_OPENED = 2;

export type Subscriptions = ReturnType<typeof createSubscriptions>;

export function createSubscriptions(deps: {
  replicas: Replicas;
  conversations: ReadonlyMap<string, Conversation>;
  me: () => Me | null;
  isOnline: () => boolean;
  send: (frames: Frame[]) => boolean;
  /** The ref the next frame carries (one counter for every frame that is answered, P2). */
  nextRef: () => number;
  /** Documents with actions waiting to send. */
  waitingDocs: () => ReadonlySet<string>;
  /** Reads the conversation list and the directory again (after a WELCOME: what changed while away). */
  refreshAll: () => void;
  emit: () => void;
  inBackground: (work: Promise<unknown>) => void;
}) {
  const { replicas } = deps;
  /**
   * Conversations opened most recently, newest first (the one on screen, or one per tab). On a reconnect
   * their older segments are followed again at once; other conversations' older segments rest until
   * opened, apart from one's own documents (see followOnWelcome).
   */
  const recentlyOpened: string[] = [];
  /** Index documents whose authors are being opened: `settled()` waits for them. */
  let following = 0;

  const docsOf = (c: Conversation): string[] => {
    const id = c.id as ConversationId;
    const names = [idxDoc(id, c.segment), modDoc(id, c.segment)];
    const me = deps.me();
    if (me) names.push(authorDoc(id, me.id as UserId, c.segment));
    return names;
  };

  /** A step 1 for this replica, under a ref its answer will carry (P2). */
  const step1For = (r: Replica): Frame => {
    const ref = deps.nextRef();
    r.follow = { kind: 'asked', ref };
    return { type: 'sync', doc: r.name, ref, syncType: SYNC_STEP1, payload: Y.encodeStateVector(r.doc) };
  };

  const subscribe = (replicasToSync: Replica[]): void => {
    const frames: Frame[] = [];
    const marked: Replica[] = [];
    for (const r of replicasToSync) {
      if (isFollowed(r.follow)) continue;
      marked.push(r);
      frames.push(step1For(r));
    }
    // Not sent (a caller that found the socket online awaited the device store meanwhile, and the socket
    // dropped, or a new one has not heard WELCOME yet): not followed either, so the next WELCOME follows
    // them. Marked followed, they were skipped by it and never synced on that socket (P3).
    if (frames.length > 0 && !deps.send(frames)) for (const r of marked) r.follow = UNFOLLOWED;
  };

  /** Subscribes to every author who has written in a conversation, as the index reveals them. */
  const followAuthors = async (idx: Replica): Promise<void> => {
    const { conversationId, segment } = idx.parsed;
    const names = [...idxRoots(idx.doc).authors.keys()].map((a) =>
      authorDoc(conversationId, a as UserId, segment),
    );
    const fresh: Replica[] = [];
    // Counted so that `settled()` does not resolve between the index arriving and its authors' documents.
    following++;
    try {
      // Opened together (at a start they are already open: `openSegment` read the whole segment).
      for (const r of await Promise.all(names.map((n) => replicas.open(n))))
        if (!isFollowed(r.follow)) fresh.push(r);
      if (deps.isOnline()) subscribe(fresh);
    } finally {
      following--;
      deps.emit();
    }
  };

  const openConversationDocs = async (c: Conversation): Promise<Replica[]> => {
    // One storage read for the segment's index, moderation and author documents together.
    const rs = await replicas.openSegment(segmentPrefix(c.id, c.segment), docsOf(c));
    const idx = rs[0];
    if (idx) {
      await followAuthors(idx);
      const { conversationId, segment } = idx.parsed;
      for (const a of idxRoots(idx.doc).authors.keys()) {
        const r = replicas.get(authorDoc(conversationId, a as UserId, segment));
        if (r) rs.push(r);
      }
    }
    return rs;
  };

  const restingOf = (conversationId: string): Replica[] =>
    [...replicas.all()].filter(
      (r) => r.parsed.conversationId === conversationId && r.follow.kind === 'resting',
    );

  /** Marks a conversation as opened (on screen): its older segments are followed on every reconnect. */
  const noteOpened = (conversationId: string): void => {
    const at = recentlyOpened.indexOf(conversationId);
    if (at >= 0) recentlyOpened.splice(at, 1);
    recentlyOpened.unshift(conversationId);
    recentlyOpened.length = Math.min(recentlyOpened.length, RECENTLY_OPENED);
  };

  /** Whether a reconnect follows this replica at once, or leaves it resting until its conversation opens. */
  const followOnWelcome = (r: Replica, waiting: ReadonlySet<string>): boolean => {
    const c = deps.conversations.get(r.parsed.conversationId);
    // The current segment is where new messages land. An older one changes only when someone edits,
    // deletes, reacts to or pins an old message: worth a round trip for what is on screen, not for every
    // segment a device has ever scrolled through (a whole college reconnecting after a deploy).
    if (!c || r.parsed.segment >= c.segment) return true;
    if (recentlyOpened.includes(c.id)) return true;
    // One's own documents hold one's read marks: unread counts take the highest mark of every segment, so a
    // mark moved back from another device must arrive even while the rest of the segment rests.
    if (r.parsed.kind === 'author' && r.parsed.userId === deps.me()?.id) return true;
    return waiting.has(r.name) || isIncomplete(r.phase);
  };

  /** Opens and follows a conversation's documents, and its resting ones (it is on screen). */
  const openAndFollow = async (c: Conversation): Promise<void> => {
    noteOpened(c.id);
    const rs = await openConversationDocs(c);
    if (deps.isOnline()) subscribe([...rs, ...restingOf(c.id)]);
  };

  /** Opens and follows one older segment of a conversation (scrolling back, or a search's hit). */
  const openOlder = async (c: Conversation, segment: number): Promise<void> => {
    const id = c.id as ConversationId;
    noteOpened(c.id);
    // One storage read for the segment (its index, moderation and author documents together).
    const rs = await replicas.openSegment(segmentPrefix(id, segment), [
      idxDoc(id, segment),
      modDoc(id, segment),
    ]);
    if (deps.isOnline()) subscribe([...rs, ...restingOf(c.id)]);
    const idx = rs[0];
    if (idx) await followAuthors(idx);
  };

  return {
    subscribe,
    step1For,
    followAuthors,
    openConversationDocs,
    openAndFollow,
    noteOpened,
    following: (): number => following,

    onWelcome: async (): Promise<void> => {
      const all = new Set<Replica>();
      for (const c of deps.conversations.values())
        if (c.isMember) for (const r of await openConversationDocs(c)) all.add(r);
      // Also anything opened for reading (a public channel previewed without joining), and older segments
      // that are on screen or have something waiting to send.
      const waiting = deps.waitingDocs();
      for (const r of replicas.all()) {
        if (all.has(r)) continue;
        if (followOnWelcome(r, waiting)) all.add(r);
        else r.follow = { kind: 'resting' };
      }
      // One round: every document's state vector in as few socket messages as fit (P3).
      subscribe([...all]);
      // What changed while away (added to a channel, new people) arrives over HTTP alongside.
      deps.refreshAll();
    },

    /** The socket is gone: nothing is followed on it any more (resting documents stay resting). */
    offline: (): void => {
      for (const r of replicas.all()) if (r.follow.kind !== 'resting') r.follow = UNFOLLOWED;
    },

    /** A new conversation list: documents of conversations no longer readable go; new ones are followed. */
    onList: async (list: readonly Conversation[], before: ReadonlySet<string>): Promise<void> => {
      // Lost access (removed from a private channel): forget its documents on this device.
      for (const id of before) {
        const c = deps.conversations.get(id);
        if (c && (c.isMember || c.kind === 'public' || c.kind === 'announcement')) continue;
        for (const r of [...replicas.all()])
          if (r.parsed.conversationId === id) await replicas.forget(r.name);
      }
      if (deps.isOnline()) {
        const fresh: Replica[] = [];
        for (const c of list) if (c.isMember) fresh.push(...(await openConversationDocs(c)));
        subscribe(fresh);
      }
    },

    /** The list another tab fetched: followed here too (the leader tab holds the socket). */
    onPeerList: async (list: readonly Conversation[]): Promise<void> => {
      const fresh: Replica[] = [];
      for (const c of list) if (c.isMember) fresh.push(...(await openConversationDocs(c)));
      if (deps.isOnline()) subscribe(fresh);
    },

    /**
     * Loads the newest segment below the current one that is not on this device (scrolling back); false
     * when there is none. Not simply the one before the oldest held: a device that was away for several
     * quick rollovers holds the segments it saw, with gaps between them.
     */
    loadOlder: async (c: Conversation): Promise<boolean> => {
      const id = c.id as ConversationId;
      let oldest = c.segment;
      while (oldest > 0 && replicas.get(idxDoc(id, oldest - 1))) oldest--;
      if (oldest <= 0) return false;
      await openOlder(c, oldest - 1);
      return true;
    },

    /**
     * Loads one older segment, the one holding a message a search found (P13), without those between it
     * and the newest: reaching a year-old message does not load a year of history. False when that segment
     * is not older than the current one, or is already here.
     */
    loadSegment: async (c: Conversation, segment: number): Promise<boolean> => {
      if (!Number.isInteger(segment) || segment < 0 || segment >= c.segment) return false;
      if (replicas.get(idxDoc(c.id as ConversationId, segment))) return false;
      await openOlder(c, segment);
      return true;
    },

    /** After sign-out. */
    clear: (): void => {
      recentlyOpened.length = 0;
    },
  };
}
