import { describe, expect, it } from 'vitest';
import type { AsyncThrottle } from '../src/auth/throttle.ts';

/**
 * The one conformance suite every AsyncThrottle passes (in memory, Redis): docs/SCALE-OUT.md §6,
 * docs/THREAT_MODEL.md T10, issue 12 C9. `make` gives a throttle of MAX attempts per WINDOW_MS on a fresh
 * namespace, reading the suite's clock; `b` (when the implementation is shared) a second one on the same
 * namespace with its own connection, as another process would have.
 */
export const MAX = 5;
export const WINDOW_MS = 60_000;
const T0 = 1_700_000_000_000;

export type ThrottleMaker = (
  now: () => number,
) => Promise<{ a: AsyncThrottle; b: AsyncThrottle | null; close: () => Promise<void> }>;

export function throttleSuite(name: string, make: ThrottleMaker): void {
  const withThrottle = async (
    f: (s: { a: AsyncThrottle; b: AsyncThrottle | null }, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0 };
    const s = await make(() => clock.t);
    try {
      await f(s, clock);
    } finally {
      await s.close();
    }
  };

  describe(`throttle conformance: ${name}`, () => {
    it('T10: reserve counts attempts up to the limit, then answers the wait and counts nothing', () =>
      withThrottle(async ({ a }, clock) => {
        for (let i = 0; i < MAX; i++) {
          expect(await a.reserve('id:jo')).toBe(0);
          clock.t += 1_000;
        }
        expect(await a.count('id:jo')).toBe(MAX);
        // The first attempt (at T0) leaves the window at T0 + WINDOW_MS.
        expect(await a.reserve('id:jo')).toBe(T0 + WINDOW_MS - clock.t);
        expect(await a.blockedFor('id:jo')).toBe(T0 + WINDOW_MS - clock.t);
        expect(await a.count('id:jo')).toBe(MAX);
        // Other keys are untouched.
        expect(await a.blockedFor('id:ann')).toBe(0);
        expect(await a.count('id:ann')).toBe(0);
      }));

    it('T10: the window slides on the clock: each attempt leaves it WINDOW_MS after it was made', () =>
      withThrottle(async ({ a }, clock) => {
        for (let i = 0; i < MAX; i++) {
          await a.reserve('k');
          clock.t += 10_000;
        }
        clock.t = T0 + WINDOW_MS - 1;
        expect(await a.blockedFor('k')).toBe(1);
        clock.t = T0 + WINDOW_MS;
        expect(await a.blockedFor('k')).toBe(0);
        expect(await a.count('k')).toBe(MAX - 1);
        expect(await a.reserve('k')).toBe(0);
        expect(await a.blockedFor('k')).toBe(10_000);
        clock.t += 2 * WINDOW_MS;
        expect(await a.count('k')).toBe(0);
      }));

    it('T10: record counts whatever the count is (the address, which does not refuse by itself)', () =>
      withThrottle(async ({ a }) => {
        for (let i = 0; i < MAX + 3; i++) await a.record('10.0.0.1');
        expect(await a.count('10.0.0.1')).toBe(MAX + 3);
        expect(await a.blockedFor('10.0.0.1')).toBe(WINDOW_MS);
      }));

    it('T10: forgive takes back one attempt (a success); reset forgets the key', () =>
      withThrottle(async ({ a }, clock) => {
        for (let i = 0; i < MAX; i++) {
          await a.reserve('k');
          clock.t += 1;
        }
        await a.forgive('k');
        expect(await a.count('k')).toBe(MAX - 1);
        expect(await a.reserve('k')).toBe(0);
        await a.reset('k');
        expect(await a.count('k')).toBe(0);
        // Forgiving a key with nothing counted is harmless.
        await a.forgive('k');
        expect(await a.count('k')).toBe(0);
      }));

    it('T10: parallel reserves of one key pass at most the limit: counted as they are checked (C9)', () =>
      withThrottle(async ({ a, b }) => {
        // With a second process, the attempts are spread over both: the count is shared, not per process.
        const throttles = b ? [a, b] : [a];
        const waits = await Promise.all(
          Array.from({ length: 36 }, (_, i) => (throttles[i % throttles.length] ?? a).reserve('id:jo')),
        );
        expect(waits.filter((w) => w === 0)).toHaveLength(MAX);
        expect(waits.filter((w) => w === WINDOW_MS)).toHaveLength(36 - MAX);
        expect(await a.count('id:jo')).toBe(MAX);
      }));

    it('T10: keys typed alike but not equal are counted apart; odd characters are just keys', () =>
      withThrottle(async ({ a }) => {
        const keys = ['name:jo', 'name:jo ', 'name:JO', 'name:*', 'name:{x}', `name:${'é'.repeat(300)}`];
        for (const k of keys) await a.record(k);
        for (const k of keys) expect(await a.count(k)).toBe(1);
      }));
  });
}
