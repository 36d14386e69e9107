import {
  authorRoots,
  idxRoots,
  messageKey,
  readMarksOf,
  readSeqOf,
  type MessageKey,
  type SegmentDocs,
} from '@commonroom/model';
import {
  CLOSE,
  Conversation,
  LIMITS,
  Me,
  PublicUser,
  SYNC_STEP1,
  SYNC_STEP2,
  SYNC_UPDATE,
  authorDoc,
  idxDoc,
  isAdminRole,
  modDoc,
  type ConversationId,
  type Frame,
  type ProfileUpdate,
  type UserId,
} from '@commonroom/protocol';
import * as Y from 'yjs';
import * as z from 'zod/mini';
import { applyAction, type ActionPayloads } from './actions.ts';
import { createApiClient } from './api-client.ts';
import { createConnection, type ConnectionState, type SocketFactory, type Timers } from './connection.ts';
import {
  buildView,
  createViewCache,
  ownMessageOf,
  segmentDocs,
  type ConversationView,
} from './engine-view.ts';
import type { PeerEvent } from './peers.ts';

export type { ConversationView, EngineMessage, MessageStatus } from './engine-view.ts';
import { createReplicas, segmentPrefix, type Replica } from './replicas.ts';
import type { PendingReport, ReportQueue } from './reports.ts';
import { createSessionEndWatch, type SessionEnded } from './session-end.ts';
import { createStallWatch } from './stall-watch.ts';
import type { ActionKind, EngineStorage, OutboxEntry } from './storage.ts';

/**
 * The sync engine: the same code in the browser and in Node (tests, benchmarks, bots). It owns the device's
 * replicas, the outbox of actions the server has not yet acknowledged, and the one socket.
 */

export type EngineOptions = {
  baseUrl: string;
  storage: EngineStorage;
  socketFactory: SocketFactory;
  fetch?: typeof fetch;
  /** Node has no cookie jar: keep the session cookie in the engine and send it. */
  manualCookies?: boolean;
  /** Node: the Origin header to send on the socket (a browser sends its own). */
  origin?: string;
  now?: () => number;
  random?: () => number;
  /** Yjs client ids for this device's documents (a simulation's seeded ones); Yjs draws its own otherwise. */
  clientIds?: () => number;
  timers?: Timers;
  clientName?: string;
  backoff?: { minMs: number; maxMs: number };
  /** Silence with actions waiting after which the socket is taken for dead and reopened (stall-watch.ts). */
  stallMs?: number;
};

export type PresenceInfo = { status: string; text: string; lastSeen: number };
export type SyncStatus = {
  connection: ConnectionState;
  waiting: number;
  /** Of those waiting, how many are still being written to the device (lost if the app closes now). */
  saving: number;
  rejected: number;
  lastSyncedAt: number | null;
  /**
   * The server speaks a newer protocol than this app (it closed with `versionMismatch`): nothing more is
   * sent until the app is updated (a reload); what waits stays on the device.
   */
  updateNeeded: boolean;
  /**
   * The server said this person sends new messages too fast (`slow-down`, P10): what waits is sent again
   * at this time. Null when not slowed down.
   */
  slowedUntil: number | null;
};

const Ok = z.object({ ok: z.literal(true) });
const MeReply = z.object({ user: Me });
const ConversationsReply = z.object({ conversations: z.array(Conversation) });
const ConversationReply = z.object({ conversation: Conversation });
const UsersReply = z.object({ users: z.array(PublicUser) });
const MembersReply = z.object({ members: z.array(PublicUser) });

/** Unacknowledged frames per document before further actions wait and are merged. */
const WINDOW = 4;
const MAX_ACTIONS_PER_FRAME = 256;
/** Leaves room under the 64 KiB frame limit for the frame header and merge overhead. */
const MAX_FRAME_PAYLOAD = 48 * 1024;
/** The Yjs client ids an outbox update writes as (read once per update: the bytes never change). */
const writerCache = new WeakMap<Uint8Array, readonly number[]>();
const writersOf = (update: Uint8Array): readonly number[] => {
  let ids = writerCache.get(update);
  if (!ids) writerCache.set(update, (ids = [...Y.parseUpdateMeta(update).from.keys()]));
  return ids;
};
/** How many recently opened conversations keep their older segments followed across reconnects. */
const RECENTLY_OPENED = 2;

function randomId(random: () => number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[Math.floor(random() * 64)] ?? 'x';
  return s;
}

export type Engine = ReturnType<typeof createEngine>;

