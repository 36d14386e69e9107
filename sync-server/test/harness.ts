import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEngine,
  createMemoryStorage,
  type Engine,
  type EngineStorage,
  type SocketFactory,
  type SocketLike,
} from '@commonroom/engine';
import { PublicUser, type Role } from '@commonroom/protocol';
import { eventually, seeded } from '@commonroom/testkit';
import pino from 'pino';
import WebSocket from 'ws';
import * as z from 'zod/mini';
import { parseConfig, type Config } from '../src/config.ts';
import type { ServerDeps } from '../src/assemble.ts';
import { createServerForTests, type TestableServer } from '../src/testing.ts';
import type { Redact } from '../src/services/retention.ts';

/** Real server on loopback with a temp SQLite file, and real engine clients over real WebSockets. */

export const ADMIN = { email: 'admin@college.test', password: 'admin-password-1' };

export type TestServer = {
  server: TestableServer;
  url: string;
  port: number;
  dataDir: string;
  config: Config;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
  /** Stops and deletes the data directory. */
  destroy(): Promise<void>;
};

/**
 * The per-person allowances of new messages and of refusals lifted, for tests that write hundreds of
 * messages quickly, or have simulated people break rules by the dozen, to exercise something else (catch-up,
 * rollovers, busy channels, convergence); the allowances have their own tests (chat-flood.test.ts,
 * refusal-budget.test.ts).
 */
export const MANY_MESSAGES: Partial<Config['limits']> = {
  newMessageBurst: 1_000_000,
  newMessagesPerMinute: 1_000_000_000,
  refusalsPerMinute: 1_000_000,
};

/**
 * The handshake allowances lifted, for tests whose simulated network drops sockets every few hundred
 * milliseconds (a device reconnecting a hundred times in a test) to exercise convergence; the allowances
 * have their own tests (rate-limits.test.ts).
 */
export const MANY_HANDSHAKES: Partial<Config['limits']> = {
  handshakesPerSecondPerAccount: 1_000_000,
  handshakeBurstPerAccount: 1_000_000,
  handshakesPerSecondPerAddress: 1_000_000,
  handshakeBurstPerAddress: 1_000_000,
};

