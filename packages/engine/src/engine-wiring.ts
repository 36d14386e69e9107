import { CLOSE, type Frame } from '@commonroom/protocol';
import type { Activity } from '@commonroom/model';
import { MeReply, Ok, createAccount, type Account } from './account.ts';
import { createAnswers } from './answers.ts';
import { createApiClient, type ApiClient } from './api-client.ts';
import {
  createConnection,
  type Connection,
  type ConnectionState,
  type SocketFactory,
  type Timers,
} from './connection.ts';
import { createConversationActions } from './conversation-actions.ts';
import { isIncomplete } from './doc-state.ts';
import { createEngineEvents } from './engine-events.ts';
import { buildView, createViewCache, segmentDocs, type ConversationView } from './engine-view.ts';
import { createEphemeral } from './ephemeral.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import type { PeerEvent } from './peers.ts';
import { createRebuilds, type Rebuilds } from './rebuild.ts';
import { createReplicas, type Replicas } from './replicas.ts';
import type { ReportQueue } from './reports.ts';
import { createFrameHandler } from './server-frames.ts';
import { createSessionEndWatch } from './session-end.ts';
import { createStallWatch } from './stall-watch.ts';
import type { EngineStorage } from './storage.ts';
import { createSubscriptions, type Subscriptions } from './subscriptions.ts';
import { createTabPeers } from './tab-peers.ts';

/**
 * How the engine's parts are wired to each other. Each part takes what it needs as functions; a part named
 * before it is built (the outbox and the subscriptions need each other) is reached through `parts` once
 * everything is built, never during construction.
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

function randomId(random: () => number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[Math.floor(random() * 64)] ?? 'x';
  return s;
}

/** What the engine is given, with defaults, and the few values every part reads. */
function basics(opts: EngineOptions) {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const timers: Timers = opts.timers ?? {
    setTimeout: (f, ms) => setTimeout(f, ms),
    clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  };
  let nextRef = 1;
  return {
    opts,
    now,
    random,
    timers,
    storage: opts.storage,
    newId: (): string => randomId(random),
    backoff: { minMs: opts.backoff?.minMs ?? 500, maxMs: opts.backoff?.maxMs ?? 30_000 },
    /** One counter for every frame the server answers by ref (step 1s and outbox frames, P2). */
    nextRef: (): number => nextRef++,
    clock: {
      /**
       * How far this device's clock runs ahead of the server's, as of the last WELCOME (0 when not yet
       * known, behind, or ahead by less than a minute: the frame's travel time alone looks like being
       * ahead). Read times are stamped with the server's clock: the server refuses one in its future (P8,
       * with an allowance of `LIMITS.readTimeSkewMs`), and a phone's clock can be hours out.
       */
      aheadOfServer: 0,
      lastSyncedAt: null as number | null,
      /** The server speaks a newer protocol (it closed with `versionMismatch`): see SyncStatus. */
      updateNeeded: false,
    },
    /** Bumped by notices: the app reads the workspace's name, or a lead's queue count, again. */
    versions: { workspace: 0, safeguarding: 0 },
    reports: { waiting: 0, queue: null as Promise<ReportQueue> | null },
  };
}

export type Parts = ReturnType<typeof basics> & {
  events: ReturnType<typeof createEngineEvents>;
  sessionEnd: ReturnType<typeof createSessionEndWatch>;
  api: ApiClient;
  account: Account;
  replicas: Replicas;
  conn: Connection;
  stall: ReturnType<typeof createStallWatch>;
  ephemeral: ReturnType<typeof createEphemeral>;
  peers: ReturnType<typeof createTabPeers>;
  subs: Subscriptions;
  outbox: Outbox;
  rebuilds: Rebuilds;
  answers: ReturnType<typeof createAnswers>;
  handleFrame: (f: Frame) => void;
  views: ReturnType<typeof createViewCache>;
  view: (conversationId: string) => ConversationView;
  /** Mentions of the person and replies in their threads, newest first, with the unread count (activity.ts). */
  activity: () => Activity | null;
  actions: ReturnType<typeof createConversationActions>;
  isSettled: () => boolean;
  loadReports: () => Promise<ReportQueue>;
  toPeers: (e: PeerEvent) => void;
};

