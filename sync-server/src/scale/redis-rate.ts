import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AsyncKeyedRate } from '../ws/rate-limit.ts';
import { redisScript } from './redis-script.ts';

/**
 * A per-key allowance in Redis shared by every process (docs/SCALE-OUT.md §6): the token bucket of
 * ws/rate-limit.ts and rooms/message-rate.ts written as GCRA (generic cell rate algorithm). Instead of a
 * token count and a refill time it keeps one number per key, the theoretical arrival time `tat`: when the
 * bucket would be full again. Taking `n` moves it on by `n` intervals; that is allowed while it stays
 * within `burst` intervals of now. So one key, one script per take, and nothing to refill: no timer, and
 * the key expires by itself once the bucket is full again.
 *
 * With `hold` (the per-person message rate), a refused key stays refused until its wait is over, even for
 * a take that would fit, as rooms/message-rate.ts explains; the wait is then at least `minWaitMs`.
 *
 * The time is the caller's clock passed in (tests are exact); processes' clocks a little apart only make
 * one of them see a little less refill. `tat` never goes back, so a clock behind cannot buy more.
 */
const TAKE = redisScript(`
local key, now, interval, burst = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local n, minWait, hold, mode = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', ARGV[7]
if mode == 'take' and n <= 0 then return 0 end
local s = redis.call('HMGET', key, 'tat', 'blocked')
local blocked = tonumber(s[2]) or 0
if now < blocked then return math.ceil(blocked - now) end
if mode == 'blocked' then return 0 end
-- A take of more than the burst needs a full bucket, so it passes eventually (as rooms/message-rate.ts).
if n > burst then n = burst end
local tat = tonumber(s[1]) or now
if tat < now then tat = now end
local new = tat + n * interval
local over = new - now - burst * interval
if over <= 0 then
  redis.call('HSET', key, 'tat', string.format('%.17g', new))
  redis.call('PEXPIRE', key, math.max(1, math.ceil(new - now)))
  return 0
end
local wait = math.max(minWait, math.ceil(over))
if hold then
  redis.call('HSET', key, 'blocked', string.format('%.17g', now + wait))
  redis.call('PEXPIRE', key, math.max(wait, math.ceil(tat - now), 1))
end
return wait
`);

const Wait = z.number().int().nonnegative();

/** Redis could not be asked: the caller falls back (scale/rate-fallback.ts) or refuses. */
export class RateUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super('the shared rate limit is unavailable (Redis unreachable)', options);
    this.name = 'RateUnavailableError';
  }
}

export type RedisRateOptions = {
  /** A commands connection (scale/redis-commands.ts): fails at once while Redis is away. */
  redis: Redis;
  /** The deployment's prefix (REDIS_PREFIX) and this limit's name (`msg`, …). */
  prefix: string;
  name: string;
  /** Milliseconds per unit of allowance (60 000 / per minute, 1 000 / per second). */
  intervalMs: number;
  burst: number;
  now: () => number;
  /** Hold a refused key until its wait is over (the per-person message rate). */
  hold?: boolean;
  /** The shortest wait answered: 1 for a plain bucket, the message rate's pause (1 000) with `hold`. */
  minWaitMs?: number;
};

export function createRedisRate(opts: RedisRateOptions): AsyncKeyedRate {
  const run = async (key: string, n: number, mode: 'take' | 'blocked'): Promise<number> => {
    let out: unknown;
    try {
      out = await TAKE(
        opts.redis,
        [`${opts.prefix}rate:${opts.name}:${key}`],
        [opts.now(), opts.intervalMs, opts.burst, n, opts.minWaitMs ?? 1, opts.hold ? '1' : '0', mode],
      );
    } catch (err) {
      throw new RateUnavailableError({ cause: err });
    }
    return Wait.parse(out);
  };
  return {
    take: (key, n) => run(key, n, 'take'),
    blockedFor: (key) => run(key, 0, 'blocked'),
  };
}
