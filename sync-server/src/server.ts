import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOSE } from '@commonroom/protocol';
import { createAdaptorServer, type WebSocketServerLike } from '@hono/node-server';
import { assembleServer, type ServerDeps, type ServerParts } from './assemble.ts';
import { createLoginGuard } from './auth/login-guard.ts';
import { createThrottle } from './auth/throttle.ts';
import type { Config } from './config.ts';
import { adminChannelRoutes } from './http/admin-channel-routes.ts';
import { adminRoutes } from './http/admin-routes.ts';
import { attachmentRoutes } from './http/attachment-routes.ts';
import { uploadRoutes } from './http/upload-routes.ts';
import { createHttpApp } from './http/app.ts';
import { authRoutes } from './http/auth-routes.ts';
import { conversationRoutes } from './http/conversation-routes.ts';
import { retentionExportRoutes } from './http/export-routes.ts';
import { muteRoutes } from './http/mute-routes.ts';
import { pushRoutes } from './http/push-routes.ts';
import { notifyRoutes } from './http/notify-routes.ts';
import { safeguardingRoutes } from './http/safeguarding-routes.ts';
import { searchRoutes } from './http/search-routes.ts';
import { syncRoute } from './http/sync-route.ts';
import { workspaceRoutes } from './http/workspace-routes.ts';
import { seed } from './seed.ts';
import { createChannelRules } from './services/channel-rules.ts';
import { createSearchService } from './services/search.ts';
import { APPLIED_ACTIONS_KEEP_MS } from './storage/applied-actions.ts';
import { createKeyedBuckets } from './ws/rate-limit.ts';

export type { ServerDeps };

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** Sign-in and sessions, with the login throttles per account and per address (T10). */
function authRoutesOf(p: ServerParts) {
  const { config, now, users, sessions, audit, accounts, settings, hub } = p;
  const limits = config.limits;
  return authRoutes({
    db: p.db,
    users,
    sessions,
    accounts,
    audit,
    guard: createLoginGuard({
      perAccount: createThrottle({
        max: limits.loginFailuresPerAccount,
        windowMs: limits.loginWindowMs,
        now,
      }),
      perAddress: createThrottle({
        max: limits.loginFailuresPerAddress,
        windowMs: limits.loginWindowMs,
        now,
      }),
    }),
    clientAddress: p.clientAddress,
    sessionTtlMs: () => settings.sessionTtlMs(),
    secureCookies: config.secureCookies,
    scryptLogN: config.scryptLogN,
    now,
    closeSession: (hash, code, reason) => hub.closeSession(hash, code, reason),
  });
}

