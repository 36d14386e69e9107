/**
 * Counts login attempts per key (an account, an address) in a sliding window. An attempt is counted when it
 * starts, before the slow password hash, and forgiven only if it succeeds: so parallel attempts cannot all
 * pass the check while the first ones are still hashing (issue 12 C9). In memory: a restart forgives, which
 * is acceptable for a single process; several processes share one in Redis (scale/redis-throttle.ts,
 * docs/SCALE-OUT.md §6) through `AsyncThrottle`.
 */
export type Throttle = ReturnType<typeof createThrottle>;

/**
 * The throttle's operations as Promises, which both the in-memory throttle (through `asyncThrottle`) and
 * the Redis one satisfy; one conformance suite (test/throttle.suite.ts) runs against both. An
 * implementation that cannot count (Redis unreachable) rejects with `ThrottleUnavailableError`: it fails
 * closed, because a throttle that silently stops counting is a brute-force opening.
 */
export interface AsyncThrottle {
  blockedFor(key: string): Promise<number>;
  count(key: string): Promise<number>;
  record(key: string): Promise<void>;
  reserve(key: string): Promise<number>;
  forgive(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

/**
 * The attempts could not be counted, so none may be made: the login route answers 503 with this message
 * (one translation of this error, at the edge), never a check without a count.
 */
export class ThrottleUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super(
      'Sign-in is unavailable for a moment (its attempt limits cannot be checked); try again shortly.',
      options,
    );
    this.name = 'ThrottleUnavailableError';
  }
}

/** The in-memory throttle behind the async interface (it never fails: its memory is always there). */
export function asyncThrottle(t: Throttle): AsyncThrottle {
  return {
    blockedFor: async (key) => t.blockedFor(key),
    count: async (key) => t.count(key),
    record: async (key) => t.record(key),
    reserve: async (key) => t.reserve(key),
    forgive: async (key) => t.forgive(key),
    reset: async (key) => t.reset(key),
  };
}

export function createThrottle(opts: { max: number; windowMs: number; now: () => number }) {
  const attempts = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = opts.now() - opts.windowMs;
    const list = (attempts.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) attempts.delete(key);
    else attempts.set(key, list);
    return list;
  };
  const blockedFor = (key: string): number => {
    const list = recent(key);
    if (list.length < opts.max) return 0;
    const oldest = list[list.length - opts.max] ?? opts.now();
    return Math.max(1, oldest + opts.windowMs - opts.now());
  };
  const record = (key: string): void => {
    const list = recent(key);
    list.push(opts.now());
    attempts.set(key, list);
  };
  return {
    /** Milliseconds until `key` may try again, or 0. */
    blockedFor,
    /** How many attempts of `key` are in the window. */
    count: (key: string): number => recent(key).length,
    /** Counts an attempt whatever the count is (the address, which does not refuse by itself). */
    record,
    /** Counts an attempt and returns 0 when `key` was under its limit, else the wait (nothing counted). */
    reserve(key: string): number {
      const wait = blockedFor(key);
      if (wait === 0) record(key);
      return wait;
    },
    /** Takes back the newest attempt of `key` (it succeeded, or was never checked). */
    forgive(key: string): void {
      const list = recent(key);
      list.pop();
      if (list.length === 0) attempts.delete(key);
    },
    reset(key: string): void {
      attempts.delete(key);
    },
  };
}
