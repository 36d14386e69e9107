import type { Agent as HttpsAgent } from 'node:https';
import { LIMITS, type DmPolicy } from '@commonroom/protocol';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createFileParts } from './assemble-files.ts';
import { createServices } from './assemble-services.ts';
import { createAttachmentRefs } from './rooms/attachment-refs.ts';
import { createStores, type Stores } from './assemble-stores.ts';
import { createPolicy, type Policy } from './auth/policy.ts';
import type { Config } from './config.ts';
import { createClientAddress } from './http/client-address.ts';
import { createMessagePushes, type MessagePushes } from './push/message-pushes.ts';
import { createPushSender } from './push/push-sender.ts';
import { createPushPreferences } from './push/preferences.ts';
import { createReadClears } from './push/read-clears.ts';
import { loadVapidKeys } from './push/vapid-keys.ts';
import { createMessageRate } from './rooms/message-rate.ts';
import { createPresence, type Presence } from './rooms/presence.ts';
import { createPresenceCircle } from './rooms/presence-circle.ts';
import { createRefusalBudget } from './rooms/refusal-budget.ts';
import { createSyncRooms, type SyncRooms, type SyncRoomsDeps } from './rooms/sync-rooms.ts';
import type { Redact } from './services/retention.ts';
import type { Safeguarding } from './services/safeguarding.ts';
import { openDatabase } from './storage/db.ts';
import { realTimers, type Timers } from './timers.ts';
import { SyncSocketServer } from './ws/deflate.ts';
import { createSocketHub } from './ws/socket-hub.ts';

/**
 * The server's parts, built from configuration and wired to each other, without side effects beyond
 * opening the database: the stores (assemble-stores.ts), the policy, the rooms, the socket hub and the
 * services (assemble-services.ts). server.ts puts the HTTP app and the listening socket on top; testing.ts
 * shows the parts to tests.
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
  /**
   * The disk failed to keep committed updates (an fsync error, storage/wal-sync.ts). The entry point stops
   * the process; by default it is logged and the process exits with code 70 (EX_SOFTWARE), so a supervisor
   * restarts it on what the disk really holds and devices send again what was never acknowledged.
   */
  durabilityLost?: (err: unknown) => void;
  /** How the WAL is made durable (storage/wal-sync.ts); a simulation's scheduler passes its own. */
  syncFile?: (path: string) => Promise<void>;
};

export type ServerParts = ReturnType<typeof assembleServer>;

/** The live documents: the rooms (their rules and limits from configuration) and presence. */
function createRoomParts(
  s: Stores,
  d: {
    config: Config;
    policy: Policy;
    log: Logger;
    now: () => number;
    timers: Timers;
    watch: SyncRoomsDeps['watch'];
    stored: SyncRoomsDeps['stored'];
    readMoved: SyncRoomsDeps['readMoved'];
    clientIds: (() => number) | undefined;
    durabilityLost: SyncRoomsDeps['durabilityLost'];
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
    attachments: createAttachmentRefs(s.attachmentStore),
    durabilityLost: d.durabilityLost,
    ...(d.watch ? { watch: d.watch } : {}),
    ...(d.stored ? { stored: d.stored } : {}),
    ...(d.readMoved ? { readMoved: d.readMoved } : {}),
    ...(d.clientIds ? { clientIds: d.clientIds } : {}),
  });
  const presence = createPresence({
    now,
    store: s.presenceStatus,
    timers: d.timers,
    log: d.log,
    expiryCheckMs: config.limits.presenceExpiryCheckMs,
  });
  return { rooms, presence };
}

/**
 * Who may do what: the policy, with the DM policy in force and people's mutes it reads. `supervisor` is
 * the DM supervisor who can serve now (the services, made later, know it).
 */