/** The HTTP routes, one group per file under http/, over the server's parts. */
function routesOf(p: ServerParts) {
  const { config, now, users, sessions, audit, accounts, settings, hub } = p;
  const limits = config.limits;
  const isLead = (id: string): boolean => p.safeguarding.isLead(id);
  return {
    auth: authRoutesOf(p),
    admin: adminRoutes({
      accounts,
      roster: p.roster,
      rules: createChannelRules(p.conversations),
      users,
      audit,
      conversations: p.conversations,
      settings,
      supervision: p.supervision,
      seen: (id) => p.presence.seen(id),
      notifyAll: (kind, payload) => hub.notifyAll(kind, payload),
      sessionLengthChanged: () => hub.recheckExpiry((h) => sessions.expiryOfHash(h)),
    }),
    adminChannels: adminChannelRoutes({ channels: p.channelAdmin, cohorts: p.cohorts }),
    conversations: conversationRoutes({ service: p.service, users }),
    mutes: muteRoutes({ mutes: p.muteService }),
    push: pushRoutes({ publicKey: p.vapidPublicKey, store: p.pushStore, hosts: config.pushHosts }),
    notify: notifyRoutes({
      prefs: p.notifyPrefs,
      pushPrefs: p.pushPrefs,
      settings,
      service: p.service,
      audit,
      notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
    }),
    workspace: workspaceRoutes({ settings, accounts }),
    search: searchRoutes({
      search: createSearchService({ store: p.searchStore }),
      allowance: createKeyedBuckets({ rate: limits.searchesPerSecond, burst: limits.searchBurst, now }),
    }),
    safeguarding: safeguardingRoutes({ safeguarding: p.safeguarding }),
    uploads: uploadRoutes({
      allowedOrigins: config.allowedOrigins,
      sessions,
      users,
      attachments: p.attachmentStore,
      tus: p.tus,
      canPost: (actor, id) => p.rooms.canPost(actor, id),
      limits: p.uploadLimits,
      now,
    }),
    attachments: attachmentRoutes({
      attachments: p.attachmentStore,
      files: p.fileStore,
      signer: p.linkSigner,
      canRead: (actor, id) => p.rooms.canRead(actor, id),
      isLead,
      audit: (actor, action, target, detail) => audit.record(actor, action, target, detail),
      now,
    }),
    retentionExport: retentionExportRoutes({
      exports: p.exports,
      retention: p.retentionStore,
      isLead,
      audit,
    }),
    sync: syncRoute({
      allowedOrigins: config.allowedOrigins,
      sessions,
      users,
      hub,
      compressFrom: config.wsCompression?.threshold ?? Number.POSITIVE_INFINITY,
      handshakes: {
        perAccount: { rate: limits.handshakesPerSecondPerAccount, burst: limits.handshakeBurstPerAccount },
        perAddress: { rate: limits.handshakesPerSecondPerAddress, burst: limits.handshakeBurstPerAddress },
      },
      clientAddress: p.clientAddress,
      now,
    }),
  };
}

/**
 * The listening server over assembled parts: the HTTP app and the WebSocket server on one port; `start()`
 * seeds and listens, `stop()` shuts down gracefully (stop accepting, flush commits, close sockets, close
 * the database). Also the test entry point's (testing.ts), which shows the parts as well.
 */
export function serverOf(p: ServerParts) {
  const { config, db, log, rooms, hub, wss } = p;
  let stopping = false;
  const app = createHttpApp({
    log,
    allowedOrigins: config.allowedOrigins,
    sessions: p.sessions,
    users: p.users,
    health: () => {
      try {
        db.prepare('SELECT 1').get();
        return { ok: !stopping, detail: { sockets: hub.socketCount(), loadedDocs: rooms.loadedCount() } };
      } catch {
        return { ok: false, detail: { database: 'unavailable' } };
      }
    },
    routes: routesOf(p),
    clientDist: resolve(repoRoot, config.clientDist),
    publicDir: resolve(repoRoot, 'public'),
  });
  const server = createAdaptorServer({
    fetch: app.fetch,
    // node-server types the socket its callback gets as its own WebSocketLike; ws's WebSocket is one.
    websocket: { server: wss as unknown as WebSocketServerLike },
  }) as HttpServer;
  const purge = setInterval(() => {
    p.sessions.purgeExpired();
    p.appliedActions.prune(p.now() - APPLIED_ACTIONS_KEEP_MS);
  }, 3_600_000);
  purge.unref();

  return {
    app,
    log,
    async start(): Promise<{ port: number; url: string }> {
      const { conversations, users, accounts, now, print } = p;
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
      p.retention.start();
      p.attachments.start();
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
      await p.retention.stop();
      await p.attachments.stop();
      await rooms.drain();
      rooms.dispose();
      wss.close();
      p.store.close();
      db.close();
      log.info('Commonroom stopped');
    },
  };
}

export type CommonroomServer = ReturnType<typeof serverOf>;

/**
 * Builds the whole server from configuration without side effects beyond opening the database; `start()`
 * listens, `stop()` shuts down. Tests that look inside use testing.ts instead.
 */
export function createCommonroomServer(config: Config, deps: ServerDeps = {}): CommonroomServer {
  return serverOf(assembleServer(config, deps));
}
