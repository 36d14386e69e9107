import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOSE, LIMITS, type DmPolicy } from '@commonroom/protocol';
import { createAdaptorServer, type WebSocketServerLike } from '@hono/node-server';
import type { Server as HttpServer } from 'node:http';
import pino, { type Logger } from 'pino';
import { createLoginGuard } from './auth/login-guard.ts';
import { createThrottle } from './auth/throttle.ts';
import type { Config } from './config.ts';
import { adminChannelRoutes } from './http/admin-channel-routes.ts';
import { adminRoutes } from './http/admin-routes.ts';
import { createHttpApp } from './http/app.ts';
import { createClientAddress } from './http/client-address.ts';
import { authRoutes } from './http/auth-routes.ts';
import { conversationRoutes } from './http/conversation-routes.ts';
import { muteRoutes } from './http/mute-routes.ts';
import { syncRoute } from './http/sync-route.ts';
import { workspaceRoutes } from './http/workspace-routes.ts';
import type { Timers } from './rooms/loaded-docs.ts';
import { createMessageRate } from './rooms/message-rate.ts';
import { createRefusalBudget } from './rooms/refusal-budget.ts';
import { createPolicy } from './rooms/policy.ts';
import { createPresence } from './rooms/presence.ts';
import { createSyncRooms } from './rooms/sync-rooms.ts';
import { seed } from './seed.ts';
import { createAccounts } from './services/accounts.ts';
import { createChannelAdmin } from './services/channel-admin.ts';
import { createChannelRules } from './services/channel-rules.ts';
import { createRosterImport } from './services/roster-import.ts';
import { createSafeguarding, type Safeguarding } from './services/safeguarding.ts';
import { safeguardingRoutes } from './http/safeguarding-routes.ts';
import { retentionExportRoutes } from './http/export-routes.ts';
import { createRetentionJob, type Redact } from './services/retention.ts';
import { createSafeguardingExport } from './services/safeguarding-export.ts';
import { createExportQueries } from './storage/export-queries.ts';
import { createRetentionStore } from './storage/retention.ts';
import { createSafeguardingStore } from './storage/safeguarding.ts';
import { createTranscripts } from './storage/transcripts.ts';
import { createConversationService } from './services/conversations.ts';
import { createDmSupervision } from './services/dm-supervision.ts';
import { createPersonMoves } from './services/person-moves.ts';
import { createMuteService } from './services/mutes.ts';
import { createAuditLog } from './storage/audit.ts';
import { createCohortStore } from './storage/cohorts.ts';
import { createConversationStore } from './storage/conversations.ts';
import { openDatabase } from './storage/db.ts';
import { createSqliteDocStore } from './storage/doc-store.ts';
import { createMessageStore } from './storage/messages.ts';
import { createMuteStore } from './storage/mutes.ts';
import { APPLIED_ACTIONS_KEEP_MS, createAppliedActions } from './storage/applied-actions.ts';
import { createDocClients } from './storage/doc-clients.ts';
import { createPasswordLinks } from './storage/password-links.ts';
import { createSessionStore } from './storage/sessions.ts';
import { createSettingsStore } from './storage/settings.ts';
import { createUserStore } from './storage/users.ts';
import { SyncSocketServer } from './ws/deflate.ts';
import { createSocketHub } from './ws/socket-hub.ts';

export type ServerDeps = {
  now?: () => number;
  timers?: Timers;
  /** Yjs client ids of the rooms' documents (a simulation's seeded ones); Yjs draws its own otherwise. */
  clientIds?: () => number;
  log?: Logger;
  /** Where the one-time setup link goes (the console in production). */
  print?: (line: string) => void;
  /** Takes expired messages off every device (issue 14 §7); tests pass one that records its targets. */
  redact?: Redact;
};

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * Builds the whole server from configuration without side effects; `start()` opens the database and
 * listens, `stop()` shuts down gracefully (stop accepting, flush commits, close sockets, close the database).
 */
