import type { Agent as HttpsAgent } from 'node:https';
import { LIMITS, type DmPolicy, type NoticeKind } from '@commonroom/protocol';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createPolicy } from './auth/policy.ts';
import type { Config } from './config.ts';
import { createClientAddress } from './http/client-address.ts';
import { createMessageRate } from './rooms/message-rate.ts';
import { createPresence } from './rooms/presence.ts';
import { createRefusalBudget } from './rooms/refusal-budget.ts';
import { createSyncRooms } from './rooms/sync-rooms.ts';
import { createAccounts } from './services/accounts.ts';
import { createChannelAdmin } from './services/channel-admin.ts';
import { createConversationService } from './services/conversations.ts';
import { createDmSupervision } from './services/dm-supervision.ts';
import { createMuteService } from './services/mutes.ts';
import { createPersonMoves } from './services/person-moves.ts';
import { createRetentionJob, type Redact } from './services/retention.ts';
import { createRosterImport } from './services/roster-import.ts';
import { createSafeguardingExport } from './services/safeguarding-export.ts';
import { createSafeguarding, type Safeguarding } from './services/safeguarding.ts';
import { createAppliedActions } from './storage/applied-actions.ts';
import { createAuditLog } from './storage/audit.ts';
import { createCohortStore } from './storage/cohorts.ts';
import { createConversationStore } from './storage/conversations.ts';
import { openDatabase, type Db } from './storage/db.ts';
import { createDocClients } from './storage/doc-clients.ts';
import { createSqliteDocStore } from './storage/doc-store.ts';
import { createExportQueries } from './storage/export-queries.ts';
import { createMessageStore } from './storage/messages.ts';
import { createSearchStore } from './storage/search.ts';
import { createMuteStore } from './storage/mutes.ts';
import { createPasswordLinks } from './storage/password-links.ts';
import { createRetentionStore } from './storage/retention.ts';
import { createSafeguardingStore } from './storage/safeguarding.ts';
import { createSessionStore } from './storage/sessions.ts';
import { createSettingsStore } from './storage/settings.ts';
import { createTranscripts } from './storage/transcripts.ts';
import { createUserStore } from './storage/users.ts';
import { realTimers, type Timers } from './timers.ts';
import { SyncSocketServer } from './ws/deflate.ts';
import { createSocketHub } from './ws/socket-hub.ts';
import { createMessagePushes, type MessagePushes } from './push/message-pushes.ts';
import { createPushSender, type PushSender } from './push/push-sender.ts';
import { loadVapidKeys } from './push/vapid-keys.ts';
import { createPushSubscriptionStore } from './storage/push-subscriptions.ts';

/**
 * The server's parts, built from configuration and wired to each other, without side effects beyond
 * opening the database: the stores, the policy, the rooms, the socket hub and the services. server.ts puts
 * the HTTP app and the listening socket on top; testing.ts shows the parts to tests.
 */

export type ServerDeps = {
  now?: () => number;
  timers?: Timers;
  log?: Logger;
  /** Where the one-time setup link goes (the console in production). */
  print?: (line: string) => void;
  /** Takes expired messages off every device (issue 14 §7); tests pass one that records its targets. */
  redact?: Redact;
  /** The HTTPS agent push deliveries use (tests trust their loopback push service with it). */
  pushAgent?: HttpsAgent;
  /** Yjs client ids of documents the server writes (a simulation's seeded ones); Yjs draws its own otherwise. */
  clientIds?: () => number;
};

export type ServerParts = ReturnType<typeof assembleServer>;

/** The stores over one database: every table has one owner here. */
function createStores(db: Db, config: Config, now: () => number) {
  const settings = createSettingsStore(db, {
    workspaceName: config.workspaceName,
    studentDmPolicy: 'anyone',
    dmSupervisorId: null,
    sessionLengthDays: config.sessionTtlMs / 86_400_000,
  });
  return {
    users: createUserStore(db, now),
    settings,
    sessions: createSessionStore(db, now, () => settings.sessionTtlMs()),
    conversations: createConversationStore(db, now),
    messages: createMessageStore(db),
    appliedActions: createAppliedActions(db),
    audit: createAuditLog(db, now),
    store: createSqliteDocStore(db, now),
    docClients: createDocClients(db),
    muteStore: createMuteStore(db, now),
    cohorts: createCohortStore(db),
    links: createPasswordLinks(db, now),
    retentionStore: createRetentionStore(db, now),
    safeguardingStore: createSafeguardingStore(db, now),
    pushStore: createPushSubscriptionStore(db, now),
    searchStore: createSearchStore(db),
  };
}

