import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScheduler, seeded, type Scheduler, type ServerConnection } from '@commonroom/testkit';
import pino from 'pino';
import { parseConfig, type Config } from '../../src/config.ts';
import { seed as seedServer } from '../../src/seed.ts';
import { createServerForTests, type TestableServer } from '../../src/testing.ts';
import type { Timers } from '../../src/rooms/loaded-docs.ts';
import { ADMIN } from '../harness.ts';
import { reseedIds } from './seeded-ids.ts';

/**
 * The whole server, built as `main.ts` builds it but never listening: its clock and timers are the
 * scheduler's, its Yjs client ids and record ids seeded; HTTP requests reach its Hono app in memory
 * (`fetch`) and sockets reach its socket hub (`accept`, the ws edge), so the engines under test talk to it
 * through the simulated network. SQLite is a file in a temp directory (the server opens a path), on tmpfs
 * when there is one; it does not wait on I/O (better-sqlite3 is synchronous, and the WAL's fsync is
 * replaced by a resolved promise), so the scheduler sees every step.
 */

export type SimServer = {
  scheduler: Scheduler;
  server: TestableServer;
  /** The engine's `fetch`: the server's HTTP app, in memory. */
  fetch: typeof fetch;
  /** The simulated network's `accept`: a socket opened with a live session's cookie reaches the hub. */
  accept(
    end: Parameters<TestableServer['internals']['hub']['open']>[0],
    headers: Record<string, string>,
  ): ServerConnection | null;
  destroy(): Promise<void>;
};

export const SIM_URL = 'http://sim.test';

/** The address a simulated request comes from (what node-server's connection info would give). */
const ENV = { incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 40000, remoteFamily: 'IPv4' } } };

export async function createSimServer(
  seed: number,
  opts: { limits?: Partial<Config['limits']> } = {},
): Promise<SimServer> {
  const scheduler = createScheduler();
  // In memory where the machine has a tmpfs: a group commit's fsync costs nothing there.
  const dataDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'commonroom-sim-'));
  const config = parseConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    SCRYPT_LOG_N: '10',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'silent',
  });
  config.limits = { ...config.limits, ...opts.limits };
  reseedIds(seed * 7 + 3);
  const clientIds = seeded(seed * 11 + 5);
  const server = createServerForTests(config, {
    log: pino({ level: 'silent' }),
    print: () => undefined,
    now: scheduler.now,
    // The server types its timer handles as Node's; it only ever hands them back to clearTimeout.
    timers: scheduler.timers as unknown as Timers,
    clientIds: () => Math.floor(clientIds() * 2 ** 31),
    // The WAL's fsync runs on the thread pool, which the scheduler cannot see: on tmpfs it keeps nothing
    // more anyway, so durability is a resolved promise (acknowledgements still wait for it, P4).
    syncFile: () => Promise.resolve(),
  });
  const { db, log, internals } = server;
  await seedServer({
    db,
    config,
    conversations: internals.conversations,
    users: internals.users,
    accounts: internals.accounts,
    log,
    now: scheduler.now,
    print: () => undefined,
  });
  const fetchApp = (async (input: string | URL | Request, init?: RequestInit) =>
    server.app.fetch(new Request(input, init), ENV)) as typeof fetch;
  return {
    scheduler,
    server,
    fetch: fetchApp,
    accept(end, headers) {
      // As GET /sync's guard does (sync-route.ts): a live session of an active account, or no socket.
      const token = /(?:^|;\s*)cr_session=([^;]+)/.exec(headers.cookie ?? headers.Cookie ?? '')?.[1];
      const s = token ? internals.sessions.lookup(token) : null;
      const u = s ? internals.users.get(s.userId) : null;
      if (!s || !u || !u.active) return null;
      const conn = internals.hub.open(end, { userId: u.id, tokenHash: s.tokenHash, expiresAt: s.expiresAt });
      return { message: (data) => conn.message(data), closed: () => conn.closed() };
    },
    async destroy() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
