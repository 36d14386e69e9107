import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageRate } from '../src/rooms/message-rate.ts';
import { createRefusalBudget } from '../src/rooms/refusal-budget.ts';
import { createRateWithFallback, createRefusalBudgetWithFallback } from '../src/scale/rate-fallback.ts';
import { connectRedisCommands } from '../src/scale/redis-commands.ts';
import { createRedisRate, RateUnavailableError } from '../src/scale/redis-rate.ts';
import { asyncRefusalBudget, createRedisRefusalBudget } from '../src/scale/redis-refusal-budget.ts';
import { asyncKeyedRate, createKeyedBuckets } from '../src/ws/rate-limit.ts';
import { until } from './bus.suite.ts';
import {
  rateSuite,
  refusalBudgetSuite,
  REFUSAL_WINDOW_MS,
  REFUSALS_PER_WINDOW,
  type RateSpec,
} from './rate.suite.ts';
import { RedisProcess } from './redis-process.ts';
import { redisReachable } from './redis-reachable.ts';

/**
 * The rate conformance suite on the local limits and on Redis (two connections on one prefix, as two
 * processes); then the fallback of docs/SCALE-OUT.md §6 on a redis-server of the test's own, killed and
 * started again.
 */

const local = (spec: RateSpec, now: () => number) =>
  spec.kind === 'bucket'
    ? asyncKeyedRate(createKeyedBuckets({ rate: spec.perSecond, burst: spec.burst, now }))
    : asyncKeyedRate(createMessageRate({ ...spec, now }));

rateSuite('local', async (now, spec) => ({ a: local(spec, now), b: null, close: async () => undefined }));

const localBudget = (now: () => number, perWindow = REFUSALS_PER_WINDOW) =>
  asyncRefusalBudget(createRefusalBudget({ perWindow, windowMs: REFUSAL_WINDOW_MS, now }));

refusalBudgetSuite('local', async (now) => ({ a: localBudget(now), b: null, close: async () => undefined }));

const redisBudget = (redis: Redis, prefix: string, now: () => number) =>
  createRedisRefusalBudget({
    redis,
    prefix,
    perWindow: REFUSALS_PER_WINDOW,
    windowMs: REFUSAL_WINDOW_MS,
    now,
  });

const redisRate = (redis: Redis, prefix: string, spec: RateSpec, now: () => number) =>
  createRedisRate({
    redis,
    prefix,
    name: 'msg',
    now,
    burst: spec.burst,
    ...(spec.kind === 'bucket'
      ? { intervalMs: 1_000 / spec.perSecond }
      : { intervalMs: 60_000 / spec.perMinute, hold: true, minWaitMs: spec.minPauseMs }),
  });

/** Connection errors while a server is away are expected; anything else fails the test that saw it. */
const expectedLoss = (e: unknown): boolean =>
  e instanceof Error && /ECONNREFUSED|ECONNRESET|Connection is closed|EPIPE/.test(e.message);

const SHARED = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const shared = await redisReachable(SHARED);
if (!shared.ok) console.warn(`skipping the Redis rate tests: ${shared.why}`);

/** Two commands connections to the shared Redis on a prefix of this run's own, as two processes. */
async function sharedPair<R>(open: (redis: Redis, prefix: string) => R) {
  const prefix = `cr-test-${randomBytes(6).toString('hex')}:`;
  const errors: unknown[] = [];
  const onError = (e: unknown): void => void errors.push(e);
  const conns = [
    await connectRedisCommands({ url: SHARED, onError }),
    await connectRedisCommands({ url: SHARED, onError }),
  ];
  const [a, b] = conns.map((redis) => open(redis, prefix));
  if (a === undefined || b === undefined) throw new Error('two limits expected');
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
}