export function createCommonroomServer(config: Config, deps: ServerDeps = {}) {
  const now = deps.now ?? Date.now;
  const timers: Timers = deps.timers ?? {
    setTimeout: (f, ms) => setTimeout(f, ms),
    clearTimeout: (t) => clearTimeout(t),
  };
  const log = deps.log ?? pino({ level: config.logLevel });
  const print = deps.print ?? ((line: string) => process.stdout.write(`${line}\n`));

  const db = openDatabase(join(config.dataDir, 'commonroom.sqlite'));
  const users = createUserStore(db, now);
  const settings = createSettingsStore(db, {
    workspaceName: config.workspaceName,
    studentDmPolicy: 'anyone',
    dmSupervisorId: null,
    sessionLengthDays: config.sessionTtlMs / 86_400_000,
  });
  const sessions = createSessionStore(db, now, () => settings.sessionTtlMs());
  const conversations = createConversationStore(db, now);
  const messages = createMessageStore(db);
  const appliedActions = createAppliedActions(db);
  const audit = createAuditLog(db, now);
  const store = createSqliteDocStore(db, now);
  /**
   * The DM policy in force. 'supervised' without a supervisor who can serve (deactivated, no longer staff)
   * fails closed: students' DMs among themselves act as under 'staff only' until an admin chooses another,
   * never unsupervised (issue 14 §4).
   */
  const dmPolicy = (): DmPolicy => {
    const p = settings.read().studentDmPolicy;
    return p === 'supervised' && supervision.current() === null ? 'staff_only' : p;
  };
  const muteStore = createMuteStore(db, now);
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
  const presence = createPresence(now);
  // Made after the socket hub (it notifies leads); the rooms reach it through this late binding.
  let safeguarding: Safeguarding | null = null;
  const rooms = createSyncRooms({
    store,
    conversations,
    messages,
    appliedActions,
    docClients: createDocClients(db),
    audit,
    policy,
    log,
    now,
    timers,
    idleDocMs: config.limits.idleDocMs,
    compactAfter: config.limits.compactAfterUpdates,
    segmentSize: config.limits.segmentSize,
    messageRate: createMessageRate({
      perMinute: config.limits.newMessagesPerMinute,
      burst: config.limits.newMessageBurst,
      now,
    }),
    refusals: createRefusalBudget({
      perWindow: config.limits.refusalsPerMinute,
      windowMs: 60_000,
      now,
    }),
    newMessagesPerUpdate: config.limits.newMessagesPerUpdate,
    ...(deps.clientIds ? { clientIds: deps.clientIds } : {}),
    watch: (e) => safeguarding?.watch(e),
  });
  /** One notion of the client's address for login throttles and handshake limits (TRUST_PROXY, T10). */
  const clientAddress = createClientAddress(config.trustedProxies);
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
  const revokeConversation = (conversationId: string, userId: string, reason: string): void =>
    rooms.revokeConversation(conversationId, userId, hub.sessionsOf(userId), reason);
  const links = createPasswordLinks(db, now);
  const supervision = createDmSupervision({
    db,
    conversations,
    users,
    audit,
    settings: () => settings.read(),
    revokeConversation,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
  });
  const moves = createPersonMoves({
    db,
    users,
    conversations,
    revokeConversation,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
    rolesChanged: (actorId) => supervision.peopleChanged(actorId),
  });
  const accounts = createAccounts({
    db,
    users,
    sessions,
    conversations,
    audit,
    scryptLogN: config.scryptLogN,
    closeSockets: (id, code, reason) => hub.closeUser(id, code, reason),
    closeOtherSockets: (id, keep, code, reason) => {
      for (const s of hub.sessionsOf(id)) if (s.tokenHash !== keep) s.close(code, reason);
    },
    revokeConversation,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
    notifyAll: (kind, payload) => hub.notifyAll(kind, payload),
    links,
    moves,
  });
  const roster = createRosterImport({ db, users, conversations, audit, links, moves });
  const service = createConversationService({
    db,
    conversations,
    users,
    policy,
    audit,
    dmPolicy,
    supervision,
    revokeConversation,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
    muteOf,
  });
  const muteService = createMuteService({
    mutes: muteStore,
    conversations,
    users,
    policy,
    audit,
    now,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
  });

  const cohorts = createCohortStore(db);
  const channelAdmin = createChannelAdmin({
    db,
    conversations,
    users,
    cohorts,
    audit,
    revokeConversation,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
  });

  const workspace = workspaceRoutes({ settings, accounts });
  const safeguardingStore = createSafeguardingStore(db, now);
  safeguarding = createSafeguarding({
    db,
    store: safeguardingStore,
    transcripts: createTranscripts(db),
    users,
    conversations,
    policy,
    audit,
    log,
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
    removeMessage: (c, author, local, by, reason) => rooms.removeAsServer(c, author, local, by, reason),
  });

  const sg = safeguarding;
  const retentionStore = createRetentionStore(db, now);
  const retention = createRetentionJob({
    store: retentionStore,
    settings: () => retentionStore.read(),
    // Expired messages leave the server's documents and every device like deleted ones (P16); tests may
    // inject their own.
    redact: deps.redact ?? ((targets, why) => rooms.redact(targets, why)),
    audit,
    log,
    now,
    timers,
  });
  const exports = createSafeguardingExport({
    isLead: (id) => sg.isLead(id),
    store: safeguardingStore,
    queries: createExportQueries(db),
    users,
    conversations,
    audit,
    college: () => settings.read().workspaceName,
    now,
  });

  let stopping = false;
  const app = createHttpApp({
    log,
    allowedOrigins: config.allowedOrigins,
    sessions,
    users,
    health: () => {
      try {
        db.prepare('SELECT 1').get();
        return { ok: !stopping, detail: { sockets: hub.socketCount(), loadedDocs: rooms.loadedCount() } };
      } catch {
        return { ok: false, detail: { database: 'unavailable' } };
      }
    },
    routes: {
      auth: authRoutes({
        db,
        users,
        sessions,
        accounts,
        audit,
        guard: createLoginGuard({
          perAccount: createThrottle({
            max: config.limits.loginFailuresPerAccount,
            windowMs: config.limits.loginWindowMs,
            now,
          }),
          perAddress: createThrottle({
            max: config.limits.loginFailuresPerAddress,
            windowMs: config.limits.loginWindowMs,
            now,
          }),
        }),
        clientAddress,
        sessionTtlMs: () => settings.sessionTtlMs(),
        secureCookies: config.secureCookies,
        scryptLogN: config.scryptLogN,
        now,
        closeSession: (hash, code, reason) => hub.closeSession(hash, code, reason),
      }),
      admin: adminRoutes({
        accounts,
        roster,
        rules: createChannelRules(conversations),
        users,
        audit,
        conversations,
        settings,
        supervision,
        seen: (id) => presence.seen(id),
        notifyAll: (kind, payload) => hub.notifyAll(kind, payload),
        sessionLengthChanged: () => hub.recheckExpiry((h) => sessions.expiryOfHash(h)),
      }),
      adminChannels: adminChannelRoutes({ channels: channelAdmin, cohorts }),
      conversations: conversationRoutes({ service, users }),
      mutes: muteRoutes({ mutes: muteService }),
      workspace,
      safeguarding: safeguardingRoutes({ safeguarding }),
      retentionExport: retentionExportRoutes({
        exports,
        retention: retentionStore,
        isLead: (id) => sg.isLead(id),
        audit,
      }),
      sync: syncRoute({
        allowedOrigins: config.allowedOrigins,
        sessions,
        users,
        hub,
        compressFrom: config.wsCompression?.threshold ?? Number.POSITIVE_INFINITY,
        handshakes: {
          perAccount: {
            rate: config.limits.handshakesPerSecondPerAccount,
            burst: config.limits.handshakeBurstPerAccount,
          },
          perAddress: {
            rate: config.limits.handshakesPerSecondPerAddress,
            burst: config.limits.handshakeBurstPerAddress,
          },
        },
        clientAddress,
        now,
      }),
    },
    clientDist: resolve(repoRoot, config.clientDist),
    publicDir: resolve(repoRoot, 'public'),
  });

  // ws enforces the frame limit itself, on the inflated size too: a larger message closes the socket with
  // 1009 before we parse it.
  const wss = new SyncSocketServer({
    maxPayload: LIMITS.maxFrameBytes,
    compression: config.wsCompression,
    timers,
  });
  const server = createAdaptorServer({
    fetch: app.fetch,
    // node-server types the socket its callback gets as its own WebSocketLike; ws's WebSocket is one.
    websocket: { server: wss as unknown as WebSocketServerLike },
  }) as HttpServer;
  const purge = setInterval(() => {
    sessions.purgeExpired();
    appliedActions.prune(now() - APPLIED_ACTIONS_KEEP_MS);
  }, 3_600_000);
  purge.unref();

  return {
    app,
    db,
    log,
    internals: {
      users,
      appliedActions,
      sessions,
      conversations,
      messages,
      audit,
      rooms,
      hub,
      presence,
      store,
      accounts,
      service,
      settings,
      supervision,
      wss,
      retention,
    },
    async start(): Promise<{ port: number; url: string }> {
      await seed({ db, config, conversations, users, accounts, log, now, print });
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen(config.port, config.host, () => res());
      });
      const port = (server.address() as AddressInfo).port;
      if (!config.publicUrlFixed && config.port !== port)
        config.allowedOrigins.push(`http://127.0.0.1:${port}`, `http://localhost:${port}`);
      log.info({ port, host: config.host, dataDir: config.dataDir }, 'Commonroom is listening');
      // Deleted or removed messages whose words are still in their author's document (stored before P16,
      // or a commit lost between): taken out now, in the background, in bounded batches.
      rooms.catchUpRedactions().catch((err: unknown) => log.error({ err }, 'redaction catch-up failed'));
      retention.start();
      return { port, url: `http://${config.host}:${port}` };
    },
    async stop(): Promise<void> {
      if (stopping) return;
      stopping = true;
      clearInterval(purge);
      await new Promise<void>((res) => {
        server.close(() => res());
        // Stop accepting now; sockets are told to come back shortly, after commits are flushed.
        void rooms.drain().then(() => {
          hub.closeAll(CLOSE.serverShutdown, 'server restarting');
          server.closeAllConnections();
        });
      });
      await retention.stop();
      await rooms.drain();
      rooms.dispose();
      wss.close();
      db.close();
      log.info('Commonroom stopped');
    },
  };
}

export type CommonroomServer = ReturnType<typeof createCommonroomServer>;