export function createEngine(opts: EngineOptions) {
  const now = opts.now ?? Date.now;
  /**
   * How far this device's clock runs ahead of the server's, as of the last WELCOME (0 when not yet known,
   * behind, or ahead by less than a minute: the frame's travel time alone looks like being ahead). Read
   * times are stamped with the server's clock: the server refuses one in its future (P8, with an allowance
   * of `LIMITS.readTimeSkewMs`), and a phone's clock can be hours out.
   */
  let aheadOfServer = 0;
  const serverNow = (): number => now() - aheadOfServer;
  const random = opts.random ?? Math.random;
  const timers: Timers = opts.timers ?? {
    setTimeout: (f, ms) => setTimeout(f, ms),
    clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  };
  const storage = opts.storage;
  /** Why the session ended, told once to the app (session-end.ts; the PWA wipes the device on it). */
  const sessionEnd = createSessionEndWatch();
  const api = createApiClient({
    baseUrl: opts.baseUrl,
    fetch: opts.fetch ?? fetch,
    manualCookies: opts.manualCookies === true,
    onFailure: sessionEnd.fromHttp,
  });

  let me: Me | null = null;
  let deviceId = '';
  let order = 0;
  let lastSyncedAt: number | null = null;
  const conversations = new Map<string, Conversation>();
  /** The people directory, kept on the device so names and roles show offline. */
  const directory = new Map<string, PublicUser>();
  const outbox = new Map<string, OutboxEntry>();
  /** ref → the outbox entries one frame carried. */
  const inflight = new Map<number, { doc: string; ids: string[]; generation: number }>();
  /** How many times each document was rebuilt: a frame sent before the latest rebuild is answered late. */
  const generations = new Map<string, number>();
  /**
   * Per document, the actions of refused frames that carried several: each goes alone in its frame until
   * it is settled, to find which one the server refuses. Only those: actions taken since go merged as
   * usual (when the whole document went one action per frame until its outbox emptied, a device that
   * kept acting never merged again, and under load a window of four single actions per round trip fell
   * behind; issue 12 B6).
   */
  const isolate = new Map<string, Set<string>>();
  const suspectsOf = (doc: string): ReadonlySet<string> => {
    const ids = isolate.get(doc);
    if (!ids) return new Set();
    for (const id of ids) {
      const e = outbox.get(id);
      if (!e || e.doc !== doc || e.status !== 'pending') ids.delete(id);
    }
    if (ids.size === 0) isolate.delete(doc);
    return ids;
  };
  const suspect = (doc: string, entries: readonly OutboxEntry[]): void => {
    const ids = isolate.get(doc) ?? new Set<string>();
    for (const e of entries) ids.add(e.id);
    isolate.set(doc, ids);
  };
  /** doc → the last action order taken before its rebuild emptied it; later actions were applied to the rebuilt copy. */
  const rebuiltAfter = new Map<string, number>();
  /** Replicas whose post-rebuild replay is running: a second step 2 (a duplicate) must not start another. */
  const replaying = new Set<Replica>();
  /**
   * Documents refused again while their replay ran: the replay may already have applied the refused action
   * to the fresh copy, where nothing would take it out. They are rebuilt once more when the replay ends.
   */
  const rebuildAgain = new Set<string>();
  /**
   * After a `slow-down` refusal nothing is sent until this time (P10, P12): the server refuses the person's
   * new messages until then, and each frame refused meanwhile would cost a rebuild. The waits grow like
   * the reconnect backoff while refusals repeat, and start again small after an acknowledgement.
   */
  let slowedUntil: number | null = null;
  let slowDowns = 0;
  const slowDown = (): void => {
    if (slowedUntil !== null) return;
    const min = opts.backoff?.minMs ?? 500;
    const delay = Math.min(opts.backoff?.maxMs ?? 30_000, min * 2 ** Math.min(slowDowns, 16));
    slowDowns++;
    slowedUntil = now() + delay;
    timers.setTimeout(() => {
      slowedUntil = null;
      const docs = new Set([...outbox.values()].filter((e) => e.status === 'pending').map((e) => e.doc));
      for (const d of docs) sendPendingFor(d);
      emit();
    }, delay);
  };
  /**
   * Documents a rebuild emptied whose server copy has not arrived or is still being replayed onto: nothing
   * (or not everything) in them to act on yet.
   */
  const awaitingCopy = new Set<string>();
  /** Outbox entries whose device write is still running (see act). */
  const unsaved = new Set<string>();
  /** Outbox entries taken while their document awaited its copy: not applied yet; the replay applies them. */
  const deferred = new Set<string>();
  let nextRef = 1;
  /**
   * Per document, the ref of the latest step 1 sent. A rebuild replays only onto the answer to its own (or a
   * later) step 1: an answer to one sent before the copy was cleared holds only what the old copy lacked.
   */
  const awaitedStep2 = new Map<string, number>();
  /**
   * Conversations opened most recently, newest first (the one on screen, or one per tab). On a reconnect
   * their older segments are followed again at once; other conversations' older segments rest until
   * opened, apart from one's own documents (see followOnWelcome).
   */
  const recentlyOpened: string[] = [];
  /**
   * Per message key (`conversation key`), the segment its record lived in when its document was last
   * thrown away for a rebuild: while the server's copy is on its way the view does not hold the message,
   * and an edit or reaction must still go to the segment that holds it (P13, issue 12 B7).
   */
  const knownSegments = new Map<string, number>();
  /** Documents held here but left unfollowed on the last WELCOME: not waited on by `settled()`. */
  const resting = new Set<string>();
  const presence = new Map<string, PresenceInfo>();
  const typing = new Map<string, Map<string, number>>();
  const listeners = new Set<() => void>();
  const errorListeners = new Set<(e: { code: string; message: string }) => void>();
  let emitScheduled = false;
  /** Goes up with every workspace-changed notice: the app reads the workspace's name again. */
  let workspaceVersion = 0;
  /** Goes up with every safeguarding-changed notice (a lead's queue count is read again). */
  let safeguardingVersion = 0;
  let version = 0;
  const settledWaiters: (() => void)[] = [];

  const emit = (): void => {
    version++;
    if (emitScheduled) return;
    emitScheduled = true;
    queueMicrotask(() => {
      emitScheduled = false;
      for (const l of listeners) l();
      checkSettled();
    });
  };
  const reportError = (code: string, message: string): void => {
    for (const l of errorListeners) l({ code, message });
  };
  /**
   * Runs engine work nobody awaits (a frame's answer, a replay). Whatever it throws is reported, never left
   * as an unhandled rejection, which ends a Node process (issue 12 B8).
   */
  const inBackground = (work: Promise<unknown>): void => {
    work.catch((err: unknown) =>
      reportError('engine', err instanceof Error ? err.message : 'something went wrong on this device'),
    );
  };

  /**
   * Reports of a concern (issue 14 §2, reports.ts), loaded the first time one is written or one waits to
   * be sent: most people never report anything, so the code stays out of the first screen.
   */
  let reportsWaiting = 0;
  let reportQueue: Promise<ReportQueue> | null = null;
  const loadReports = (): Promise<ReportQueue> =>
    (reportQueue ??= import('./reports.ts').then((m) =>
      m.createReportQueue({
        storage,
        api,
        newId: () => randomId(random),
        now,
        ok: Ok,
        changed: (n) => (reportsWaiting = n),
      }),
    ));
  const reports = {
    /** Keeps the report on the device, then sends it when it can; `sent: false` while offline. */
    report: async (r: Omit<PendingReport, 'id' | 'createdAt'>): Promise<{ sent: boolean }> =>
      (await loadReports()).report(r),
    /** The queue itself, loaded on first use: refused reports (P15), kept until dismissed, are read there. */
    queue: loadReports,
  };

  /** Other tabs of this browser (see peers.ts); a follower tab shows the leader's connection. */
  const peerListeners = new Set<(e: PeerEvent) => void>();
  const toPeers = (e: PeerEvent): void => {
    for (const l of peerListeners) l(e);
  };
  let leaderStatus: Pick<SyncStatus, 'connection' | 'lastSyncedAt' | 'updateNeeded'> | null = null;
  let updateNeeded = false;

  const replicas = createReplicas({
    storage,
    ...(opts.clientIds ? { clientIds: opts.clientIds } : {}),
    isSaving: (doc, except) => [...unsaved].some((id) => id !== except && outbox.get(id)?.doc === doc),
    onStored: (r, update) => toPeers({ t: 'doc', doc: r.name, update }),
    onChange: (r) => {
      if (r.parsed.kind === 'idx') inBackground(followAuthors(r));
      emit();
    },
    onError: (err) =>
      reportError('storage', err instanceof Error ? err.message : 'could not save on this device'),
  });

  const conn = createConnection({
    url: `${opts.baseUrl.replace(/^http/, 'ws')}/sync`,
    socketFactory: opts.socketFactory,
    headers: () => {
      const h: Record<string, string> = {};
      const c = api.cookie();
      if (c) h.cookie = c;
      if (opts.origin) h.origin = opts.origin;
      return h;
    },
    timers,
    random,
    clientName: opts.clientName ?? 'commonroom-engine',
    minBackoffMs: opts.backoff?.minMs ?? 500,
    maxBackoffMs: opts.backoff?.maxMs ?? 30_000,
    onWelcome: (_userId, serverTime) => {
      const ahead = now() - serverTime;
      const was = aheadOfServer;
      aheadOfServer = ahead > 60_000 ? ahead : 0;
      stall.restart();
      // Kept on the device: after a restart offline, read times are still stamped at the server's clock,
      // which the server bounds by its own (P8); a phone hours fast would otherwise have its marks refused.
      if (aheadOfServer !== was) inBackground(storage.setMeta('aheadOfServer', aheadOfServer));
      inBackground(onWelcome());
    },
    onFrames: (frames) => {
      for (const f of frames) handleFrame(f);
    },
    // A 401 here names why the session ended (session-end.ts); any other outcome means nothing.
    onRefused: () => void api.request('GET', '/api/auth/me', MeReply).catch(() => undefined),
    onState: (s, detail) => {
      if (s === 'online') {
        updateNeeded = false;
        // Reports written offline go as soon as the server is reachable again.
        if (reportsWaiting > 0) inBackground(loadReports().then((q) => q.flush()));
      } else if (detail.code === CLOSE.versionMismatch) updateNeeded = true;
      else if (s === 'signed-out') sessionEnd.fromClose(detail.code, detail.reason);
      if (s !== 'online') {
        inflight.clear();
        awaitedStep2.clear();
        for (const r of replicas.all()) {
          r.subscribed = false;
          r.synced = false;
        }
        presence.clear();
        typing.clear();
      }
      toPeers({ t: 'status', connection: s, lastSyncedAt, updateNeeded });
      emit();
    },
  });

  // An API call heard it first: stop knocking with a session the server has ended.
  sessionEnd.onEnded(() => {
    stall.stop();
    conn.signOut();
  });

  const stall = createStallWatch({
    now,
    timers,
    stallMs: opts.stallMs ?? 15_000,
    hasWork: () =>
      conn.isOnline() && slowedUntil === null && [...outbox.values()].some((e) => e.status === 'pending'),
    onStall: () => {
      reportError('stalled', 'the connection stopped answering; reconnecting');
      conn.drop();
    },
  });

  // ——— documents of a conversation ———

  const docsOf = (c: Conversation): string[] => {
    const id = c.id as ConversationId;
    const names = [idxDoc(id, c.segment), modDoc(id, c.segment)];
    if (me) names.push(authorDoc(id, me.id as UserId, c.segment));
    return names;
  };

  /** A step 1 for this replica, under a ref its answer will carry (P2). */
  const step1For = (r: Replica): Frame => {
    const ref = nextRef++;
    awaitedStep2.set(r.name, ref);
    return { type: 'sync', doc: r.name, ref, syncType: SYNC_STEP1, payload: Y.encodeStateVector(r.doc) };
  };

  const subscribe = (replicasToSync: Replica[]): void => {
    const frames: Frame[] = [];
    const marked: Replica[] = [];
    for (const r of replicasToSync) {
      resting.delete(r.name);
      if (r.subscribed) continue;
      r.subscribed = true;
      marked.push(r);
      frames.push(step1For(r));
    }
    // Not sent (a caller that found the socket online awaited the device store meanwhile, and the socket
    // dropped, or a new one has not heard WELCOME yet): not followed either, so the next WELCOME follows
    // them. Marked followed, they were skipped by it and never synced on that socket (P3).
    if (frames.length > 0 && !conn.send(frames)) for (const r of marked) r.subscribed = false;
  };

  /** Subscribes to every author who has written in a conversation, as the index reveals them. */
  let following = 0;
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
      for (const r of await Promise.all(names.map((n) => replicas.open(n)))) if (!r.subscribed) fresh.push(r);
      if (conn.isOnline()) subscribe(fresh);
    } finally {
      following--;
      emit();
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

  const readable = (c: Conversation): boolean =>
    c.isMember || c.kind === 'public' || c.kind === 'announcement';

  const restingOf = (conversationId: string): Replica[] =>
    [...replicas.all()].filter((r) => r.parsed.conversationId === conversationId && resting.has(r.name));

  /** Marks a conversation as opened (on screen): its older segments are followed on every reconnect. */
  const noteOpened = (conversationId: string): void => {
    const at = recentlyOpened.indexOf(conversationId);
    if (at >= 0) recentlyOpened.splice(at, 1);
    recentlyOpened.unshift(conversationId);
    recentlyOpened.length = Math.min(recentlyOpened.length, RECENTLY_OPENED);
  };

  /** Whether a reconnect follows this replica at once, or leaves it resting until its conversation opens. */
  const followOnWelcome = (r: Replica, waiting: ReadonlySet<string>): boolean => {
    const c = conversations.get(r.parsed.conversationId);
    // The current segment is where new messages land. An older one changes only when someone edits,
    // deletes, reacts to or pins an old message: worth a round trip for what is on screen, not for every
    // segment a device has ever scrolled through (a whole college reconnecting after a deploy).
    if (!c || r.parsed.segment >= c.segment) return true;
    if (recentlyOpened.includes(c.id)) return true;
    // One's own documents hold one's read marks: unread counts take the highest mark of every segment, so a
    // mark moved back from another device must arrive even while the rest of the segment rests.
    if (r.parsed.kind === 'author' && r.parsed.userId === me?.id) return true;
    return waiting.has(r.name) || r.rebuilding || awaitingCopy.has(r.name);
  };

  const onWelcome = async (): Promise<void> => {
    const all = new Set<Replica>();
    for (const c of conversations.values())
      if (c.isMember) for (const r of await openConversationDocs(c)) all.add(r);
    // Also anything opened for reading (a public channel previewed without joining), and older segments
    // that are on screen or have something waiting to send.
    const waiting = new Set<string>();
    for (const e of outbox.values()) if (e.status === 'pending') waiting.add(e.doc);
    for (const r of replicas.all()) {
      if (all.has(r)) continue;
      if (followOnWelcome(r, waiting)) all.add(r);
      else resting.add(r.name);
    }
    // One round: every document's state vector in as few socket messages as fit (P3).
    subscribe([...all]);
    // What changed while away (added to a channel, new people) arrives over HTTP alongside.
    void refreshConversations().catch(() => undefined);
    void refreshDirectory().catch(() => undefined);
  };

  // ——— the outbox ———

  const canWrite = (r: Replica): boolean =>
    r.parsed.kind === 'mod' || (r.parsed.kind === 'author' && r.parsed.userId === me?.id);

  /**
   * Actions of `doc` on their way in the current form. One sent before the latest rebuild is sent again in
   * the rebuilt copy's form at once: waiting for its old frame's answer, the actions after it would be
   * refused for depending on it (`missing-history`), round after round. The server keeps one form (P14).
   */
  const inflightIds = (doc: string): Set<string> => {
    const generation = generations.get(doc) ?? 0;
    const ids = new Set<string>();
    for (const f of inflight.values())
      if (f.doc === doc && f.generation === generation) for (const id of f.ids) ids.add(id);
    return ids;
  };
  const inflightFramesFor = (doc: string): number => {
    let n = 0;
    for (const f of inflight.values()) if (f.doc === doc) n++;
    return n;
  };

  /**
   * Sends what waits for `doc`, keeping at most WINDOW frames unacknowledged. Whatever piles up meanwhile
   * (a fast writer, an offline backlog) goes merged into few frames, each under the frame limit (P10).
   */
  const sendPendingFor = (doc: string): void => {
    const r = replicas.get(doc);
    // A resting document (another tab acted on it) is followed first; its step 2 sends what waits.
    if (r && !r.subscribed && conn.isOnline()) return subscribe([r]);
    if (!r || !r.synced || r.rebuilding || !conn.isOnline() || slowedUntil !== null) return;
    const flying = inflightIds(doc);
    const waiting = [...outbox.values()]
      .filter((e) => e.doc === doc && e.status === 'pending' && e.update !== null && !flying.has(e.id))
      .sort((a, b) => a.order - b.order);
    let frames = inflightFramesFor(doc);
    const suspects = suspectsOf(doc);
    let i = 0;
    while (i < waiting.length && frames < WINDOW) {
      const chunk: OutboxEntry[] = [];
      let bytes = 0;
      // New messages per frame are bounded by the server too (P10): a backlog goes in several frames.
      let sends = 0;
      const writers = new Set<number>();
      while (i < waiting.length && chunk.length < MAX_ACTIONS_PER_FRAME) {
        const e = waiting[i] as OutboxEntry;
        // A suspect goes alone: the frame before it ends here, and the one it starts ends after it.
        if (chunk.length > 0 && (suspects.has(e.id) || suspects.has((chunk[0] as OutboxEntry).id))) break;
        const size = e.update?.length ?? 0;
        if (chunk.length > 0 && bytes + size > MAX_FRAME_PAYLOAD) break;
        if (e.kind === 'send' && sends === LIMITS.maxNewMessagesPerFrame) break;
        // Each session (and rebuild) writes as a new Yjs client id: a backlog kept over many of them goes
        // in several frames, each within the server's bound on client ids per update (P10).
        const ids = writersOf(e.update as Uint8Array);
        if (chunk.length > 0 && new Set([...writers, ...ids]).size > LIMITS.maxClientsPerUpdate) break;
        for (const c of ids) writers.add(c);
        if (e.kind === 'send') sends++;
        chunk.push(e);
        bytes += size;
        i++;
      }
      const updates = chunk.map((e) => e.update as Uint8Array);
      const payload = updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
      const ref = nextRef++;
      inflight.set(ref, { doc, ids: chunk.map((e) => e.id), generation: generations.get(doc) ?? 0 });
      // A new message is named by its own id; every other action by the entry's, so the server stores
      // each once however often a rebuild re-applies it (P14).
      const actions = chunk.filter((e) => e.kind !== 'send').map((e) => e.id);
      const frame: Frame = { type: 'sync', doc, ref, syncType: SYNC_UPDATE, payload };
      if (!conn.send([actions.length > 0 ? { ...frame, actions } : frame])) {
        inflight.delete(ref);
        return;
      }
      frames++;
    }
  };

  /** Done (or given up on): out of the outbox, here, on the device and in the other tabs. */
  const dropEntries = async (entries: readonly OutboxEntry[]): Promise<void> => {
    // Out of memory at once, before the first (slow) device write: an entry still here while the others'
    // deletes are awaited is no longer in flight, and would be sent again, merged with whatever comes next.
    for (const e of entries) outbox.delete(e.id);
    for (const e of entries) await storage.deleteOutbox(e.id);
    if (entries.length > 0) toPeers({ t: 'outbox-del', ids: entries.map((e) => e.id) });
  };

  const copyOf = (doc: Y.Doc): Y.Doc => {
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    return copy;
  };
  /**
   * Whether `doc` already has everything `update` does (applying it there changes nothing). Applied to the
   * copy either way, so later updates that build on this one are judged against it too.
   */
  const holds = (doc: Y.Doc, update: Uint8Array): boolean => {
    let changed = false;
    const onUpdate = (): void => {
      changed = true;
    };
    doc.on('update', onUpdate);
    try {
      Y.applyUpdate(doc, update);
    } catch {
      return false;
    } finally {
      doc.off('update', onUpdate);
    }
    return !changed && doc.store.pendingStructs === null && doc.store.pendingDs === null;
  };

  const act = async <K extends ActionKind>(
    conversationId: string,
    doc: string,
    kind: K,
    payload: ActionPayloads[K],
  ): Promise<OutboxEntry | null> => {
    const r = await replicas.open(doc);
    // Writing to a document not yet followed (one's own in an older segment): follow it to send.
    if (!r.subscribed && conn.isOnline()) subscribe([r]);
    // The entry is in the outbox before the change is visible, so no one ever sees it as "sent" early.
    const entry: OutboxEntry = {
      id: randomId(random),
      // Roughly time-ordered, so actions taken in two tabs of one browser interleave in the order taken.
      order: (order = Math.max(order + 1, now() * 1000)),
      conversationId,
      doc,
      kind,
      payload,
      createdAt: now(),
      update: null,
      status: 'pending',
      error: null,
    };
    outbox.set(entry.id, entry);
    // Until the device write finishes the person sees "saving", never "waiting to send": closing the app
    // in that moment loses it, so the promise of "waiting" must wait for the write.
    unsaved.add(entry.id);
    if (awaitingCopy.has(doc)) {
      // The replica is empty until the server's copy arrives, then partly replayed (P12). Applied to it,
      // this action would be decided against nothing (a reaction not there to take off, no read mark to move
      // back) and would not follow the edit before it, so an older value could win. The replay applies it
      // to the server's copy, after the actions taken before it.
      deferred.add(entry.id);
      await storage.putOutbox(entry);
      await storage.setMeta('order', order);
      unsaved.delete(entry.id);
      toPeers({ t: 'outbox-put', entry });
      emit();
      return entry;
    }
    const update = applyCaptured(r, kind, payload);
    if (update === null) {
      outbox.delete(entry.id);
      unsaved.delete(entry.id);
      return null;
    }
    // Durable on the device before the caller hears "saved" (the UI then shows "waiting to send").
    await replicas.commitLocal(r, update, { ...entry, update });
    await storage.setMeta('order', order);
    unsaved.delete(entry.id);
    emit();
    // A rebuild's replay may have applied this action again meanwhile, to the fresh copy (or found nothing
    // left to do): that is what counts. This update belongs to the copy thrown away; sent late, it could
    // win over newer values.
    if (entry.update !== null || !outbox.has(entry.id) || entry.doc !== doc) return entry;
    entry.update = update;
    toPeers({ t: 'doc', doc, update });
    toPeers({ t: 'outbox-put', entry });
    emit();
    sendPendingFor(doc);
    return entry;
  };

  /**
   * After a refusal the replica holds a change the server will never have. Throw the replica away, take the
   * server's copy, and apply the remaining actions again (P12).
   */
  const rebuild = async (doc: string): Promise<void> => {
    const r = replicas.get(doc);
    if (!r) return;
    if (r.rebuilding || replaying.has(r)) {
      // A refusal (or a late acknowledgement) while a rebuild runs: the replay may already have applied
      // that action again, or the copy it works on may predate what the server just stored. Once more after.
      rebuildAgain.add(doc);
      return;
    }
    generations.set(doc, (generations.get(doc) ?? 0) + 1);
    if (r.parsed.kind === 'author')
      for (const m of authorRoots(r.doc).msgs.toArray())
        knownSegments.set(
          `${r.parsed.conversationId} ${messageKey(r.parsed.userId, m.id)}`,
          r.parsed.segment,
        );
    r.rebuilding = true;
    r.synced = false;
    awaitingCopy.add(doc);
    rebuiltAfter.set(doc, order);
    // A step 1 still unanswered (a reconnect's) carries the state vector of the copy about to be cleared:
    // its answer holds only what that copy lacked. Arriving while the device store clears the copy, before
    // this rebuild's own step 1 goes, it must not pass for the whole copy and start the replay (P2, P12).
    awaitedStep2.delete(doc);
    await replicas.reset(r);
    // Offline now (the socket may have dropped while the copy was cleared): the next WELCOME subscribes it.
    resting.delete(r.name);
    r.subscribed = conn.send([step1For(r)]);
  };

  /** Applies an action to a replica and returns the update it made (null: nothing new, already there). */
  const applyCaptured = (
    r: Replica,
    kind: ActionKind,
    payload: Record<string, unknown>,
  ): Uint8Array | null => {
    const token = {};
    let update: Uint8Array | null = null;
    const capture = (u: Uint8Array, origin: unknown): void => {
      if (origin === token) update = u;
    };
    r.doc.on('update', capture);
    try {
      r.doc.transact(() => applyAction(r.doc, kind, payload), token);
    } finally {
      r.doc.off('update', capture);
    }
    return update;
  };

  /**
   * Applies waiting actions to a replica again: all of them after a rebuild, only those not yet applied
   * (moved here from a closed segment), or only those deferred while it awaited its copy (the app closed
   * mid-rebuild). An action that changes nothing is already on the server (or has nothing left to do).
   */
  const replay = async (r: Replica, only: 'all' | 'unapplied' | 'deferred' = 'all'): Promise<void> => {
    // After a rebuild the replica is exactly the server's copy here, before anything is applied again.
    const serverCopy = only === 'all' ? copyOf(r.doc) : null;
    const reapply = async (e: OutboxEntry): Promise<void> => {
      const wasDeferred = deferred.delete(e.id);
      if (serverCopy && e.update !== null && !wasDeferred && holds(serverCopy, e.update)) {
        // The server stored this one (its acknowledgement was lost or is still on the way). Applying the
        // action again would make a new change, undoing whatever came after it: a reaction someone took off
        // on another device back on, a newer edit overwritten, a pin another tutor removed back.
        await dropEntries([e]);
        return;
      }
      if (e.kind === 'unread' && e.payload.seen === undefined)
        // Taken while the copy was on its way: decided now, against the server's copy, and from now on it
        // spares the marks moved since (like an unread taken on a whole copy), however often it is replayed.
        e.payload = { ...e.payload, seen: readMarksOf(r.doc) };
      const update = applyCaptured(r, e.kind, e.payload);
      if (
        update === null &&
        only === 'all' &&
        !wasDeferred &&
        e.order > (rebuiltAfter.get(r.name) ?? Infinity)
      ) {
        // Taken during the rebuild: already in the rebuilt copy, never sent (sending waits for the replay).
        return;
      } else if (update === null) {
        await dropEntries([e]);
      } else {
        e.update = update;
        await replicas.commitLocal(r, update, e);
        toPeers({ t: 'outbox-put', entry: e });
      }
    };
    for (const e of [...outbox.values()].sort((a, b) => a.order - b.order)) {
      if (e.doc !== r.name || e.status !== 'pending') continue;
      if ((only === 'unapplied' && e.update !== null) || (only === 'deferred' && !deferred.has(e.id)))
        continue;
      await reapply(e);
    }
    if (only === 'all') {
      // Actions taken while this replay ran waited too (the copy was only partly rebuilt): apply them, in
      // order, until none is left; only then may new actions apply to the copy directly.
      for (;;) {
        const more = [...outbox.values()]
          .filter((e) => e.doc === r.name && e.status === 'pending' && deferred.has(e.id))
          .sort((a, b) => a.order - b.order);
        if (more.length === 0) break;
        for (const e of more) await reapply(e);
      }
      awaitingCopy.delete(r.name);
      r.rebuilding = false;
    }
    // Refused meanwhile: this copy may hold the refused action. Nothing is sent from it; the caller
    // rebuilds again once this replay is no longer running.
    if (rebuildAgain.has(r.name)) return;
    toPeers({ t: 'replace', doc: r.name, state: Y.encodeStateAsUpdate(r.doc) });
    emit();
    sendPendingFor(r.name);
  };

  /**
   * The conversation list again, after a failed refresh: with backoff (the injected timers), until it
   * answers. A server restarting or a captive portal must not leave the engine on a stale segment.
   */
  let refreshTimer: unknown = null;
  let refreshAttempt = 0;
  const refreshLater = (): void => {
    if (refreshTimer !== null || !me) return;
    const ceiling = Math.min(30_000, 500 * 2 ** refreshAttempt);
    refreshAttempt++;
    refreshTimer = timers.setTimeout(
      () => {
        refreshTimer = null;
        refreshConversations().then(
          () => {
            refreshAttempt = 0;
          },
          () => refreshLater(),
        );
      },
      ceiling / 2 + random() * (ceiling / 2),
    );
  };

  /** Entries of `doc` about one of `ids` (own messages): an edit, a delete or a reaction to it. */
  const aboutMessages = (e: OutboxEntry, ids: ReadonlySet<string>): boolean => {
    if (e.kind === 'edit' || e.kind === 'delete') return ids.has(e.payload.localId as string);
    if (e.kind === 'react' && me) {
      const key = e.payload.key as string;
      return key.startsWith(`${me.id}:`) && ids.has(key.slice(me.id.length + 1));
    }
    return false;
  };

  /**
   * `doc`'s segment is closed (P13): every message still waiting in it, and whatever waits about those
   * messages (an edit of one not yet sent), moves to the newest segment and is applied there. The refusal
   * itself proves a newer segment exists, so the move never waits for HTTP: when the conversation list
   * cannot be fetched, the next segment is taken, and a later refusal moves on again (issue 12 B6, B8).
   */
  const moveToNewestSegment = async (doc: string): Promise<void> => {
    const from = replicas.get(doc)?.parsed;
    if (!from || !me) return;
    try {
      await refreshConversations();
    } catch {
      refreshLater();
    }
    const c = conversations.get(from.conversationId);
    if (c && c.segment <= from.segment) {
      const next = { ...c, segment: from.segment + 1 };
      conversations.set(c.id, next);
      const rs = await openConversationDocs(next);
      if (conn.isOnline()) subscribe(rs);
    }
    // Only what still waits in the closed document (a concurrent refusal may have moved it already) and is
    // saved on the device (an action still being saved sends to its own document; refused, it moves then).
    const waitingHere = (e: OutboxEntry): boolean =>
      e.doc === doc && e.status === 'pending' && !unsaved.has(e.id);
    const sends = [...outbox.values()].filter((e) => waitingHere(e) && e.kind === 'send');
    const ids = new Set(sends.map((e) => e.payload.id as string));
    const moving = [...outbox.values()].filter(
      (e) => waitingHere(e) && (e.kind === 'send' || aboutMessages(e, ids)),
    );
    const target = c ? ownDoc(c.id) : null;
    if (target !== null && target !== doc)
      for (const e of moving) {
        e.doc = target;
        e.update = null;
        await storage.putOutbox(e);
        toPeers({ t: 'outbox-put', entry: e });
      }
    await rebuild(doc);
    if (target === null || target === doc || moving.length === 0) return;
    const r = await replicas.open(target);
    if (awaitingCopy.has(target) || replaying.has(r)) {
      // The target is being rebuilt or replayed onto: its replay (or the one after it) applies them.
      for (const e of moving) if (e.doc === target && e.update === null) deferred.add(e.id);
      return;
    }
    replaying.add(r);
    try {
      await replay(r, 'unapplied');
    } finally {
      afterReplay(r);
    }
  };

  /**
   * Whether `frame` was sent before a rebuild of its document that still waits for the server's copy. The
   * server answers that rebuild's step 1 after it has handled this frame (the step 1 went later, on this
   * socket or a later one), so the copy holds whatever the server kept of the frame, and its replay skips
   * what the answer dropped or blamed: no further rebuild is needed. Rebuilding again anyway made every
   * refused window of frames cost two rebuilds, each replaying the whole outbox; under CPU load a device
   * with tens of actions waiting spent whole connections replaying and never sent (issue 12 B6, P12).
   */
  const copyComingAfter = (frame: { doc: string; generation: number } | undefined): boolean => {
    if (!frame || frame.generation === (generations.get(frame.doc) ?? 0)) return false;
    const r = replicas.get(frame.doc);
    return r !== undefined && r.rebuilding && !replaying.has(r);
  };

  const settle = async (
    ref: number,
    rejected: { code: string; message: string } | null,
    doc: string,
  ): Promise<void> => {
    const frame = inflight.get(ref);
    inflight.delete(ref);
    const entries = (frame?.ids ?? []).flatMap((id) => outbox.get(id) ?? []);
    /** Takes the server's copy again, unless one asked for after this frame is on its way. */
    const rebuildAfterFrame = async (d: string): Promise<void> => {
      if (!copyComingAfter(frame)) await rebuild(d);
    };
    if (!rejected) {
      slowDowns = 0;
      await dropEntries(entries);
      if (entries.length > 0) lastSyncedAt = now();
      if (frame && frame.generation !== (generations.get(frame.doc) ?? 0)) {
        // Sent before a rebuild, stored after it: a copy answered before the server stored it lacks what
        // it stored (it is not relayed back to us), and that copy's replay may have applied these actions
        // again, a change no entry is left to send. Take the server's copy once more.
        emit();
        await rebuildAfterFrame(frame.doc);
        return;
      }
      if (frame) {
        if (![...outbox.values()].some((e) => e.doc === frame.doc && e.status === 'pending'))
          isolate.delete(frame.doc);
        sendPendingFor(frame.doc);
      }
      emit();
      return;
    }
    if (rejected.code === 'storage-failed') {
      timers.setTimeout(() => sendPendingFor(doc), 2_000);
      return;
    }
    if (rejected.code === 'slow-down') {
      // Sending faster than the server takes (P10): nothing was stored, nothing is wrong with the actions.
      // They keep waiting, in order, and go again after a pause (P12).
      slowDown();
      emit();
      return;
    }
    if (rejected.code === 'segment-closed') {
      await moveToNewestSegment(doc);
      return;
    }
    // A refusal is about the document the frame went to: an entry moved since to a newer segment (P13) is
    // no longer this frame's, and is neither blamed nor dropped here.
    const refused = entries.filter((e) => e.doc === doc);
    if (rejected.code === 'duplicate-id' && refused.length === 1 && refused[0]?.kind === 'send') {
      // The server holds a message of ours with this id (P11), stored from this frame's earlier form: in
      // another segment before a rollover moved it, or before a rebuild re-applied it. It is delivered;
      // sending it again would be refused again, forever.
      await dropEntries(refused);
      emit();
      await rebuildAfterFrame(doc);
      return;
    }
    if (rejected.code === 'already-applied') {
      // The server has this action from before a rebuild; the copy re-applied it (P14). It is done only when
      // the frame named that one action alone: in a frame of several, the stored one may be an action
      // acknowledged meanwhile (no longer here), and a new message is never named at all. Either way the
      // server's copy is taken again, without the re-application.
      const only = frame?.ids.length === 1 ? refused[0] : undefined;
      if (only && only.kind !== 'send') await dropEntries([only]);
      else if ((frame?.ids.length ?? 0) > 1) suspect(doc, refused);
      emit();
      await rebuildAfterFrame(doc);
      return;
    }
    const single = refused.length === 1 ? refused[0] : undefined;
    // `too-costly`: the update met, at one place, many changes another device made meanwhile (P10). The
    // action applied again to the server's copy meets none of them, so it is not to blame.
    const blameless = ['missing-history', 'duplicate-id', 'too-costly'];
    if (single && !blameless.includes(rejected.code)) {
      single.status = 'rejected';
      single.error = rejected;
      await storage.putOutbox(single);
      toPeers({ t: 'outbox-put', entry: single });
      reportError(rejected.code, rejected.message);
    } else if (refused.length > 1 && rejected.code !== 'missing-history') {
      // Several actions in one refused frame: resend them one by one to find the one the server refuses.
      // Not for missing history: that blames none of them (an earlier frame was refused or overtaken).
      suspect(doc, refused);
    }
    emit();
    await rebuildAfterFrame(doc);
  };

  const afterReplay = (r: Replica): void => {
    replaying.delete(r);
    if (rebuildAgain.delete(r.name)) inBackground(rebuild(r.name));
    else if (
      !awaitingCopy.has(r.name) &&
      [...outbox.values()].some((e) => deferred.has(e.id) && e.doc === r.name && e.status === 'pending')
    ) {
      // Moved here from a closed segment while this replay ran (P13): applied now, in order.
      replaying.add(r);
      inBackground(replay(r, 'deferred').finally(() => afterReplay(r)));
    }
  };

  // ——— frames from the server ———

  const handleFrame = (f: Frame): void => {
    switch (f.type) {
      case 'sync': {
        const r = replicas.get(f.doc);
        if (!r) return;
        if (f.syncType === SYNC_STEP1) {
          // The server's state vector: it is ready for our changes to this document.
          if (canWrite(r)) sendPendingFor(r.name);
          return;
        }
        try {
          replicas.applyRemote(r, f.payload);
        } catch {
          reportError('bad-update', 'received a change this device could not read');
          return;
        }
        if (f.syncType === SYNC_STEP2) {
          const answered = awaitedStep2.get(r.name) === f.ref;
          if (answered) awaitedStep2.delete(r.name);
          // Server state all the same, so kept; but the copy is whole only with the answer awaited.
          if (r.rebuilding && !answered) return;
          r.synced = true;
          lastSyncedAt = now();
          if (r.rebuilding && !replaying.has(r)) {
            // Two replays at once would each take the other's re-applied actions for ones the server has.
            replaying.add(r);
            inBackground(replay(r).finally(() => afterReplay(r)));
          } else if (
            !replaying.has(r) &&
            [...outbox.values()].some((e) => deferred.has(e.id) && e.doc === r.name)
          ) {
            // Actions deferred by a rebuild the app was closed during: apply them to the server's copy now.
            replaying.add(r);
            inBackground(replay(r, 'deferred').finally(() => afterReplay(r)));
          }
          emit();
        }
        return;
      }
      case 'ack':
        stall.progress();
        inBackground(settle(f.ref, null, ''));
        return;
      case 'reject':
        stall.progress();
        inBackground(settle(f.ref, { code: f.code, message: f.message }, f.doc));
        return;
      case 'revoked': {
        const r = replicas.get(f.doc);
        if (r) {
          r.subscribed = false;
          r.synced = false;
        }
        void refreshConversations().catch(() => undefined);
        return;
      }
      case 'presence':
        presence.set(f.userId, { status: f.status, text: f.text, lastSeen: f.lastSeen });
        toPeers({ t: 'presence', userId: f.userId, status: f.status, text: f.text, lastSeen: f.lastSeen });
        emit();
        return;
      case 'typing': {
        let m = typing.get(f.conversationId);
        if (!m) typing.set(f.conversationId, (m = new Map()));
        m.set(f.userId, now());
        toPeers({ t: 'typing', conversationId: f.conversationId, userId: f.userId });
        emit();
        return;
      }
      case 'notice':
        // A mute on this person was set or lifted (issue 14 §3): their conversations carry it (`muted`).
        if (
          f.kind === 'conversations-changed' ||
          f.kind === 'conversation-changed' ||
          f.kind === 'mute-changed'
        )
          void refreshConversations().catch(() => undefined);
        // Someone changed their name, pronouns or avatar colour (issue 13 §4): authors show them at once.
        if (f.kind === 'directory-changed') void refreshDirectory().catch(() => undefined);
        // An admin renamed the workspace: the app reads the name again (workspaceVersion).
        if (f.kind === 'workspace-changed') {
          workspaceVersion++;
          emit();
        }
        // Sent to safeguarding leads only, when their queue changes (issue 14 §2).
        if (f.kind === 'safeguarding-changed') {
          safeguardingVersion++;
          emit();
        }
        return;
      case 'error':
        reportError(f.code, f.message);
        return;
      default:
        return;
    }
  };

  // ——— reading ———

  const segmentsOf = (conversationId: string): SegmentDocs[] => segmentDocs(replicas.all(), conversationId);
  const views = createViewCache((conversationId) =>
    buildView({
      conversation: conversations.get(conversationId) ?? null,
      conversationId,
      segments: segmentsOf(conversationId),
      outbox: outbox.values(),
      unsaved,
      me,
    }),
  );
  const view = (conversationId: string): ConversationView =>
    views.get(conversationId, {
      conversation: conversations.get(conversationId) ?? null,
      me,
      replicas: replicas.all(),
      outbox: outbox.values(),
      unsaved,
    });

  const checkSettled = (): void => {
    if (settledWaiters.length === 0 || !isSettled()) return;
    settledWaiters.splice(0).forEach((f) => f());
  };
  const isSettled = (): boolean => {
    if (!conn.isOnline() || inflight.size > 0 || following > 0) return false;
    if (refreshRunning || refreshNext) return false;
    for (const e of outbox.values()) if (e.status === 'pending') return false;
    for (const r of replicas.all()) if ((!r.synced && !resting.has(r.name)) || r.rebuilding) return false;
    return true;
  };

  /**
   * Conversation refreshes run one at a time, and a call made while one runs joins the single next one,
   * which starts after it: a rollover notice every few dozen milliseconds in a busy channel started
   * overlapping requests whose answers could land out of order, leaving an older segment number in place.
   * While one runs or waits the engine is not settled: a notice said there is more to fetch.
   */
  let refreshRunning: Promise<Conversation[]> | null = null;
  let refreshNext: Promise<Conversation[]> | null = null;
  const refreshConversations = (): Promise<Conversation[]> => {
    if (refreshNext) return refreshNext;
    const start = (): Promise<Conversation[]> => {
      const run: Promise<Conversation[]> = refreshOnce().finally(() => {
        if (refreshRunning === run) refreshRunning = null;
        emit();
      });
      refreshRunning = run;
      return run;
    };
    if (!refreshRunning) return start();
    const next: Promise<Conversation[]> = refreshRunning
      .catch(() => undefined)
      .then(() => {
        refreshNext = null;
        return start();
      });
    refreshNext = next;
    return next;
  };
  const refreshOnce = async (): Promise<Conversation[]> => {
    const { conversations: list } = await api.request('GET', '/api/conversations', ConversationsReply);
    const before = new Set(conversations.keys());
    conversations.clear();
    for (const c of list) conversations.set(c.id, c);
    await storage.setMeta('conversations', list);
    toPeers({ t: 'conversations', list });
    // Lost access (removed from a private channel): forget its documents on this device.
    for (const id of before) {
      const c = conversations.get(id);
      if (!c || !readable(c)) {
        for (const r of [...replicas.all()])
          if (r.parsed.conversationId === id) {
            resting.delete(r.name);
            await replicas.forget(r.name);
          }
      }
    }
    if (conn.isOnline()) {
      const fresh: Replica[] = [];
      for (const c of list) if (c.isMember) fresh.push(...(await openConversationDocs(c)));
      subscribe(fresh);
    }
    emit();
    return list;
  };

  /** Asks with the version held on the device (every reconnect does): an unchanged directory is a 304. */
  const refreshDirectory = async (): Promise<PublicUser[]> => {
    const held = await storage.getMeta('usersEtag');
    const etag = typeof held === 'string' && directory.size > 0 ? held : null;
    const r = await api.getIfChanged('/api/users', UsersReply, etag);
    if (r.unchanged) return [...directory.values()];
    const { users } = r.data;
    directory.clear();
    for (const u of users) directory.set(u.id, u);
    await storage.setMeta('users', users);
    await storage.setMeta('usersEtag', r.etag);
    emit();
    return users;
  };

  const ensureDeviceId = async (): Promise<void> => {
    const stored = await storage.getMeta('deviceId');
    deviceId = typeof stored === 'string' ? stored : randomId(random);
    if (typeof stored !== 'string') await storage.setMeta('deviceId', deviceId);
  };

  const requireMe = (): Me => {
    if (!me) throw new Error('not logged in');
    return me;
  };
  const conversationOf = (id: string): Conversation => {
    const c = conversations.get(id);
    if (!c) throw new Error(`unknown conversation ${id}`);
    return c;
  };
  const ownDoc = (conversationId: string, segment = conversationOf(conversationId).segment): string =>
    authorDoc(conversationId as ConversationId, requireMe().id as UserId, segment);
  const theModDoc = (conversationId: string, segment = conversationOf(conversationId).segment): string =>
    modDoc(conversationId as ConversationId, segment);
  /**
   * Everything about a message lives in the segment that holds it (P13): the one the view shows it in; for
   * one's own message the view may not hold (its document is being rebuilt, or its send still waits), the
   * segment its send waits in, or the one its record was in before the rebuild. Never the newest by default
   * when the record's segment is known: the server refuses an edit there (`not-your-message`, issue 12 B7).
   */
  const segmentOfMessage = (conversationId: string, key: string): number => {
    const shown = view(conversationId).state.byKey.get(key)?.segment;
    if (shown !== undefined) return shown;
    if (me && key.startsWith(`${me.id}:`)) {
      const localId = key.slice(me.id.length + 1);
      for (const e of outbox.values())
        if (e.kind === 'send' && e.conversationId === conversationId && e.payload.id === localId) {
          const parsed = replicas.get(e.doc)?.parsed;
          if (parsed) return parsed.segment;
        }
    }
    return knownSegments.get(`${conversationId} ${key}`) ?? conversationOf(conversationId).segment;
  };

  return {
    /** Loads what this device already has: account, conversations, outbox. Works offline. */
    async init(): Promise<Me | null> {
      // The metadata in one request and the outbox beside it, then every conversation's documents at once.
      const [
        [storedId, storedMeRaw, cookie, storedUsers, storedList, storedOrder, storedAhead, storedReports],
        storedOutbox,
      ] = await Promise.all([
        storage.getMetaMany([
          'deviceId',
          'me',
          'cookie',
          'users',
          'conversations',
          'order',
          'aheadOfServer',
          // Reports of a concern waiting for a connection (reports.ts REPORTS_KEY).
          'safeguarding-reports',
        ]),
        storage.listOutbox(),
      ]);
      if (typeof storedAhead === 'number' && Number.isFinite(storedAhead)) aheadOfServer = storedAhead;
      deviceId = typeof storedId === 'string' ? storedId : randomId(random);
      if (typeof storedId !== 'string') await storage.setMeta('deviceId', deviceId);
      const storedMe = Me.safeParse(storedMeRaw);
      me = storedMe.success ? storedMe.data : null;
      if (typeof cookie === 'string') api.setCookie(cookie);
      const people = z.array(PublicUser).safeParse(storedUsers);
      if (people.success) for (const u of people.data) directory.set(u.id, u);
      const list = z.array(Conversation).safeParse(storedList);
      if (list.success) for (const c of list.data) conversations.set(c.id, c);
      order = typeof storedOrder === 'number' ? storedOrder : 0;
      for (const e of storedOutbox) {
        outbox.set(e.id, e);
        order = Math.max(order, e.order);
        // Taken while a rebuild waited for the server's copy: applied when that document's copy arrives.
        if (e.status === 'pending' && e.update === null) deferred.add(e.id);
      }
      await Promise.all([...conversations.values()].filter((c) => c.isMember).map(openConversationDocs));
      // A document loaded with many rows (older versions stored local actions uncounted) is compacted now,
      // on the write queue, off the way to the first screen.
      replicas.compactOversized();
      reportsWaiting = Array.isArray(storedReports) ? storedReports.length : 0;
      emit();
      return me;
    },
    async login(login: string, password: string): Promise<Me> {
      await ensureDeviceId();
      const { user } = await api.request('POST', '/api/auth/login', MeReply, { login, password });
      sessionEnd.reset();
      // A follower tab signing in again: what the leader last said ("signed out") is over (see tabs.ts).
      leaderStatus = null;
      me = user;
      await storage.setMeta('me', user);
      if (opts.manualCookies) await storage.setMeta('cookie', api.cookie());
      await refreshConversations();
      return user;
    },
    /** Logs out here and forgets this device's copy. `force` drops unsent actions too. */
    async logout(force = false): Promise<void> {
      const waiting = [...outbox.values()].filter((e) => e.status === 'pending').length;
      if (waiting > 0 && !force) throw new Error(`${waiting} action(s) are still waiting to send`);
      sessionEnd.leaving();
      try {
        await api.request('POST', '/api/auth/logout', Ok);
      } catch {
        // Offline: the session still ends here; the server expires it.
      }
      stall.stop();
      conn.stop();
      if (refreshTimer !== null) timers.clearTimeout(refreshTimer);
      refreshTimer = null;
      knownSegments.clear();
      replicas.clear();
      resting.clear();
      recentlyOpened.length = 0;
      outbox.clear();
      // Views hold the last person's messages: nothing of them stays in memory after sign-out.
      views.clear();
      conversations.clear();
      directory.clear();
      me = null;
      api.setCookie(null);
      await storage.clear();
      emit();
    },
    connect(): void {
      conn.start();
      stall.start();
    },
    disconnect(): void {
      stall.stop();
      conn.stop();
    },
    /** Simulates losing the network (tests): the socket drops and reconnects with backoff. */
    dropConnection(): void {
      conn.drop();
    },
    retryNow(): void {
      conn.retryNow();
    },
    me: (): Me | null => me,
    /** One's own profile (issue 13 §4): saved on the server, then shown here and in the directory. */
    async updateProfile(patch: ProfileUpdate): Promise<Me> {
      const { user } = await api.request('PATCH', '/api/profile', MeReply, patch);
      me = user;
      await storage.setMeta('me', user);
      await refreshDirectory().catch(() => undefined);
      emit();
      return user;
    },
    deviceId: (): string => deviceId,
    refreshConversations,
    conversations: (): Conversation[] => [...conversations.values()],
    conversation: (id: string): Conversation | undefined => conversations.get(id),
    users: refreshDirectory,
    async members(conversationId: string): Promise<PublicUser[]> {
      return (await api.request('GET', `/api/conversations/${conversationId}/members`, MembersReply)).members;
    },
    /** A person from the directory on this device (names and roles work offline). */
    user: (id: string): PublicUser | undefined => directory.get(id),
    directory: (): PublicUser[] => [...directory.values()],
    async join(id: string): Promise<Conversation> {
      const { conversation } = await api.request('POST', `/api/conversations/${id}/join`, ConversationReply);
      await refreshConversations();
      return conversation;
    },
    async leave(id: string): Promise<void> {
      await api.request('POST', `/api/conversations/${id}/leave`, Ok);
      await refreshConversations();
    },
    async openDm(userIds: string[]): Promise<Conversation> {
      const { conversation } = await api.request('POST', '/api/dms', ConversationReply, { userIds });
      await refreshConversations();
      return conversation;
    },
    async createChannel(
      name: string,
      kind: 'public' | 'private' | 'announcement',
      description = '',
    ): Promise<Conversation> {
      const { conversation } = await api.request('POST', '/api/conversations', ConversationReply, {
        name,
        kind,
        description,
      });
      await refreshConversations();
      return conversation;
    },
    /** Opens a conversation's documents for reading (and subscribes, when online). */
    async open(conversationId: string): Promise<void> {
      noteOpened(conversationId);
      const rs = await openConversationDocs(conversationOf(conversationId));
      if (conn.isOnline()) subscribe([...rs, ...restingOf(conversationId)]);
      else toPeers({ t: 'open', conversationId });
    },

    /** Listens for what this tab stored, to tell the other tabs (see peers.ts). */
    onPeerEvent(listener: (e: PeerEvent) => void): () => void {
      peerListeners.add(listener);
      return () => peerListeners.delete(listener);
    },
    /** Applies what another tab stored. The leader tab also sends other tabs' waiting actions. */
    async applyPeerEvent(e: PeerEvent): Promise<void> {
      switch (e.t) {
        case 'doc': {
          const r = await replicas.open(e.doc);
          replicas.applyPeer(r, e.update);
          return;
        }
        case 'replace': {
          const r = replicas.get(e.doc);
          if (r && !r.rebuilding) replicas.replaceFromPeer(r, e.state);
          emit();
          return;
        }
        case 'outbox-put':
          outbox.set(e.entry.id, e.entry);
          order = Math.max(order, e.entry.order);
          emit();
          await replicas.open(e.entry.doc);
          sendPendingFor(e.entry.doc);
          return;
        case 'outbox-del':
          for (const id of e.ids) outbox.delete(id);
          emit();
          return;
        case 'status':
          leaderStatus = {
            connection: e.connection,
            lastSyncedAt: e.lastSyncedAt,
            updateNeeded: e.updateNeeded,
          };
          emit();
          return;
        case 'presence':
          presence.set(e.userId, { status: e.status, text: e.text, lastSeen: e.lastSeen });
          emit();
          return;
        case 'typing': {
          let m = typing.get(e.conversationId);
          if (!m) typing.set(e.conversationId, (m = new Map()));
          m.set(e.userId, now());
          emit();
          return;
        }
        case 'conversations': {
          conversations.clear();
          for (const c of e.list) conversations.set(c.id, c);
          const fresh: Replica[] = [];
          for (const c of e.list) if (c.isMember) fresh.push(...(await openConversationDocs(c)));
          if (conn.isOnline()) subscribe(fresh);
          emit();
          return;
        }
        case 'open': {
          const c = conversations.get(e.conversationId);
          if (!c) return;
          noteOpened(c.id);
          if (conn.isOnline()) subscribe([...(await openConversationDocs(c)), ...restingOf(c.id)]);
          return;
        }
      }
    },
    /** This tab has become the leader: pick up what other tabs left waiting, then connect. */
    async takeOverConnection(): Promise<void> {
      leaderStatus = null;
      for (const e of await storage.listOutbox()) if (!outbox.has(e.id)) outbox.set(e.id, e);
      conn.start();
    },

    async send(
      conversationId: string,
      text: string,
      opt: { parent?: string; alsoChannel?: boolean } = {},
    ): Promise<string> {
      const id = randomId(random);
      const payload: ActionPayloads['send'] = {
        id,
        text,
        ts: now(),
        ...(opt.parent ? { parent: opt.parent } : {}),
        ...(opt.alsoChannel ? { alsoChannel: true } : {}),
      };
      await act(conversationId, ownDoc(conversationId), 'send', payload);
      return messageKey(requireMe().id, id);
    },
    async edit(conversationId: string, localId: string, text: string): Promise<void> {
      const segment = segmentOfMessage(conversationId, messageKey(requireMe().id, localId));
      await act(conversationId, ownDoc(conversationId, segment), 'edit', { localId, text, ts: now() });
    },
    async delete(conversationId: string, localId: string): Promise<void> {
      const segment = segmentOfMessage(conversationId, messageKey(requireMe().id, localId));
      await act(conversationId, ownDoc(conversationId, segment), 'delete', { localId, ts: now() });
    },
    async react(conversationId: string, key: MessageKey, emoji: string, on: boolean): Promise<void> {
      await act(conversationId, ownDoc(conversationId, segmentOfMessage(conversationId, key)), 'react', {
        key,
        emoji,
        on,
        ts: now(),
      });
    },
    async pin(conversationId: string, key: MessageKey, on: boolean): Promise<void> {
      await act(conversationId, theModDoc(conversationId, segmentOfMessage(conversationId, key)), 'pin', {
        key,
        by: requireMe().id,
        ts: now(),
        on,
      });
    },
    async remove(conversationId: string, key: MessageKey, reason?: string): Promise<void> {
      await act(conversationId, theModDoc(conversationId, segmentOfMessage(conversationId, key)), 'remove', {
        key,
        by: requireMe().id,
        ts: now(),
        ...(reason ? { reason } : {}),
      });
    },
    /** Marks everything that has arrived so far as read (by arrival order, so late messages stay unread). */
    async markRead(conversationId: string): Promise<void> {
      const v = view(conversationId);
      const mine = replicas.get(ownDoc(conversationId));
      if (v.state.lastSeq > (mine ? readSeqOf(mine.doc) : 0))
        await act(conversationId, ownDoc(conversationId), 'read', {
          deviceId,
          seq: v.state.lastSeq,
          ts: serverNow(),
        });
    },
    /**
     * Marks a message and everything after it unread, on every device of this person. Read marks live in
     * each segment's own document, so every loaded one that reaches past the message moves back.
     */
    async markUnread(conversationId: string, key: MessageKey): Promise<void> {
      const m = view(conversationId).state.byKey.get(key);
      if (!m || m.seq === null) return;
      const seq = m.seq;
      for (const seg of segmentsOf(conversationId)) {
        const doc = ownDoc(conversationId, seg.segment);
        const r = replicas.get(doc);
        // Mid-rebuild the replica shows no marks: the replay decides on the server's copy.
        if (r && (awaitingCopy.has(doc) || readSeqOf(r.doc) >= seq))
          await act(conversationId, doc, 'unread', {
            deviceId,
            seq,
            ...(awaitingCopy.has(doc) ? {} : { seen: readMarksOf(r.doc) }),
          });
      }
    },
    /**
     * Forgets refused actions (the person has seen them): one outbox entry by id, or everything refused about
     * one of the person's own messages (its send, or an edit or delete of it) by message key.
     */
    async dismiss(entryOrMessageKey: string): Promise<void> {
      for (const e of [...outbox.values()]) {
        const local = ownMessageOf(e);
        const key = me && local !== null ? messageKey(me.id, local) : null;
        if (e.status === 'rejected' && (e.id === entryOrMessageKey || key === entryOrMessageKey))
          await dropEntries([e]);
      }
      emit();
    },
    setPresence(status: 'online' | 'away' | 'busy', text = ''): boolean {
      return conn.send([{ type: 'presenceSet', status, text }]);
    },
    typing(conversationId: string): boolean {
      return conn.send([{ type: 'typingSet', conversationId }]);
    },
    presenceOf: (userId: string): PresenceInfo | undefined => presence.get(userId),
    typingIn(conversationId: string, withinMs = 5_000): string[] {
      const m = typing.get(conversationId);
      if (!m) return [];
      const t = now();
      return [...m].filter(([, at]) => t - at < withinMs).map(([u]) => u);
    },

    view,
    outbox: (): OutboxEntry[] => [...outbox.values()].sort((a, b) => a.order - b.order),
    status: (): SyncStatus => ({
      // A follower tab has no socket of its own: it reports the leader tab's.
      ...(leaderStatus && conn.state() === 'offline'
        ? leaderStatus
        : { connection: conn.state(), lastSyncedAt, updateNeeded }),
      // What the person did and is waiting on; read marks travel too but are not "waiting to send".
      waiting: [...outbox.values()].filter(
        (e) => e.status === 'pending' && e.kind !== 'read' && e.kind !== 'unread',
      ).length,
      saving: [...unsaved].filter((id) => {
        const k = outbox.get(id)?.kind;
        return k !== undefined && k !== 'read' && k !== 'unread';
      }).length,
      rejected: [...outbox.values()].filter((e) => e.status === 'rejected').length,
      slowedUntil,
    }),
    isAdmin: (): boolean => (me ? isAdminRole(me.role) : false),
    /** Resolves when online with every document synced and nothing waiting to send. */
    settled(): Promise<void> {
      if (isSettled()) return Promise.resolve();
      return new Promise((resolve) => settledWaiters.push(resolve));
    },
    isSettled,
    /** Waits for device writes to finish (before closing the app in tests). */
    flushStorage: (): Promise<void> => replicas.flushWrites(),
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /**
     * Hears, once, that the server ended this session and why; `wipe` says the device must forget the
     * account (T10). The engine stops connecting; the app clears its stores and shows the sign-in page.
     */
    onSessionEnded(listener: (e: SessionEnded) => void): () => void {
      return sessionEnd.onEnded(listener);
    },
    onError(listener: (e: { code: string; message: string }) => void): () => void {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    version: (): number => version,
    /** Raw access for tests of the server's defences. */
    api,
    ownDocName: (conversationId: string) => ownDoc(conversationId),
    /**
     * Loads the newest segment below the current one that is not on this device (scrolling back); false
     * when there is none. Not simply the one before the oldest held: a device that was away for several
     * quick rollovers holds the segments it saw, with gaps between them.
     */
    async loadOlder(conversationId: string): Promise<boolean> {
      const id = conversationId as ConversationId;
      let oldest = conversationOf(conversationId).segment;
      while (oldest > 0 && replicas.get(idxDoc(id, oldest - 1))) oldest--;
      if (oldest <= 0) return false;
      noteOpened(conversationId);
      // One storage read for the segment (its index, moderation and author documents together).
      const rs = await replicas.openSegment(segmentPrefix(id, oldest - 1), [
        idxDoc(id, oldest - 1),
        modDoc(id, oldest - 1),
      ]);
      if (conn.isOnline()) subscribe([...rs, ...restingOf(conversationId)]);
      const idx = rs[0];
      if (idx) await followAuthors(idx);
      return true;
    },
    /** Every replica of a conversation as a full update, by document name: for diagnostics and tests. */
    replicaStates(conversationId: string): Map<string, Uint8Array> {
      const out = new Map<string, Uint8Array>();
      for (const r of replicas.all())
        if (r.parsed.conversationId === conversationId) out.set(r.name, Y.encodeStateAsUpdate(r.doc));
      return out;
    },
    workspaceVersion: (): number => workspaceVersion,
    safeguardingVersion: (): number => safeguardingVersion,
    /** Report a concern about a message (issue 14 §2): kept on the device until the server has it. */
    reports,
    /** What the engine knows of one replica: for a failing test to name its cause. */
    replicaDebug(doc: string) {
      const r = replicas.get(doc);
      if (!r) return null;
      return {
        subscribed: r.subscribed,
        synced: r.synced,
        rebuilding: r.rebuilding,
        resting: resting.has(doc),
        pendingStructs: r.doc.store.pendingStructs !== null,
        pendingDs: r.doc.store.pendingDs !== null,
        stateVector: Object.fromEntries(Y.decodeStateVector(Y.encodeStateVector(r.doc))),
      };
    },
    authorRootsOf: (doc: string) => {
      const r = replicas.get(doc);
      return r ? authorRoots(r.doc) : null;
    },
  };
}
