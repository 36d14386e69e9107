import { authorRoots } from '@commonroom/model';
import {
  formatDocName,
  isAdminRole,
  type ConversationId,
  type Me,
  type PublicUser,
} from '@commonroom/protocol';
import * as Y from 'yjs';
import type { ConnectionState } from './connection.ts';
import { wireEngine, type EngineOptions, type Parts } from './engine-wiring.ts';
import { registerInternals, type EngineInternals } from './internals.ts';
import type { PendingReport } from './reports.ts';
import type { SessionEnded } from './session-end.ts';
import type { OutboxEntry } from './storage.ts';

export type { ConversationView, EngineMessage, MessageStatus } from './engine-view.ts';
export type { PresenceInfo, StatusChoice } from './ephemeral.ts';
export type { EngineOptions } from './engine-wiring.ts';

/**
 * The sync engine: the same code in the browser and in Node (tests, benchmarks, bots). It owns the device's
 * replicas, the outbox of actions the server has not yet acknowledged, and the one socket. This is its
 * front: the parts, each in a file of its own, are wired in engine-wiring.ts; here they become one object
 * for the app, group by group.
 *
 *   account.ts        who is signed in, conversations, directory, the REST calls
 *   subscriptions.ts  which documents are followed on the socket (P2, P3)
 *   outbox.ts         actions taken here: stored, sent in merged frames, dropped when done
 *   answers.ts        the server's answers to those frames (P12, P13, P14)
 *   rebuild.ts        rebuild and replay after a refusal; doc-state.ts the per-document state
 *   server-frames.ts  every other frame from the server
 *   ephemeral.ts      presence and typing;  tab-peers.ts  the other tabs of this browser
 */