/** The live documents: the rooms (their rules and limits from configuration) and presence. */
function createRoomParts(
  s: ReturnType<typeof createStores>,
  d: {
    config: Config;
    policy: ReturnType<typeof createPolicy>;
    log: Logger;
    now: () => number;
    timers: Timers;
    watch: Parameters<typeof createSyncRooms>[0]['watch'];
    stored: Parameters<typeof createSyncRooms>[0]['stored'];
    clientIds: (() => number) | undefined;
  },
) {
  const { config, now } = d;
  const rooms = createSyncRooms({
    store: s.store,
    conversations: s.conversations,
    messages: s.messages,
    appliedActions: s.appliedActions,
    docClients: s.docClients,
    audit: s.audit,
    policy: d.policy,
    log: d.log,
    now,
    timers: d.timers,
    idleDocMs: config.limits.idleDocMs,
    compactAfter: config.limits.compactAfterUpdates,
    segmentSize: config.limits.segmentSize,
    messageRate: createMessageRate({
      perMinute: config.limits.newMessagesPerMinute,
      burst: config.limits.newMessageBurst,
      now,
    }),
    refusals: createRefusalBudget({ perWindow: config.limits.refusalsPerMinute, windowMs: 60_000, now }),
    newMessagesPerUpdate: config.limits.newMessagesPerUpdate,
    ...(d.watch ? { watch: d.watch } : {}),
    ...(d.stored ? { stored: d.stored } : {}),
    ...(d.clientIds ? { clientIds: d.clientIds } : {}),
  });
  return { rooms, presence: createPresence(now) };
}

type Stores = ReturnType<typeof createStores>;
type Policy = ReturnType<typeof createPolicy>;
type Notify = (userIds: Iterable<string>, kind: NoticeKind, payload: unknown) => void;

type Revoke = (conversationId: string, userId: string, reason: string) => void;

/** The services about people: accounts, roster import, moves between roles and cohorts, DM supervision. */
function createPeopleServices(
  s: Stores,
  d: { db: Db; config: Config; hub: ReturnType<typeof createSocketHub>; notify: Notify; revoke: Revoke },
) {
  const { db, hub, notify } = d;
  const { users, conversations, audit, links } = s;
  const supervision = createDmSupervision({
    db,
    conversations,
    users,
    audit,
    settings: () => s.settings.read(),
    revokeConversation: d.revoke,
    notify,
  });
  const moves = createPersonMoves({
    db,
    users,
    conversations,
    revokeConversation: d.revoke,
    notify,
    rolesChanged: (actorId) => supervision.peopleChanged(actorId),
  });
  const accounts = createAccounts({
    db,
    users,
    sessions: s.sessions,
    conversations,
    audit,
    scryptLogN: d.config.scryptLogN,
    closeSockets: (id, code, reason) => hub.closeUser(id, code, reason),
    closeOtherSockets: (id, keep, code, reason) => {
      for (const x of hub.sessionsOf(id)) if (x.tokenHash !== keep) x.close(code, reason);
    },
    revokeConversation: d.revoke,
    notify,
    notifyAll: (kind, payload) => hub.notifyAll(kind, payload),
    links,
    moves,
  });
  const roster = createRosterImport({ db, users, conversations, audit, links, moves });
  return { supervision, accounts, roster };
}

/** The services behind the HTTP routes, wired to the rooms and the socket hub they tell of changes. */
function createServices(
  s: Stores,
  d: {
    db: Db;
    config: Config;
    log: Logger;
    now: () => number;
    timers: Timers;
    policy: Policy;
    dmPolicy: () => DmPolicy;
    muteOf: (userId: string, conversationId: string) => { until: number | null; everywhere: boolean } | null;
    rooms: ReturnType<typeof createSyncRooms>;
    hub: ReturnType<typeof createSocketHub>;
    redact: Redact | undefined;
    push: PushSender;
  },
) {
  const { db, hub, rooms, policy, now } = d;
  const { users, conversations, audit } = s;
  const notify: Notify = (ids, kind, payload) => hub.notify(ids, kind, payload);
  const revokeConversation: Revoke = (conversationId, userId, reason) =>
    rooms.revokeConversation(conversationId, userId, hub.sessionsOf(userId), reason);
  const people = createPeopleServices(s, { db, config: d.config, hub, notify, revoke: revokeConversation });
  const { supervision } = people;
  const safeguarding = createSafeguarding({
    db,
    store: s.safeguardingStore,
    transcripts: createTranscripts(db),
    users,
    conversations,
    policy,
    audit,
    log: d.log,
    notify,
    removeMessage: (c, author, local, by, reason) => rooms.removeAsServer(c, author, local, by, reason),
    pushToLead: (lead, itemId) =>
      void d.push
        .toUser(lead, {
          kind: 'report',
          title: 'New safeguarding report',
          body: 'Someone reported a message. It is waiting in the safeguarding queue.',
          tag: 'safeguarding',
          url: `/safeguarding/items/${itemId}`,
          conversationId: null,
        })
        .catch((err: unknown) => d.log.warn({ err }, 'push to a safeguarding lead failed')),
  });
  return {
    ...people,
    safeguarding,
    service: createConversationService({
      db,
      conversations,
      users,
      policy,
      audit,
      dmPolicy: d.dmPolicy,
      supervision,
      revokeConversation,
      notify,
      muteOf: d.muteOf,
    }),
    muteService: createMuteService({ mutes: s.muteStore, conversations, users, policy, audit, now, notify }),
    channelAdmin: createChannelAdmin({
      db,
      conversations,
      users,
      cohorts: s.cohorts,
      audit,
      revokeConversation,
      notify,
    }),
    retention: createRetentionJob({
      store: s.retentionStore,
      settings: () => s.retentionStore.read(),
      // Expired messages leave the server's documents and every device like deleted ones (P16); tests may
      // inject their own.
      redact: d.redact ?? ((targets, why) => rooms.redact(targets, why)),
      audit,
      log: d.log,
      now,
      timers: d.timers,
    }),
    exports: createSafeguardingExport({
      isLead: (id) => safeguarding.isLead(id),
      store: s.safeguardingStore,
      queries: createExportQueries(db),
      users,
      conversations,
      audit,
      college: () => s.settings.read().workspaceName,
      now,
    }),
  };
}

