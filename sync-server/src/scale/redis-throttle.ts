import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ThrottleUnavailableError, type AsyncThrottle } from '../auth/throttle.ts';
import { redisScript } from './redis-script.ts';

/**
 * The login throttle in Redis (docs/SCALE-OUT.md §6), shared by every process: one sorted set per key,
 * scored by attempt time, so it is the same sliding window as the in-memory throttle (auth/throttle.ts).
 * Each operation is one script, so removing the expired attempts, counting and adding happen as one step
 * that no other process can interleave with: the count-first rule (C9) holds across processes, and
 * parallel attempts on several processes cannot all pass the check.
 *
 * Time is the caller's clock passed in (`now`), not Redis's, so tests are exact; in production every
 * process passes its wall clock, and clocks apart by a few seconds only move a window's edge by as much.
 */
const THROTTLE = redisScript(`
local key, now, window, max, mode = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
-- The window holds attempts after now - window, as the in-memory throttle keeps them.
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if mode == 'reset' then
  redis.call('DEL', key)
  return {0, 0}
end
if mode == 'forgive' then
  redis.call('ZPOPMAX', key)
  return {0, redis.call('ZCARD', key)}
end
local n = redis.call('ZCARD', key)
local wait = 0
if n >= max then
  -- The attempt that must leave the window before one more fits: the max-th newest.
  local oldest = redis.call('ZRANGE', key, n - max, n - max, 'WITHSCORES')
  wait = math.max(1, tonumber(oldest[2]) + window - now)
end
if mode == 'record' or (mode == 'reserve' and wait == 0) then
  redis.call('ZADD', key, now, ARGV[5])
  n = n + 1
  -- Nothing is kept past the window: a key not tried again leaves Redis by itself.
  redis.call('PEXPIRE', key, window)
end
return {wait, n}
`);

/** What the script returns: the wait (0 when not blocked) and the attempts in the window after it ran. */
const Answer = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

type Mode = 'check' | 'reserve' | 'record' | 'forgive' | 'reset';

export function createRedisThrottle(opts: {
  /** A commands connection (scale/redis-commands.ts): fails at once while Redis is away. */
  redis: Redis;
  /** The deployment's prefix (REDIS_PREFIX) and this throttle's name (`acct`, `addr`). */
  prefix: string;
  name: string;
  max: number;
  windowMs: number;
  now: () => number;
}): AsyncThrottle {
  // Members must be unique within a set, also across processes: a random tag of this throttle + a counter.
  const tag = randomBytes(6).toString('base64url');
  let seq = 0;
  // Keys are hashed so a key's size is fixed whatever was typed as the login, and no email or address is
  // stored as typed. An unsalted hash of an IPv4 address can be reversed by trying them all: before this is
  // wired, make it a keyed hash (HMAC) with a deployment secret if Redis must not reveal who tried to log in.
  const keyOf = (key: string): string =>
    `${opts.prefix}throttle:${opts.name}:${createHash('sha256').update(key).digest('base64url')}`;
  const run = async (key: string, mode: Mode): Promise<{ wait: number; count: number }> => {
    let out: unknown;
    try {
      out = await THROTTLE(
        opts.redis,
        [keyOf(key)],
        [opts.now(), opts.windowMs, opts.max, mode, `${tag}:${seq++}`],
      );
    } catch (err) {
      throw new ThrottleUnavailableError({ cause: err });
    }
    const [wait, count] = Answer.parse(out);
    return { wait, count };
  };
  return {
    blockedFor: async (key) => (await run(key, 'check')).wait,
    count: async (key) => (await run(key, 'check')).count,
    record: async (key) => void (await run(key, 'record')),
    reserve: async (key) => (await run(key, 'reserve')).wait,
    forgive: async (key) => void (await run(key, 'forgive')),
    reset: async (key) => void (await run(key, 'reset')),
  };
}
