/**
 * Counts failed logins per key (an account, an address) in a sliding window. In memory: a restart forgives,
 * which is acceptable for a single process; the scale-out issue moves this to Redis.
 */
export type Throttle = ReturnType<typeof createThrottle>;

export function createThrottle(opts: { max: number; windowMs: number; now: () => number }) {
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = opts.now() - opts.windowMs;
    const list = (failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    /** Milliseconds until `key` may try again, or 0. */
    blockedFor(key: string): number {
      const list = recent(key);
      if (list.length < opts.max) return 0;
      const oldest = list[list.length - opts.max] ?? opts.now();
      return Math.max(1, oldest + opts.windowMs - opts.now());
    },
    fail(key: string): void {
      const list = recent(key);
      list.push(opts.now());
      failures.set(key, list);
    },
    reset(key: string): void {
      failures.delete(key);
    },
  };
}
