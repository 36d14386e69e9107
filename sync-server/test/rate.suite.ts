import { describe, expect, it } from 'vitest';
import type { AsyncRefusalBudget } from '../src/scale/redis-refusal-budget.ts';
import type { AsyncKeyedRate } from '../src/ws/rate-limit.ts';

/**
 * The one conformance suite every AsyncKeyedRate passes (the local buckets, Redis GCRA): docs/SCALE-OUT.md
 * §6, docs/PROTOCOL.md P10. Two kinds of limit, both from the code they stand in for: a plain keyed
 * bucket (ws/rate-limit.ts `createKeyedBuckets`) and the per-person message rate that holds a refused
 * person until their wait is over (rooms/message-rate.ts). `make` builds one of `spec` on a fresh
 * namespace on the suite's clock; `b` (when shared) a second on the same namespace, as another process.
 * Takes stay within the burst in the bucket cases: the local bucket never passes a bigger one.
 */
export type RateSpec =
  | { kind: 'bucket'; perSecond: number; burst: number }
  | { kind: 'message'; perMinute: number; burst: number; minPauseMs: number };

export type RateMaker = (
  now: () => number,
  spec: RateSpec,
) => Promise<{ a: AsyncKeyedRate; b: AsyncKeyedRate | null; close: () => Promise<void> }>;

const T0 = 1_700_000_000_000;
/** 10 a second: one unit every 100 ms. */
const BUCKET: RateSpec = { kind: 'bucket', perSecond: 10, burst: 5 };
/** 30 a minute: one message every 2 s. */
const MESSAGES: RateSpec = { kind: 'message', perMinute: 30, burst: 3, minPauseMs: 1_000 };

export function rateSuite(name: string, make: RateMaker): void {
  const withRate = async (
    spec: RateSpec,
    f: (s: { a: AsyncKeyedRate; b: AsyncKeyedRate | null }, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0 };
    const s = await make(() => clock.t, spec);
    try {
      await f(s, clock);
    } finally {
      await s.close();
    }
  };
  const takes = async (r: AsyncKeyedRate, key: string, times: number, n = 1): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < times; i++) out.push(await r.take(key, n));
    return out;
  };

  describe(`rate conformance: ${name}`, () => {
    it('P10: a full bucket gives its burst at once, then the exact wait for the next unit', () =>
      withRate(BUCKET, async ({ a }, clock) => {
        expect(await takes(a, 'u1', 6)).toEqual([0, 0, 0, 0, 0, 100]);
        clock.t += 50;
        expect(await a.take('u1', 1)).toBe(50);
        clock.t += 50;
        expect(await a.take('u1', 1)).toBe(0);
        expect(await a.take('u1', 1)).toBe(100);
        // Keys are apart; a plain bucket never holds a key.
        expect(await a.take('u2', 5)).toBe(0);
        expect(await a.blockedFor('u1')).toBe(0);
        expect(await a.take('u1', 0)).toBe(0);
      }));

    it('P10: refill stops at the burst, however long the key was idle', () =>
      withRate(BUCKET, async ({ a }, clock) => {
        await a.take('u1', 5);
        clock.t += 3_600_000;
        expect(await takes(a, 'u1', 6)).toEqual([0, 0, 0, 0, 0, 100]);
      }));

    it('P10: a take of several waits for all of them; a smaller one that fits still passes', () =>
      withRate(BUCKET, async ({ a }, clock) => {
        expect(await a.take('u1', 3)).toBe(0);
        expect(await a.take('u1', 3)).toBe(100);
        expect(await a.take('u1', 2)).toBe(0);
        clock.t += 250;
        expect(await a.take('u1', 3)).toBe(50);
        expect(await a.take('u1', 2)).toBe(0);
      }));

    it('P10: parallel takes of one key pass at most the burst, also over two processes', () =>
      withRate(BUCKET, async ({ a, b }) => {
        const rates = b ? [a, b] : [a];
        const waits = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (rates[i % rates.length] ?? a).take('u1', 1)),
        );
        expect(waits.filter((w) => w === 0)).toHaveLength(5);
      }));

    it('P10: the message rate gives its burst, then refuses for the time one message takes to come back', () =>
      withRate(MESSAGES, async ({ a }, clock) => {
        expect(await takes(a, 'u1', 4)).toEqual([0, 0, 0, 2_000]);
        expect(await a.blockedFor('u1')).toBe(2_000);
        expect(await a.blockedFor('u2')).toBe(0);
        clock.t += 2_000;
        expect(await a.blockedFor('u1')).toBe(0);
        expect(await takes(a, 'u1', 2)).toEqual([0, 2_000]);
      }));

    it('P7, P10: a refused person stays refused until the wait is over, even for a take that would fit', () =>
      withRate(MESSAGES, async ({ a }, clock) => {
        await a.take('u1', 3);
        clock.t += 4_000;
        // Two messages are back; three are asked: refused for the third's 2 s…
        expect(await a.take('u1', 3)).toBe(2_000);
        // …and one, which would fit, is refused too, so it cannot overtake the refused three.
        expect(await a.take('u1', 1)).toBe(2_000);
        clock.t += 1_000;
        expect(await a.take('u1', 1)).toBe(1_000);
        clock.t += 1_000;
        expect(await a.take('u1', 3)).toBe(0);
      }));

    it('P10: a refusal waits at least the pause; a frame of more than the burst needs a full bucket', () =>
      withRate(MESSAGES, async ({ a }, clock) => {
        await a.take('u1', 3);
        clock.t += 1_900;
        expect(await a.take('u1', 1)).toBe(1_000);
        clock.t += 1_000;
        expect(await a.take('u1', 5)).toBe(3_100);
        clock.t += 3_100;
        expect(await a.take('u1', 5)).toBe(0);
        expect(await a.take('u1', 0)).toBe(0);
      }));

    it('P10: over two processes, one person has one message allowance', () =>
      withRate(MESSAGES, async ({ a, b }) => {
        const rates = b ? [a, b] : [a];
        const waits = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (rates[i % rates.length] ?? a).take('u1', 1)),
        );
        expect(waits.filter((w) => w === 0)).toHaveLength(3);
        for (const r of rates) expect(await r.blockedFor('u1')).toBe(2_000);
      }));
  });
}