export function wireEngine(opts: EngineOptions): Parts {
  const p = basics(opts) as Parts;
  p.toPeers = (e) => p.peers.toPeers(e);
  p.events = createEngineEvents({ isSettled: () => p.isSettled() });
  /** Why the session ended, told once to the app (session-end.ts; the PWA wipes the device on it). */
  p.sessionEnd = createSessionEndWatch();
  p.api = createApiClient({
    baseUrl: opts.baseUrl,
    fetch: opts.fetch ?? fetch,
    manualCookies: opts.manualCookies === true,
    onFailure: p.sessionEnd.fromHttp,
  });
  wireAccount(p);
  wireSocket(p);
  wireSync(p);
  wireReading(p);
  return p;
}

function wireAccount(p: Parts): void {
  const { emit, reportError, inBackground } = p.events;
  p.account = createAccount({
    api: p.api,
    storage: p.storage,
    timers: p.timers,
    random: p.random,
    newId: p.newId,
    manualCookies: p.opts.manualCookies === true,
    emit,
    toPeers: p.toPeers,
    onList: (list, before) => p.subs.onList(list, before),
  });
  p.replicas = createReplicas({
    storage: p.storage,
    isSaving: (doc, except) =>
      [...p.outbox.unsaved].some((id) => id !== except && p.outbox.entries.get(id)?.doc === doc),
    onStored: (r, update) => p.toPeers({ t: 'doc', doc: r.name, update }),
    onChange: (r) => {
      if (r.parsed.kind === 'idx') inBackground(p.subs.followAuthors(r));
      emit();
    },
    onError: (err) =>
      reportError('storage', err instanceof Error ? err.message : 'could not save on this device'),
    ...(p.opts.clientIds ? { clientIds: p.opts.clientIds } : {}),
  });
  /**
   * Reports of a concern (issue 14 §2, reports.ts), loaded the first time one is written or one waits to
   * be sent: most people never report anything, so the code stays out of the first screen.
   */
  p.loadReports = () =>
    (p.reports.queue ??= import('./reports.ts').then(
      (m) =>
        m.createReportQueue({
          storage: p.storage,
          api: p.api,
          newId: p.newId,
          now: p.now,
          ok: Ok,
          changed: (n) => (p.reports.waiting = n),
        }),
      (err: unknown) => {
        // Its code could not be fetched (offline before the service worker stored it): the next call tries
        // again, instead of every later call failing with this one.
        p.reports.queue = null;
        throw err;
      },
    ));
}

/** What the engine does when the socket comes and goes. */
function onConnectionState(p: Parts, s: ConnectionState, detail: { code?: number; reason?: string }): void {
  if (s === 'online') {
    p.clock.updateNeeded = false;
    // Reports written offline go as soon as the server is reachable again.
    if (p.reports.waiting > 0) p.events.inBackground(p.loadReports().then((q) => q.flush()));
  } else if (detail.code === CLOSE.versionMismatch) p.clock.updateNeeded = true;
  else if (s === 'signed-out') p.sessionEnd.fromClose(detail.code, detail.reason);
  if (s !== 'online') {
    p.outbox.offline();
    p.subs.offline();
    p.ephemeral.clear();
  }
  const { lastSyncedAt, updateNeeded } = p.clock;
  p.toPeers({ t: 'status', connection: s, lastSyncedAt, updateNeeded });
  p.events.emit();
}

