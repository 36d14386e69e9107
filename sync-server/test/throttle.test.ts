import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncThrottle, createThrottle, ThrottleUnavailableError } from '../src/auth/throttle.ts';
import { connectRedisCommands } from '../src/scale/redis-commands.ts';
import { createRedisThrottle } from '../src/scale/redis-throttle.ts';
import { until } from './bus.suite.ts';
import { RedisProcess } from './redis-process.ts';
import { redisReachable } from './redis-reachable.ts';
import { MAX, throttleSuite, WINDOW_MS } from './throttle.suite.ts';

/**
 * The throttle conformance suite in memory and on Redis (two connections sharing one prefix, as two
 * processes), and failing closed on a redis-server of the test's own that is killed and started again.
 */

throttleSuite('in memory', async (now) => ({
  a: asyncThrottle(createThrottle({ max: MAX, windowMs: WINDOW_MS, now })),
  b: null,
  close: async () => undefined,
}));

/** Connection errors while a server is away are expected; anything else fails the test that saw it. */
const expectedLoss = (e: unknown): boolean =>
  e instanceof Error && /ECONNREFUSED|ECONNRESET|Connection is closed|EPIPE/.test(e.message);

const SHARED = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const shared = await redisReachable(SHARED);
if (!shared.ok) console.warn(`skipping the Redis throttle tests: ${shared.why}`);

describe.skipIf(!shared.ok)('shared Redis', () => {
  throttleSuite(`Redis at ${SHARED}`, async (now) => {
    const prefix = `cr-test-${randomBytes(6).toString('hex')}:`;
    const errors: unknown[] = [];
    const onError = (e: unknown): void => void errors.push(e);
    const conns = [
      await connectRedisCommands({ url: SHARED, onError }),
      await connectRedisCommands({ url: SHARED, onError }),
    ];
    const [a, b] = conns.map((redis) =>
      createRedisThrottle({ redis, prefix, name: 'acct', max: MAX, windowMs: WINDOW_MS, now }),
    );
    if (!a || !b) throw new Error('two throttles expected');
    return {
      a,
      b,
      close: async () => {
        // Nothing of the run is left behind in the shared Redis.
        const left = await conns[0]?.keys(`${prefix}*`);
        if (left && left.length > 0) await conns[0]?.del(...left);
        await Promise.all(conns.map((c) => c.quit()));
        expect(errors).toEqual([]);
      },
    };
  });
});

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) console.warn('skipping the Redis outage test: no redis-server binary on PATH');

describe.skipIf(!hasRedisServer)('own redis-server, killed and restarted', () => {
  let server: RedisProcess;
  let redis: Redis;
  const errors: unknown[] = [];
  beforeAll(async () => {
    server = await RedisProcess.start();
    redis = await connectRedisCommands({
      url: server.url,
      onError: (e) => void (expectedLoss(e) || errors.push(e)),
      maxRetryMs: 100,
      // Long enough that a healthy Redis on loaded CI cores never times out; the paused case waits it out.
      commandTimeoutMs: 2_000,
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('T10: Redis unreachable, a check fails closed with ThrottleUnavailableError; after a restart it counts again', async () => {
    const t = createRedisThrottle({
      redis,
      prefix: 'cr:',
      name: 'acct',
      max: MAX,
      windowMs: WINDOW_MS,
      now: () => 1_700_000_000_000,
    });
    expect(await t.reserve('id:jo')).toBe(0);
    await server.kill();
    const ops = [
      () => t.reserve('id:jo'),
      () => t.blockedFor('id:jo'),
      () => t.record('1.2.3.4'),
      () => t.forgive('id:jo'),
    ];
    for (const op of ops) await expect(op()).rejects.toBeInstanceOf(ThrottleUnavailableError);
    const refused = await t.reserve('id:jo').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ThrottleUnavailableError);
    expect((refused as Error).message).toMatch(/try again shortly/);
    await server.restart();
    await until('the connection is back', () => redis.status === 'ready');
    // A restarted Redis (no persistence) starts empty: the script is loaded again and the count restarts.
    expect(await t.count('id:jo')).toBe(0);
    for (let i = 0; i < MAX; i++) expect(await t.reserve('id:jo')).toBe(0);
    expect(await t.reserve('id:jo')).toBe(WINDOW_MS);
    expect(errors).toEqual([]);
  });

  it('T10: a Redis that answers nothing (stopped, connection still open) fails closed too, after the command timeout', async () => {
    const t = createRedisThrottle({
      redis,
      prefix: 'cr:',
      name: 'addr',
      max: MAX,
      windowMs: WINDOW_MS,
      now: () => 1_700_000_000_000,
    });
    await t.record('10.0.0.1');
    server.pause(true);
    try {
      await expect(t.reserve('10.0.0.1')).rejects.toBeInstanceOf(ThrottleUnavailableError);
    } finally {
      server.pause(false);
    }
    // The late answer of the timed-out call may have counted it: one or two attempts, never lost ones.
    const counted = (): Promise<number> =>
      t.count('10.0.0.1').catch((e: unknown) => {
        if (e instanceof ThrottleUnavailableError) return 0;
        throw e;
      });
    await until('Redis answers again', async () => (await counted()) > 0);
    expect(await t.count('10.0.0.1')).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
  });
});