export async function startServer(
  opts: {
    dataDir?: string;
    env?: Record<string, string>;
    limits?: Partial<Config['limits']>;
    /** permessage-deflate settings over the defaults (when compression is on). */
    compression?: Partial<NonNullable<Config['wsCompression']>>;
    port?: number;
    /** The server's clock, for tests of expiry. */
    now?: () => number;
    /** The retention job's redactor (issue 14 §7), for tests that record what it is given. */
    redact?: Redact;
    /** The HTTPS agent push deliveries use (a loopback push service's certificate trusted). */
    pushAgent?: ServerDeps['pushAgent'];
  } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'commonroom-test-'));
  const config = parseConfig({
    DATA_DIR: dataDir,
    PORT: String(opts.port ?? 0),
    SCRYPT_LOG_N: '10',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'info',
    ...opts.env,
  });
  config.limits = { ...config.limits, ...opts.limits };
  if (config.wsCompression && opts.compression)
    config.wsCompression = { ...config.wsCompression, ...opts.compression };
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  const server = createServerForTests(config, {
    log,
    print: () => undefined,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.redact ? { redact: opts.redact } : {}),
    ...(opts.pushAgent ? { pushAgent: opts.pushAgent } : {}),
  });
  const { port } = await server.start();
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  return {
    server,
    url,
    port,
    dataDir,
    config,
    logs,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const nodeSocket = (url: string, headers: Record<string, string>): SocketLike =>
  new WebSocket(url, { headers }) as unknown as SocketLike;

export { seeded, eventually };

/**
 * Memory storage whose calls take `delayMs()` each, one after another in call order, like IndexedDB
 * transactions: frames, a dropped socket or the person's next action can happen between an engine step and
 * the end of its storage write. `trace` hears every outbox write.
 */
export function delayedStorage(delayMs: () => number, trace?: (line: string) => void): EngineStorage {
  const inner = createMemoryStorage();
  let queue: Promise<unknown> = Promise.resolve();
  const wait = (): Promise<void> => {
    const ms = delayMs();
    const p = queue.then(() => new Promise<void>((r) => setTimeout(r, ms)));
    queue = p;
    return p;
  };
  const out = {} as Record<string, unknown>;
  for (const [k, f] of Object.entries(inner) as [string, (...a: unknown[]) => Promise<unknown>][])
    out[k] = async (...args: unknown[]) => {
      if (trace && (k === 'commitLocal' || k === 'putOutbox' || k === 'deleteOutbox')) {
        const e = (k === 'commitLocal' ? args[2] : args[0]) as
          { id: string; kind: string; order: number; payload: Record<string, unknown> } | string;
        trace(
          typeof e === 'string'
            ? `STORE ${k} ${e}`
            : `STORE ${k} ${e.id} ${e.kind} ${JSON.stringify(e.payload.id ?? e.payload.localId ?? e.payload.key ?? '')} order=${e.order}`,
        );
      }
      await wait();
      return f(...args);
    };
  return out as unknown as EngineStorage;
}

export function makeEngine(
  url: string,
  opts: { storage?: EngineStorage; seed?: number; socketFactory?: SocketFactory; now?: () => number } = {},
): Engine {
  return createEngine({
    ...(opts.now ? { now: opts.now } : {}),
    baseUrl: url,
    storage: opts.storage ?? createMemoryStorage(),
    socketFactory: opts.socketFactory ?? nodeSocket,
    manualCookies: true,
    ...(opts.seed !== undefined ? { random: seeded(opts.seed) } : {}),
    backoff: { minMs: 20, maxMs: 200 },
  });
}

const UserReply = z.object({ user: z.extend(PublicUser, { email: z.nullable(z.string()) }) });

let counter = 0;
/** Creates an account through the admin API and returns a logged-in, connected engine for it. */
export async function addUser(
  ts: TestServer,
  admin: Engine,
  role: Role,
  opts: {
    name?: string;
    channels?: string[];
    connect?: boolean;
    seed?: number;
    /** The engine's device storage, for tests that look at what the device keeps. */
    storage?: EngineStorage;
    /** The device's clock (the time written on its messages), when it is not the real one. */
    now?: () => number;
  } = {},
): Promise<{ engine: Engine; id: string; email: string; password: string }> {
  counter++;
  const email = `${role}${counter}-${Date.now() % 100000}@college.test`;
  const password = `password-${counter}-long`;
  const { user } = await admin.api.request('POST', '/api/admin/users', UserReply, {
    displayName: opts.name ?? `${role} ${counter}`,
    email,
    role,
    password,
    ...(opts.channels ? { channels: opts.channels } : {}),
  });
  const engine = makeEngine(ts.url, {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.storage ? { storage: opts.storage } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  await engine.init();
  await engine.login(email, password);
  if (opts.connect !== false) {
    engine.connect();
    await engine.settled();
  }
  return { engine, id: user.id, email, password };
}

export async function loginAdmin(ts: TestServer): Promise<Engine> {
  const admin = makeEngine(ts.url);
  await admin.init();
  await admin.login(ADMIN.email, ADMIN.password);
  admin.connect();
  await admin.settled();
  return admin;
}

export function channel(engine: Engine, name: string): string {
  const c = engine.conversations().find((x) => x.name === name);
  if (!c) throw new Error(`no channel #${name} visible`);
  return c.id;
}

export const texts = (e: Engine, conversationId: string): string[] =>
  e.view(conversationId).messages.map((m) => m.text);
/**
 * The texts of messages the device holds with their place in the index: what a read mark can reach (P8).
 * The index place arrives a moment after the message itself (P5: what the server writes leaves once
 * durable), so a test that reads up to a message waits for this, as a person's screen does.
 */
export const indexedTexts = (e: Engine, conversationId: string): string[] =>
  e.view(conversationId).messages.flatMap((m) => (m.seq === null ? [] : [m.text]));