export function assembleServer(config: Config, deps: ServerDeps = {}) {
  const now = deps.now ?? Date.now;
  const timers: Timers = deps.timers ?? realTimers;
  const log = deps.log ?? pino({ level: config.logLevel });
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));

  const db = openDatabase(join(config.dataDir, 'commonroom.sqlite'));
  const stores = createStores(db, config, now);
  const { users, settings, conversations, muteStore } = stores;
  /**
   * The DM policy in force. 'supervised' without a supervisor who can serve (deactivated, no longer staff)
   * fails closed: students' DMs among themselves act as under 'staff only' until an admin chooses another,
   * never unsupervised (issue 14 §4).
   */
  const dmPolicy = (): DmPolicy => {
    const p = settings.read().studentDmPolicy;
    return p === 'supervised' && services.supervision.current() === null ? 'staff_only' : p;
  };
  /** The mute that applies to a person in a conversation now (issue 14 §3), for the policy and the list. */
  const muteOf = (userId: string, conversationId: string) => {
    const m = muteStore.effective(userId, conversationId);
    return m ? { until: m.until, everywhere: m.conversationId === null } : null;
  };
  const policy = createPolicy(conversations, {
    dmPolicy,
    roleOf: (id) => users.get(id)?.role ?? null,
    muteOf,
  });
  // The services are made after the socket hub (they notify through it); the rooms reach the keyword
  // watch through this late binding.
  let safeguarding: Safeguarding | null = null;
  // Pushes for stored messages (issue 15) need the socket hub (a device online is not pushed to): the same.
  let pushes: MessagePushes | null = null;
  const { rooms, presence } = createRoomParts(stores, {
    config,
    policy,
    log,
    now,
    timers,
    watch: (e) => safeguarding?.watch(e),
    stored: (list) => pushes?.stored(list),
    clientIds: deps.clientIds,
  });
  const hub = createSocketHub({
    rooms,
    presence,
    log,
    now,
    timers,
    limits: config.limits,
    currentActor: (id) => {
      const u = users.get(id);
      return u && u.active ? { id: u.id, role: u.role } : null;
    },
  });
  const vapid = loadVapidKeys(config.dataDir, config.vapid.keys);
  const push = createPushSender({
    store: stores.pushStore,
    vapid: { ...vapid, subject: config.vapid.subject },
    log,
    showing: (device) => hub.sessionsOf(device.userId).some((s) => s.tokenHash === device.tokenHash),
    ...(deps.pushAgent ? { agent: deps.pushAgent } : {}),
  });
  pushes = createMessagePushes({
    conversation: (id) => conversations.get(id),
    members: (id) => conversations.memberSet(id),
    user: (id) => users.get(id),
    threadPeople: (c, parent) => stores.messages.threadPeople(c, parent),
    send: (userId, payload) => push.toUser(userId, payload),
    log,
  });
  const services = createServices(stores, {
    db,
    config,
    log,
    now,
    timers,
    policy,
    dmPolicy,
    muteOf,
    rooms,
    hub,
    redact: deps.redact,
    push,
  });
  safeguarding = services.safeguarding;
  return {
    config,
    now,
    timers,
    log,
    print,
    db,
    ...stores,
    policy,
    dmPolicy,
    rooms,
    presence,
    hub,
    push,
    vapidPublicKey: vapid.publicKey,
    /** One notion of the client's address for login throttles and handshake limits (TRUST_PROXY, T10). */
    clientAddress: createClientAddress(config.trustedProxies),
    // ws enforces the frame limit itself, on the inflated size too: a larger message closes the socket
    // with 1009 before we parse it.
    wss: new SyncSocketServer({
      maxPayload: LIMITS.maxFrameBytes,
      compression: config.wsCompression,
      timers,
    }),
    ...services,
  };
}
