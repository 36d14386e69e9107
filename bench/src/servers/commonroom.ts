import { join } from 'node:path';
import { parseConfig, type ServerLimits } from '@commonroom/sync-server';
import { createServerForTests } from '@commonroom/sync-server/testing';
import pino from 'pino';
import type { RunningServer } from './types.ts';

export const ADMIN = { email: 'admin@bench.test', password: 'bench-admin-password' };

/**
 * Every bench client runs on this machine, so all of them share one address, and a few simulated writers
 * each write far more than a person does, the database fills use merged updates of hundreds of messages: the handshake and new-message allowances (issue 12) would
 * measure themselves instead of the server. A scenario's own limits still win.
 */
const BENCH_LIFTED: Partial<ServerLimits> = {
  handshakesPerSecondPerAccount: 1e9,
  handshakeBurstPerAccount: 1e9,
  handshakesPerSecondPerAddress: 1e9,
  handshakeBurstPerAddress: 1e9,
  newMessagesPerMinute: 1e12,
  newMessageBurst: 1e9,
  newMessagesPerUpdate: 1e9,
  // The hostile scenario measures what one refusal on the document's rules costs; the budget that caps how
  // many a person gets a minute (refusal-budget.ts) would measure itself after the tenth.
  refusalsPerMinute: 1e9,
};

/**
 * Commonroom's own server, built by its factory exactly as main.ts does: a real SQLite file (WAL,
 * synchronous=FULL, group commit), acknowledgements after commit, permission checks on every write.
 * Logs go to a file in the data directory at the production default level (info), asynchronously.
 */
export async function startCommonroom(
  dataDir: string,
  limits: Partial<ServerLimits>,
  o: { compression: boolean } = { compression: true },
): Promise<RunningServer> {
  const config = parseConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // Account creation is setup, not what is measured; the default 2^17 would make 1,000 accounts take minutes.
    SCRYPT_LOG_N: '10',
    LOG_LEVEL: 'info',
    // The cold-start figure serves its own build of the PWA (undefined: the default, client/dist).
    CLIENT_DIST: process.env.BENCH_CLIENT_DIST,
    WS_COMPRESSION: o.compression ? 'on' : 'off',
  });
  config.limits = { ...config.limits, ...BENCH_LIFTED, ...limits };
  const log = pino({ level: 'info' }, pino.destination({ dest: join(dataDir, 'server.log'), sync: false }));
  // The test entry point: the figures report the database connection's own settings.
  const server = createServerForTests(config, { log, print: () => undefined });
  const { port } = await server.start();
  return {
    port,
    stop: () => server.stop(),
    info: () => ({ synchronous: server.db.pragma('synchronous', { simple: true }) }),
  };
}