function createPolicies(stores: Stores, supervisor: () => string | null) {
  const { users, settings, conversations, muteStore } = stores;
  /**
   * The DM policy in force. 'supervised' without a supervisor who can serve (deactivated, no longer staff)
   * fails closed: students' DMs among themselves act as under 'staff only' until an admin chooses another,
   * never unsupervised (issue 14 §4).
   */
  const dmPolicy = (): DmPolicy => {
    const p = settings.read().studentDmPolicy;
    return p === 'supervised' && supervisor() === null ? 'staff_only' : p;
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
  return { dmPolicy, muteOf, policy };
}

/** The socket edge over the rooms; a socket's person acts only while their account is active. */
function createHub(
  stores: Stores,
  d: { rooms: SyncRooms; presence: Presence; config: Config; log: Logger; now: () => number; timers: Timers },
) {
  const { users } = stores;
  return createSocketHub({
    rooms: d.rooms,
    presence: d.presence,
    circle: createPresenceCircle(stores.conversations, d.config.limits.presenceCircleMax),
    log: d.log,
    now: d.now,
    timers: d.timers,
    limits: d.config.limits,
    currentActor: (id) => {
      const u = users.get(id);
      return u && u.active ? { id: u.id, role: u.role } : null;
    },
  });
}

/** Web Push: the sender (a device whose app is showing is not pushed to) and the pushes for new messages. */
function createPushParts(
  stores: Stores,
  d: {
    config: Config;
    log: Logger;
    now: () => number;
    presence: Presence;
    pushAgent: HttpsAgent | undefined;
  },
) {
  const { config, log, presence } = d;
  const { users, conversations } = stores;
  const vapid = loadVapidKeys(config.dataDir, config.vapid.keys);
  const push = createPushSender({
    store: stores.pushStore,
    vapid: { ...vapid, subject: config.vapid.subject },
    log,
    // A device is skipped only while it is visible and showing that conversation (it reports both).
    showing: (device, conversationId) => presence.showing(device.userId, device.tokenHash, conversationId),
    // Do not disturb (issue 15 §3) holds while the person is offline and across restarts: it is stored.
    doNotDisturb: (userId) => presence.doNotDisturb(userId),
    ...(d.pushAgent ? { agent: d.pushAgent } : {}),
  });
  // A read on one device clears what was pushed to the others (read-clears.ts).
  const readClears = createReadClears({ send: (userId, payload) => push.toUser(userId, payload), log });
  // Each person's choices (level, per conversation, quiet hours: issue 15 §2), consulted per stored message.
  const pushPrefs = createPushPreferences({
    prefs: stores.notifyPrefs,
    quietHours: () => stores.settings.quietHours(),
    roleOf: (id) => users.get(id)?.role ?? null,
    now: d.now,
  });
  const pushes = createMessagePushes({
    conversation: (id) => conversations.get(id),
    members: (id) => conversations.memberSet(id),
    user: (id) => users.get(id),
    threadPeople: (c, parent) => stores.messages.threadPeople(c, parent),
    send: (userId, payload) => push.toUser(userId, payload),
    pushed: (userId, m) => readClears.pushed(userId, m),
    log,
    prefs: pushPrefs,
  });
  return { push, pushes, pushPrefs, readClears, vapidPublicKey: vapid.publicKey };
}

export function assembleServer(config: Config, deps: ServerDeps = {}) {
  const now = deps.now ?? Date.now;
  const timers: Timers = deps.timers ?? realTimers;
  const log = deps.log ?? pino({ level: config.logLevel });
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));

  const db = openDatabase(join(config.dataDir, 'commonroom.sqlite'));
  const stores = createStores(db, config, now, deps.syncFile);
  const { dmPolicy, muteOf, policy } = createPolicies(stores, () => services.supervision.current());
  // The services are made after the socket hub (they notify through it); the rooms reach the keyword
  // watch through this late binding.
  let safeguarding: Safeguarding | null = null;
  // Pushes for stored messages (issue 15) need the socket hub (a device online is not pushed to): the same.
  let pushes: MessagePushes | null = null;
  let readClears: ReturnType<typeof createPushParts>['readClears'] | null = null;
  const { rooms, presence } = createRoomParts(stores, {
    config,
    policy,
    log,
    now,
    timers,
    watch: (e) => safeguarding?.watch(e),
    stored: (list) => {
      // The authors stop typing there the moment their message is stored (issue 15 §4).
      hub.messagesStored(list);
      pushes?.stored(list);
    },
    readMoved: (r) => readClears?.read(r),
    clientIds: deps.clientIds,
    durabilityLost:
      deps.durabilityLost ??
      ((err) => {
        log.fatal({ err }, 'the disk failed to keep committed updates; stopping');
        process.exit(70);
      }),
  });
  const hub = createHub(stores, { rooms, presence, config, log, now, timers });
  const pushParts = createPushParts(stores, { config, log, now, presence, pushAgent: deps.pushAgent });
  const { push, pushPrefs, vapidPublicKey } = pushParts;
  pushes = pushParts.pushes;
  readClears = pushParts.readClears;
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
    pushPrefs,
    vapidPublicKey,
    /** One notion of the client's address for login throttles and handshake limits (TRUST_PROXY, T10). */
    clientAddress: createClientAddress(config.trustedProxies),
    // ws enforces the frame limit itself, on the inflated size too: a larger message closes the socket
    // with 1009 before we parse it.
    ...createFileParts(stores, { config, log, now, timers }),
    wss: new SyncSocketServer({
      maxPayload: LIMITS.maxFrameBytes,
      compression: config.wsCompression,
      timers,
    }),
    ...services,
  };
}