describe.skipIf(!shared.ok)('shared Redis', () => {
  rateSuite(`Redis at ${SHARED}`, (now, spec) =>
    sharedPair((redis, prefix) => redisRate(redis, prefix, spec, now)),
  );
  refusalBudgetSuite(`Redis at ${SHARED}`, (now) =>
    sharedPair((redis, prefix) => redisBudget(redis, prefix, now)),
  );
});

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) console.warn('skipping the Redis fallback test: no redis-server binary on PATH');

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
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('§6: Redis unreachable, each process limits locally at 1/n of the limit (n live processes last known); back on Redis after it returns', async () => {
    const clock = { t: 1_700_000_000_000 };
    const now = (): number => clock.t;
    const spec = { kind: 'message', perMinute: 60, burst: 6, minPauseMs: 1_000 } as const;
    const sharedRate = redisRate(redis, 'cr:', spec, now);
    const live = { n: 3 };
    const switches: string[] = [];
    const built: number[] = [];
    const rate = createRateWithFallback({
      shared: sharedRate,
      localFor: (n) => {
        built.push(n);
        return asyncKeyedRate(
          createMessageRate({ perMinute: spec.perMinute / n, burst: Math.max(1, spec.burst / n), now }),
        );
      },
      liveProcesses: () => live.n,
      onSwitch: (to, cause) =>
        void switches.push(cause instanceof RateUnavailableError ? `${to}: ${cause.name}` : to),
    });
    expect(await rate.take('u1', 1)).toBe(0);
    expect(switches).toEqual([]);

    await server.kill();
    await expect(sharedRate.take('u1', 1)).rejects.toBeInstanceOf(RateUnavailableError);
    // Three live processes: this one allows a third of the burst (2), and a third of the rate.
    const cutOff = [];
    for (let i = 0; i < 3; i++) cutOff.push(await rate.take('u2', 1));
    expect(cutOff).toEqual([0, 0, 3_000]);
    expect(await rate.blockedFor('u2')).toBe(3_000);
    expect(switches).toEqual(['local: RateUnavailableError']);
    // One process fewer: a new local limit at a half.
    live.n = 2;
    expect(await takesOf(rate, 'u3', 4)).toEqual([0, 0, 0, 2_000]);
    expect(built).toEqual([3, 2]);
    // No count known (not a number): taken as one process, the whole local limit, built once, not per call.
    live.n = Number.NaN;
    expect(await takesOf(rate, 'u4', 7)).toEqual([0, 0, 0, 0, 0, 0, 1_000]);
    expect(built).toEqual([3, 2, 1]);

    await server.restart();
    await until('the connection is back', () => redis.status === 'ready');
    // Redis restarted empty: the whole burst again, counted in Redis for every process.
    expect(await takesOf(rate, 'u2', 7)).toEqual([0, 0, 0, 0, 0, 0, 1_000]);
    expect(switches).toEqual(['local: RateUnavailableError', 'shared']);
    expect(errors).toEqual([]);
  });
});

describe.skipIf(!hasRedisServer)('own redis-server, killed and restarted (refusal budget)', () => {
  let server: RedisProcess;
  let redis: Redis;
  beforeAll(async () => {
    server = await RedisProcess.start();
    redis = await connectRedisCommands({
      url: server.url,
      onError: (e) => void (expectedLoss(e) || errors.push(e)),
      maxRetryMs: 100,
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  const errors: unknown[] = [];

  it('§6: Redis unreachable, the refusal budget is local at 1/n of it; back on Redis after it returns', async () => {
    const clock = { t: 1_700_000_000_000 };
    const now = (): number => clock.t;
    const switches: string[] = [];
    const budget = createRefusalBudgetWithFallback({
      shared: redisBudget(redis, 'cr:', now),
      localFor: (n) => localBudget(now, Math.max(1, Math.floor(REFUSALS_PER_WINDOW / n))),
      liveProcesses: () => 2,
      onSwitch: (to) => void switches.push(to),
    });
    await budget.spend('u1');
    await server.kill();
    // Two live processes: this one holds a person after half the budget (2 refusals).
    await budget.spend('u2');
    expect(await budget.heldFor('u2')).toBe(0);
    await budget.spend('u2');
    expect(await budget.heldFor('u2')).toBe(REFUSAL_WINDOW_MS);
    expect(switches).toEqual(['local']);
    await server.restart();
    await until('the connection is back', () => redis.status === 'ready');
    expect(await budget.heldFor('u2')).toBe(0);
    expect(switches).toEqual(['local', 'shared']);
    expect(errors).toEqual([]);
  });
});

async function takesOf(r: { take(key: string, n: number): Promise<number> }, key: string, times: number) {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push(await r.take(key, 1));
  return out;
}