function wireSocket(p: Parts): void {
  const { opts, api, events } = p;
  p.conn = createConnection({
    url: `${opts.baseUrl.replace(/^http/, 'ws')}/sync`,
    socketFactory: opts.socketFactory,
    headers: () => {
      const h: Record<string, string> = {};
      const c = api.cookie();
      if (c) h.cookie = c;
      if (opts.origin) h.origin = opts.origin;
      return h;
    },
    timers: p.timers,
    random: p.random,
    clientName: opts.clientName ?? 'commonroom-engine',
    minBackoffMs: p.backoff.minMs,
    maxBackoffMs: p.backoff.maxMs,
    onWelcome: (_userId, serverTime) => {
      const ahead = p.now() - serverTime;
      const was = p.clock.aheadOfServer;
      p.clock.aheadOfServer = ahead > 60_000 ? ahead : 0;
      p.stall.restart();
      // Kept on the device: after a restart offline, read times are still stamped at the server's clock,
      // which the server bounds by its own (P8); a phone hours fast would otherwise have its marks refused.
      if (p.clock.aheadOfServer !== was)
        events.inBackground(p.storage.setMeta('aheadOfServer', p.clock.aheadOfServer));
      p.ephemeral.welcomed();
      events.inBackground(p.subs.onWelcome());
    },
    onFrames: (frames) => frames.forEach((f) => p.handleFrame(f)),
    // A 401 here names why the session ended (session-end.ts); any other outcome means nothing.
    onRefused: () => void api.request('GET', '/api/auth/me', MeReply).catch(() => undefined),
    onState: (s, detail) => onConnectionState(p, s, detail),
  });
  p.stall = createStallWatch({
    now: p.now,
    timers: p.timers,
    stallMs: opts.stallMs ?? 15_000,
    hasWork: () => p.conn.isOnline() && p.outbox.slowedUntil() === null && p.outbox.pending().length > 0,
    onStall: () => {
      events.reportError('stalled', 'the connection stopped answering; reconnecting');
      p.conn.drop();
    },
  });
  // An API call heard it first: stop knocking with a session the server has ended.
  p.sessionEnd.onEnded(() => {
    p.stall.stop();
    p.conn.signOut();
  });
  p.ephemeral = createEphemeral({
    now: p.now,
    emit: events.emit,
    toPeers: p.toPeers,
    send: (f) => p.conn.send(f),
  });
  p.peers = createTabPeers({
    replicas: p.replicas,
    adopt: (e) => p.outbox.adopt(e),
    forgetEntries: (ids) => ids.forEach((id) => p.outbox.entries.delete(id)),
    sendPendingFor: (doc) => p.outbox.sendPendingFor(doc),
    presence: p.ephemeral.presenceFromPeer,
    typing: p.ephemeral.typingFromPeer,
    setList: p.account.setList,
    onList: (list) => p.subs.onPeerList(list),
    open: async (id) => {
      const c = p.account.conversations.get(id);
      if (!c) return;
      p.subs.noteOpened(c.id);
      if (p.conn.isOnline()) await p.subs.openAndFollow(c);
    },
    emit: events.emit,
  });
}