export const REFUSALS_PER_WINDOW = 4;
export const REFUSAL_WINDOW_MS = 60_000;

/** `make` gives a budget of REFUSALS_PER_WINDOW in REFUSAL_WINDOW_MS; `b` a second one sharing it. */
export type RefusalBudgetMaker = (now: () => number) => Promise<{
  a: AsyncRefusalBudget;
  b: AsyncRefusalBudget | null;
  close: () => Promise<void>;
}>;

/** The refusal budget (rooms/refusal-budget.ts): local and Redis pass the same cases. */
export function refusalBudgetSuite(name: string, make: RefusalBudgetMaker): void {
  const withBudget = async (
    f: (s: { a: AsyncRefusalBudget; b: AsyncRefusalBudget | null }, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0 };
    const s = await make(() => clock.t);
    try {
      await f(s, clock);
    } finally {
      await s.close();
    }
  };

  describe(`refusal budget conformance: ${name}`, () => {
    it('P10: past the budget a person is held until the window that began at their first refusal ends', () =>
      withBudget(async ({ a }, clock) => {
        for (let i = 0; i < REFUSALS_PER_WINDOW - 1; i++) {
          await a.spend('u1');
          expect(await a.heldFor('u1')).toBe(0);
          clock.t += 1_000;
        }
        await a.spend('u1');
        expect(await a.heldFor('u1')).toBe(REFUSAL_WINDOW_MS - 3_000);
        expect(await a.heldFor('u2')).toBe(0);
        clock.t = T0 + REFUSAL_WINDOW_MS - 1;
        expect(await a.heldFor('u1')).toBe(1);
        clock.t = T0 + REFUSAL_WINDOW_MS;
        expect(await a.heldFor('u1')).toBe(0);
        // The next refusal starts a new window with one spent.
        await a.spend('u1');
        expect(await a.heldFor('u1')).toBe(0);
      }));

    it('P10: per person, not per process: refusals spent on two processes add up', () =>
      withBudget(async ({ a, b }) => {
        const budgets = b ? [a, b] : [a];
        await Promise.all(
          Array.from({ length: REFUSALS_PER_WINDOW }, (_, i) =>
            (budgets[i % budgets.length] ?? a).spend('u1'),
          ),
        );
        for (const x of budgets) expect(await x.heldFor('u1')).toBe(REFUSAL_WINDOW_MS);
      }));
  });
}
