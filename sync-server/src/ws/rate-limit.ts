/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export function createTokenBucket(rate: number, burst: number, now: () => number) {
  let tokens = burst;
  let last = now();
  const refill = (): void => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
    last = t;
  };
  return {
    take(n = 1): boolean {
      refill();
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
    /** Milliseconds until `n` tokens are there (0 when they are now). */
    waitFor(n = 1): number {
      refill();
      return tokens >= n ? 0 : Math.ceil(((Math.min(n, burst) - tokens) / rate) * 1000);
    },
    /** Whether the bucket is full again (nothing to remember about its key). */
    full(): boolean {
      refill();
      return tokens >= burst;
    },
  };
}

export type TokenBucket = ReturnType<typeof createTokenBucket>;

/**
 * One token bucket per key (an account, an address). Full buckets are forgotten once there are many keys,
 * so addresses seen once do not pile up in memory: a full bucket and a missing one answer alike.
 */
export function createKeyedBuckets(opts: {
  rate: number;
  burst: number;
  now: () => number;
  sweepAt?: number;
}) {
  const buckets = new Map<string, TokenBucket>();
  const sweepAt = opts.sweepAt ?? 10_000;
  const of = (key: string): TokenBucket => {
    let b = buckets.get(key);
    if (!b) {
      if (buckets.size >= sweepAt) for (const [k, old] of buckets) if (old.full()) buckets.delete(k);
      b = createTokenBucket(opts.rate, opts.burst, opts.now);
      buckets.set(key, b);
    }
    return b;
  };
  return {
    /** Takes `n` tokens of `key`: 0 when taken, else the milliseconds until they would be there. */
    take(key: string, n = 1): number {
      const b = of(key);
      return b.take(n) ? 0 : Math.max(1, b.waitFor(n));
    },
  };
}

/**
 * A per-key allowance as Promises: what a limit shared by several processes (Redis, scale/redis-rate.ts)
 * can offer, and what the local ones here and in rooms/message-rate.ts give through `asyncKeyedRate`.
 * One conformance suite (test/rate.suite.ts) runs against the local and the Redis ones.
 */
export interface AsyncKeyedRate {
  /** Takes `n` of `key`'s allowance: 0 when taken, else the milliseconds to wait (nothing taken). */
  take(key: string, n: number): Promise<number>;
  /**
   * Milliseconds `key` is still refused after a refusal, for a limit that holds a refused key until its
   * wait is over (the per-person message rate, rooms/message-rate.ts); always 0 for one that does not.
   */
  blockedFor(key: string): Promise<number>;
}

/** A local limit (`createKeyedBuckets`, `createMessageRate`) behind the async interface. */
export function asyncKeyedRate(local: {
  take(key: string, n: number): number;
  blockedFor?(key: string): number;
}): AsyncKeyedRate {
  return {
    take: async (key, n) => local.take(key, n),
    blockedFor: async (key) => local.blockedFor?.(key) ?? 0,
  };
}