export type SyncStatus = {
  connection: ConnectionState;
  waiting: number;
  /** Of those waiting, how many are new messages (the rest are changes: edits, reactions, pins…). */
  waitingMessages: number;
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

export type Engine = ReturnType<typeof createEngine>;

export function createEngine(opts: EngineOptions) {
  const p = wireEngine(opts);
  const hooks = internals(p);
  const engine = {
    ...sessionApi(p),
    ...conversationApi(p),
    ...statusApi(p),
    ...tabApi(p),
  };
  // For tests and diagnostics only, read through `@commonroom/engine/testing` (never on the app's API).
  registerInternals(engine, hooks);
  return engine;
}

/** Starting, signing in and out, the socket. */
function sessionApi(p: Parts) {
  const { account, conn, stall, storage } = p;
  return {
    /** Loads what this device already has: account, conversations, outbox. Works offline. */
    init: (): Promise<Me | null> => restore(p),
    async login(login: string, password: string): Promise<Me> {
      await account.ensureDeviceId();
      return account.login(login, password, () => {
        p.sessionEnd.reset();
        // A follower tab signing in again: what the leader last said ("signed out") is over (see tabs.ts).
        p.peers.forgetLeader();
      });
    },
    /** Logs out here and forgets this device's copy. `force` drops unsent actions too. */
    async logout(force = false): Promise<void> {
      const waiting = p.outbox.pending().length;
      if (waiting > 0 && !force) throw new Error(`${waiting} action(s) are still waiting to send`);
      p.sessionEnd.leaving();
      await account.logout();
      stall.stop();
      conn.stop();
      p.rebuilds.clear();
      p.replicas.clear();
      p.subs.clear();
      p.outbox.clear();
      // Views hold the last person's messages: nothing of them stays in memory after sign-out.
      p.views.clear();
      account.forget();
      await storage.clear();
      p.events.emit();
    },
    connect(): void {
      conn.start();
      stall.start();
    },
    disconnect(): void {
      stall.stop();
      conn.stop();
    },
    /** Drops the socket (the network was lost, or the app knows it changed): it reconnects with backoff. */
    dropConnection: (): void => conn.drop(),
    retryNow: (): void => conn.retryNow(),
    me: account.me,
    isAdmin: (): boolean => {
      const m = account.me();
      return m ? isAdminRole(m.role) : false;
    },
    /** One's own profile (issue 13 §4): saved on the server, then shown here and in the directory. */
    updateProfile: account.updateProfile,
    deviceId: account.deviceId,
    /**
     * Hears, once, that the server ended this session and why; `wipe` says the device must forget the
     * account (T10). The engine stops connecting; the app clears its stores and shows the sign-in page.
     */
    onSessionEnded: (listener: (e: SessionEnded) => void): (() => void) => p.sessionEnd.onEnded(listener),
    /** The HTTP API (admin pages, safeguarding, exports call it with the session this engine holds). */
    api: p.api,
  };
}

/** The device's copy of what it had, read at a start (offline too). */
async function restore(p: Parts): Promise<Me | null> {
  const { storage, account, outbox } = p;
  // The metadata in one request and the outbox beside it, then every conversation's documents at once.
  const [[deviceId, me, cookie, users, list, order, ahead, reports], stored] = await Promise.all([
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
  if (typeof ahead === 'number' && Number.isFinite(ahead)) p.clock.aheadOfServer = ahead;
  account.restore({ deviceId, me, cookie, users, list });
  if (typeof deviceId !== 'string') await storage.setMeta('deviceId', account.deviceId());
  outbox.restoreOrder(order);
  const unapplied = new Set<string>();
  for (const e of stored) {
    outbox.adopt(e);
    // Not applied to the stored copy: taken while a rebuild waited for the server's copy, moved from a
    // closed segment (P13), or waiting when a rebuild cleared the copy (`resetDoc`). Applied again below.
    if (e.status === 'pending' && e.update === null) {
      outbox.deferred.add(e.id);
      unapplied.add(e.doc);
    }
  }
  const members = [...account.conversations.values()].filter((c) => c.isMember);
  await Promise.all(members.map(p.subs.openConversationDocs));
  // The app was closed with such a document part way through a rebuild or a replay (P12): what is stored
  // may be the thrown-away copy, an empty one, or the server's copy with only some actions applied again.
  // None of it is whole; begun as whole, actions would be decided against it and the waiting ones sent in
  // a stale form or never applied here. So the document is rebuilt from the start: cleared again (with
  // every waiting entry's update, in one write), `awaiting-copy` until the server's copy comes, then each
  // waiting action applied to it in order. A rare case (a closed app), so the cost of a copy is fine.
  for (const doc of unapplied) {
    await p.replicas.open(doc);
    await p.rebuilds.rebuild(doc);
  }
  // A document loaded with many rows (older versions stored local actions uncounted) is compacted now,
  // on the write queue, off the way to the first screen.
  p.replicas.compactOversized();
  p.reports.waiting = Array.isArray(reports) ? reports.length : 0;
  p.events.emit();
  return account.me();
}

/** Conversations: the list, reading one, and what a person does in it. */
function conversationApi(p: Parts) {
  const { account, actions, ephemeral } = p;
  return {
    refreshConversations: account.refreshConversations,
    conversations: () => [...account.conversations.values()],
    conversation: (id: string) => account.conversations.get(id),
    /**
     * Whether this device has heard from the server about the conversation's newest part: answered on this
     * connection, or stored from an earlier one. Until then an empty list means "not here yet", not "no
     * messages" (issue 18: a newcomer's #general said "No messages yet" while its history was arriving).
     */
    heard: (id: string): boolean => {
      const c = account.conversations.get(id);
      if (!c) return false;
      const r = p.replicas.get(
        formatDocName({ kind: 'idx', conversationId: c.id as ConversationId, segment: c.segment }),
      );
      return !!r && (r.follow.kind === 'synced' || r.storedUpdates > 0);
    },
    users: account.refreshDirectory,
    members: account.members,
    /** A person from the directory on this device (names and roles work offline). */
    user: (id: string): PublicUser | undefined => account.directory.get(id),
    directory: (): PublicUser[] => [...account.directory.values()],
    join: account.join,
    leave: account.leave,
    openDm: account.openDm,
    createChannel: account.createChannel,
    /** Opens a conversation's documents for reading (and subscribes, when online). */
    async open(conversationId: string): Promise<void> {
      await p.subs.openAndFollow(account.conversationOf(conversationId));
      if (!p.conn.isOnline()) p.toPeers({ t: 'open', conversationId });
    },
    /** Loads the next older segment not on this device (scrolling back); false when there is none. */
    loadOlder: (conversationId: string): Promise<boolean> =>
      p.subs.loadOlder(account.conversationOf(conversationId)),
    /**
     * Loads the one older segment holding a message (a search hit's `seq`, P13: segment × 1,000,000 + place),
     * not every segment between it and the newest; false when it is not older or is already here.
     */
    loadSegment: (conversationId: string, segment: number): Promise<boolean> =>
      p.subs.loadSegment(account.conversationOf(conversationId), segment),
    view: p.view,
    /**
     * Mentions of this person and replies in their threads, newest first, and how many are unread; null
     * while its code loads (the first call starts that; the engine notifies when it is ready).
     */
    activity: p.activity,
    send: actions.send,
    edit: actions.edit,
    delete: actions.delete,
    react: actions.react,
    pin: actions.pin,
    remove: actions.remove,
    markRead: actions.markRead,
    markUnread: actions.markUnread,
    /**
     * Marks read every conversation given (all one is in, by default) that has unread messages (issue 15 §2).
     * Read marks are CRDT writes, so this works offline like one `markRead`.
     */
    async markAllRead(ids?: readonly string[]): Promise<void> {
      const all = ids ?? [...account.conversations.values()].filter((c) => c.isMember).map((c) => c.id);
      for (const id of all) if (p.view(id).unread > 0) await actions.markRead(id);
    },
    setNotify: account.setNotify,
    dismiss: actions.dismiss,
    /** The person's DND and custom status (stored on the server; issue 15 §3). */
    setStatus: ephemeral.setStatus,
    /** This device's state and the conversation it shows (the app reports it; never shown to others). */
    reportDevice: ephemeral.reportDevice,
    typing: ephemeral.typing,
    presenceOf: ephemeral.presenceOf,
    typingIn: ephemeral.typingIn,
    /** Report a concern about a message (issue 14 §2): kept on the device until the server has it. */
    reports: {
      /** Keeps the report on the device, then sends it when it can; `sent: false` while offline. */
      report: async (r: Omit<PendingReport, 'id' | 'createdAt'>): Promise<{ sent: boolean }> =>
        (await p.loadReports()).report(r),
      /** The queue itself, loaded on first use: refused reports (P15), kept until dismissed, are read there. */
      queue: p.loadReports,
    },
  };
}

/** Read marks and "unread from here" travel too, but are not what a person waits on. */
const isMark = (e: OutboxEntry): boolean => e.kind === 'read' || e.kind === 'unread';

/** What the app shows of the engine's state, and how it hears of changes. */
function statusApi(p: Parts) {
  const { outbox, events } = p;
  return {
    outbox: (): OutboxEntry[] => [...outbox.entries.values()].sort((a, b) => a.order - b.order),
    status: (): SyncStatus => {
      const leader = p.peers.leaderStatus();
      const all = [...outbox.entries.values()];
      const { lastSyncedAt, updateNeeded } = p.clock;
      return {
        // A follower tab has no socket of its own: it reports the leader tab's.
        ...(leader && p.conn.state() === 'offline'
          ? leader
          : { connection: p.conn.state(), lastSyncedAt, updateNeeded }),
        // What the person did and is waiting on.
        waiting: all.filter((e) => e.status === 'pending' && !isMark(e)).length,
        waitingMessages: all.filter((e) => e.status === 'pending' && e.kind === 'send').length,
        saving: [...outbox.unsaved].filter((id) => {
          const e = outbox.entries.get(id);
          return e !== undefined && !isMark(e);
        }).length,
        rejected: all.filter((e) => e.status === 'rejected').length,
        slowedUntil: outbox.slowedUntil(),
      };
    },
    /** Resolves when online with every document synced and nothing waiting to send. */
    settled: events.settled,
    isSettled: p.isSettled,
    subscribe: events.subscribe,
    onError: events.onError,
    version: events.version,
    workspaceVersion: (): number => p.versions.workspace,
    safeguardingVersion: (): number => p.versions.safeguarding,
  };
}

/** The other tabs of this browser (peers.ts, tab-peers.ts). */
function tabApi(p: Parts) {
  return {
    /** Listens for what this tab stored, to tell the other tabs. */
    onPeerEvent: p.peers.onPeerEvent,
    /** Applies what another tab stored. The leader tab also sends other tabs' waiting actions. */
    applyPeerEvent: p.peers.apply,
    /** This tab has become the leader: pick up what other tabs left waiting, then connect. */
    async takeOverConnection(): Promise<void> {
      p.peers.forgetLeader();
      for (const e of await p.storage.listOutbox())
        if (!p.outbox.entries.has(e.id)) p.outbox.entries.set(e.id, e);
      p.conn.start();
    },
  };
}

function internals(p: Parts): EngineInternals {
  const { replicas } = p;
  return {
    flushStorage: () => replicas.flushWrites(),
    ownDocName: (conversationId) => p.actions.ownDoc(conversationId),
    replicaStates(conversationId) {
      const out = new Map<string, Uint8Array>();
      for (const r of replicas.all())
        if (r.parsed.conversationId === conversationId) out.set(r.name, Y.encodeStateAsUpdate(r.doc));
      return out;
    },
    replicaDebug(doc) {
      const r = replicas.get(doc);
      if (!r) return null;
      return {
        follow: r.follow.kind,
        phase: r.phase.kind,
        pendingStructs: r.doc.store.pendingStructs !== null,
        pendingDs: r.doc.store.pendingDs !== null,
        stateVector: Object.fromEntries(Y.decodeStateVector(Y.encodeStateVector(r.doc))),
      };
    },
    authorRootsOf(doc) {
      const r = replicas.get(doc);
      return r ? authorRoots(r.doc) : null;
    },
  };
}
