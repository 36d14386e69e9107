import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { createLocalBus, createLocalBusHub } from '../src/scale/local-bus.ts';
import { createRedisBus } from '../src/scale/redis-bus.ts';
import { busSuite } from './bus.suite.ts';
import { RedisProcess } from './redis-process.ts';

/** The Bus conformance suite on the in-process hub, on a redis-server of the test's own, and on the shared one. */

busSuite(
  'in-process',
  async () => {
    const hub = createLocalBusHub();
    const errors: unknown[] = [];
    const [a, b] = [createLocalBus(hub, (e) => errors.push(e)), createLocalBus(hub, (e) => errors.push(e))];
    return {
      a,
      b,
      errors,
      outage: { down: async () => hub.down(), up: async () => hub.up() },
      close: async () => void (await Promise.all([a.close(), b.close()])),
    };
  },
  { outage: true },
);

/** Two Redis buses on `url` with a prefix of this run's own. */
async function redisBuses(url: string) {
  const prefix = `cr-test-${randomBytes(6).toString('hex')}:`;
  const errors: unknown[] = [];
  // Connection errors while a broker is away are expected; only the handlers' errors are the suite's.
  const onError = (e: unknown): void => {
    if (!(e instanceof Error && /ECONNREFUSED|ECONNRESET|Connection is closed|EPIPE/.test(e.message)))
      errors.push(e);
  };
  const a = await createRedisBus({ url, prefix, onError, maxRetryMs: 100 });
  const b = await createRedisBus({ url, prefix, onError, maxRetryMs: 100 }).catch(async (err: unknown) => {
    await a.close();
    throw err;
  });
  return { a, b, errors, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) console.warn('skipping the Redis restart tests: no redis-server binary on PATH');

describe.skipIf(!hasRedisServer)('own redis-server', () => {
  busSuite(
    'Redis (own redis-server, restarted in the outage case)',
    async () => {
      const redis = await RedisProcess.start();
      try {
        const buses = await redisBuses(redis.url);
        return {
          ...buses,
          outage: { down: () => redis.kill(), up: () => redis.restart() },
          close: async () => {
            try {
              await buses.close();
            } finally {
              await redis.stop();
            }
          },
        };
      } catch (err) {
        await redis.stop();
        throw err;
      }
    },
    { outage: true },
  );
});

const SHARED = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const shared = await (async () => {
  const probe = new Redis(SHARED, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    console.warn(`skipping the shared-Redis bus tests: Redis unreachable at ${SHARED}: ${String(err)}`);
    return false;
  } finally {
    probe.disconnect();
  }
})();

describe.skipIf(!shared)('shared Redis', () => {
  // Never restarted: the outage case runs on the test's own server above.
  busSuite(`Redis at ${SHARED}`, async () => ({ ...(await redisBuses(SHARED)), outage: null }), {
    outage: false,
  });
});
