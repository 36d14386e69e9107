import type { AsyncKeyedRate } from '../ws/rate-limit.ts';
import type { AsyncRefusalBudget } from './redis-refusal-budget.ts';
import { RateUnavailableError } from './redis-rate.ts';

/**
 * A shared limit with its fallback (docs/SCALE-OUT.md §6): while Redis cannot be asked, each process
 * limits with a local one at `1 / n` of the limit, `n` being the number of live processes it last knew,
 * so all of them together still allow about the shared limit, never `n` times it. A person starts full in
 * the local limit: the switch forgives what Redis had counted, once, bounded by the burst.
 *
 * `localFor(n)` builds the local limit at `1 / n` (kept while `n` stays the same: a new `n` starts a new
 * one). Only `RateUnavailableError` falls back; any other error is a bug and is thrown. `onSwitch` hears
 * each change of source, for the log.
 */
export type FallbackDeps<R> = {
  shared: R;
  localFor: (liveProcesses: number) => R;
  liveProcesses: () => number;
  onSwitch: (to: 'shared' | 'local', cause?: unknown) => void;
};

/** Runs each question on the shared limit, or on the local one while the shared one is unavailable. */
function createFallback<R>(d: FallbackDeps<R>): <T>(ask: (r: R) => Promise<T>) => Promise<T> {
  let local: { n: number; limit: R } | null = null;
  let usingLocal = false;
  const localLimit = (): R => {
    // At least one: a process that knows of no live process (not even itself) still counts as one.
    // A count that is not a number (a heartbeat not heard yet) is taken as one: NaN would build a limit of
    // perMinute/NaN, which limits nothing, on every call.
    const live = d.liveProcesses();
    const n = Number.isFinite(live) ? Math.max(1, Math.floor(live)) : 1;
    if (local?.n !== n) local = { n, limit: d.localFor(n) };
    return local.limit;
  };
  return async (ask) => {
    try {
      const answer = await ask(d.shared);
      if (usingLocal) {
        usingLocal = false;
        local = null;
        d.onSwitch('shared');
      }
      return answer;
    } catch (err) {
      if (!(err instanceof RateUnavailableError)) throw err;
      if (!usingLocal) {
        usingLocal = true;
        d.onSwitch('local', err);
      }
      return ask(localLimit());
    }
  };
}

/** The per-person message rate (or any keyed rate) on Redis, local at `1 / n` while Redis is away. */
export function createRateWithFallback(d: FallbackDeps<AsyncKeyedRate>): AsyncKeyedRate {
  const either = createFallback(d);
  return {
    take: (key, n) => either((r) => r.take(key, n)),
    blockedFor: (key) => either((r) => r.blockedFor(key)),
  };
}

/** The refusal budget on Redis, local at `1 / n` of `perWindow` while Redis is away. */
export function createRefusalBudgetWithFallback(d: FallbackDeps<AsyncRefusalBudget>): AsyncRefusalBudget {
  const either = createFallback(d);
  return {
    spend: (key) => either((b) => b.spend(key)),
    heldFor: (key) => either((b) => b.heldFor(key)),
  };
}