/** The documents, the outbox and what the server answers. */
function wireSync(p: Parts): void {
  const { replicas, account, conn, events, storage } = p;
  const { emit, inBackground, reportError } = events;
  const synced = (): void => {
    p.clock.lastSyncedAt = p.now();
  };
  const common = {
    replicas,
    emit,
    inBackground,
    isOnline: conn.isOnline,
    send: (f: Frame[]) => conn.send(f),
  };
  p.subs = createSubscriptions({
    ...common,
    conversations: account.conversations,
    me: account.me,
    nextRef: p.nextRef,
    waitingDocs: () => p.outbox.waitingDocs(),
    refreshAll: () => {
      void account.refreshConversations().catch(() => undefined);
      void account.refreshDirectory().catch(() => undefined);
    },
  });
  p.outbox = createOutbox({
    ...common,
    storage,
    now: p.now,
    timers: p.timers,
    backoff: p.backoff,
    newId: p.newId,
    nextRef: p.nextRef,
    subscribe: p.subs.subscribe,
    toPeers: p.toPeers,
  });
  p.rebuilds = createRebuilds({ ...common, outbox: p.outbox, step1For: p.subs.step1For, toPeers: p.toPeers });
  p.answers = createAnswers({
    ...common,
    outbox: p.outbox,
    rebuilds: p.rebuilds,
    storage,
    conversations: account.conversations,
    me: account.me,
    ownDoc: (id) => p.actions.ownDoc(id),
    refreshConversations: account.refreshConversations,
    refreshLater: account.refreshLater,
    openConversationDocs: p.subs.openConversationDocs,
    subscribe: p.subs.subscribe,
    retryLater: (doc) => p.timers.setTimeout(() => p.outbox.sendPendingFor(doc), 2_000),
    synced,
    toPeers: p.toPeers,
    reportError,
  });
  p.handleFrame = createFrameHandler({
    replicas,
    me: account.me,
    sendPendingFor: p.outbox.sendPendingFor,
    onStep2: p.rebuilds.onStep2,
    settle: p.answers.settle,
    progress: () => p.stall.progress(),
    synced,
    presence: p.ephemeral.presenceHeard,
    typing: p.ephemeral.typingHeard,
    refreshConversations: () => void account.refreshConversations().catch(() => undefined),
    refreshDirectory: () => void account.refreshDirectory().catch(() => undefined),
    bump: (what) => {
      p.versions[what]++;
      emit();
    },
    emit,
    reportError,
    inBackground,
  });
}

/** What the app reads and does in a conversation, and when the engine counts as settled. */
function wireReading(p: Parts): void {
  const { replicas, account, outbox } = p;
  const segmentsOf = (conversationId: string) => segmentDocs(replicas.all(), conversationId);
  p.views = createViewCache((conversationId) =>
    buildView({
      conversation: account.conversations.get(conversationId) ?? null,
      conversationId,
      segments: segmentsOf(conversationId),
      outbox: outbox.entries.values(),
      unsaved: outbox.unsaved,
      me: account.me(),
    }),
  );
  p.view = (conversationId) =>
    p.views.get(conversationId, {
      conversation: account.conversations.get(conversationId) ?? null,
      me: account.me(),
      replicas: replicas.all(),
      outbox: outbox.entries.values(),
      unsaved: outbox.unsaved,
    });
  // Its code loads on first use, off the first screen's JavaScript (at its budget): null until then.
  let activity: (() => Activity) | null = null;
  let loading = false;
  p.activity = () => {
    if (activity) return activity();
    if (!loading) {
      loading = true;
      p.events.inBackground(
        import('./activity.ts').then(
          (m) => {
            activity = m.createActivity({
              version: p.events.version,
              me: account.me,
              conversations: () => account.conversations.values(),
              view: p.view,
            });
            p.events.emit();
          },
          () => {
            // Not fetched (offline before the service worker had it): nothing to tell; the next read
            // (the next change) tries again.
            loading = false;
          },
        ),
      );
    }
    return null;
  };
  p.actions = createConversationActions({
    outbox,
    replicas,
    me: account.me,
    requireMe: account.requireMe,
    deviceId: account.deviceId,
    conversationOf: account.conversationOf,
    view: p.view,
    segmentsOf,
    knownSegmentOf: p.rebuilds.knownSegmentOf,
    now: p.now,
    serverNow: () => p.now() - p.clock.aheadOfServer,
    newId: p.newId,
    emit: p.events.emit,
  });
  p.isSettled = () => {
    if (!p.conn.isOnline() || outbox.inflight.size > 0 || p.subs.following() > 0) return false;
    if (account.refreshing() || outbox.pending().length > 0) return false;
    for (const r of replicas.all()) {
      if (isIncomplete(r.phase)) return false;
      if (r.follow.kind !== 'synced' && r.follow.kind !== 'resting') return false;
    }
    return true;
  };
}
