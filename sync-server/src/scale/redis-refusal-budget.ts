import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RefusalBudget } from '../rooms/refusal-budget.ts';
import { RateUnavailableError } from './redis-rate.ts';
import { redisScript } from './redis-script.ts';

/**
 * The refusal budget (rooms/refusal-budget.ts, P10) as Promises, so several processes can share one in
 * Redis (docs/SCALE-OUT.md §6): a person's refusals are counted in a window that starts at the first one
 * after the last window ended; past `perWindow` of them their writes are held until the window ends. One
 * conformance suite (test/rate.suite.ts) runs against the local and the Redis budget.
 */
export interface AsyncRefusalBudget {
  /** Notes one refusal (or one reload) spent on `key`. */
  spend(key: string): Promise<void>;
  /** Milliseconds `key`'s writes are held (0: within the budget). */
  heldFor(key: string): Promise<number>;
}

/** The local budget behind the async interface. */
export function asyncRefusalBudget(local: RefusalBudget): AsyncRefusalBudget {
  return {
    spend: async (key) => local.spend(key),
    heldFor: async (key) => local.heldFor(key),
  };
}

/**
 * One hash per person (`count`, `since`), one script per call, so a window's count is one number however
 * many processes spend on it. The key expires when its window ends. Time is the caller's clock passed in.
 */
const BUDGET = redisScript(`
local key, now, window, per, mode = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local s = redis.call('HMGET', key, 'count', 'since')
local count, since = tonumber(s[1]) or 0, tonumber(s[2])
if mode == 'spend' then
  if since == nil or now - since >= window then
    count, since = 0, now
  end
  count = count + 1
  redis.call('HSET', key, 'count', count, 'since', string.format('%.17g', since))
  redis.call('PEXPIRE', key, math.max(1, math.ceil(since + window - now)))
  return 0
end
if since == nil or count < per then return 0 end
local left = since + window - now
if left > 0 then return math.ceil(left) end
return 0
`);

const Held = z.number().int().nonnegative();

export function createRedisRefusalBudget(opts: {
  /** A commands connection (scale/redis-commands.ts): fails at once while Redis is away. */
  redis: Redis;
  prefix: string;
  perWindow: number;
  windowMs: number;
  now: () => number;
}): AsyncRefusalBudget {
  const run = async (key: string, mode: 'spend' | 'held'): Promise<number> => {
    let out: unknown;
    try {
      out = await BUDGET(
        opts.redis,
        [`${opts.prefix}refusals:${key}`],
        [opts.now(), opts.windowMs, opts.perWindow, mode],
      );
    } catch (err) {
      throw new RateUnavailableError({ cause: err });
    }
    return Held.parse(out);
  };
  return {
    spend: async (key) => void (await run(key, 'spend')),
    heldFor: (key) => run(key, 'held'),
  };
}
