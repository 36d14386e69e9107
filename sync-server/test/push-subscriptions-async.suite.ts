import { SESSION_END } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import type { PushSubscriptionRow } from '../src/storage/push-subscriptions.ts';
import { MAX_FAILURES } from '../src/storage/push-subscriptions.ts';
import type { AsyncPushSubscriptionStore } from '../src/storage/push-subscriptions-async.ts';
import type { AsyncSessionStore } from '../src/storage/sessions-async.ts';

/**
 * The one conformance suite every AsyncPushSubscriptionStore passes (the SQLite adapter on a real file,
 * PostgreSQL on a fresh database): docs/SCALE-OUT.md §3, issue 15 §1. `make` gives a fresh database whose
 * accounts `USERS` exist, the subscription store, and the session store of the same database (a
 * subscription belongs to a session), both on the suite's clock.
 */
export const USERS = ['u-ana', 'u-ben'] as const;
const [ANA, BEN] = USERS;

export type PushSubscriptionStoreMaker = (now: () => number) => Promise<{
  store: AsyncPushSubscriptionStore;
  sessions: AsyncSessionStore;
  hashOf: (token: string) => string;
  close: () => Promise<void>;
}>;

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

const byEndpoint = (rows: PushSubscriptionRow[]): PushSubscriptionRow[] =>
  [...rows].sort((a, b) => (a.endpoint < b.endpoint ? -1 : 1));

export function asyncPushSubscriptionStoreSuite(name: string, make: PushSubscriptionStoreMaker): void {
  const withStore = async (
    f: (
      s: Awaited<ReturnType<PushSubscriptionStoreMaker>>,
      clock: { t: number },
      session: (user: string, ttl?: number) => Promise<string>,
    ) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0 };
    const s = await make(() => clock.t);
    const session = async (user: string, ttl = HOUR): Promise<string> =>
      s.hashOf((await s.sessions.create(user, ttl)).token);
    try {
      await f(s, clock, session);
    } finally {
      await s.close();
    }
  };
  const sub = (endpoint: string, userId: string, tokenHash: string): PushSubscriptionRow => ({
    endpoint,
    userId,
    tokenHash,
    p256dh: `key-${endpoint}`,
    auth: `auth-${endpoint}`,
  });

  describe(`AsyncPushSubscriptionStore conformance: ${name}`, () => {
    it("a device's subscription is stored per endpoint; registering it again moves it to the new person", () =>
      withStore(async ({ store }, _clock, session) => {
        const ana = await session(ANA);
        const ben = await session(BEN);
        await store.put(sub('https://push.test/1', ANA, ana));
        await store.put(sub('https://push.test/2', ANA, ana));
        expect(byEndpoint(await store.liveOf(ANA))).toEqual([
          sub('https://push.test/1', ANA, ana),
          sub('https://push.test/2', ANA, ana),
        ]);
        await store.put(sub('https://push.test/1', BEN, ben));
        expect(await store.liveOf(ANA)).toEqual([sub('https://push.test/2', ANA, ana)]);
        expect(await store.liveOf(BEN)).toEqual([sub('https://push.test/1', BEN, ben)]);
        expect(await store.countOf(ANA)).toBe(1);
        expect(await store.countOf(BEN)).toBe(1);
      }));

    it('a person removes only their own subscription; gone and removeUser remove outright', () =>
      withStore(async ({ store }, _clock, session) => {
        const ana = await session(ANA);
        const ben = await session(BEN);
        await store.put(sub('e-1', ANA, ana));
        await store.put(sub('e-2', ANA, ana));
        await store.put(sub('e-3', BEN, ben));
        expect(await store.removeOwn('e-3', ANA)).toBe(false);
        expect(await store.removeOwn('e-1', ANA)).toBe(true);
        expect(await store.removeOwn('e-1', ANA)).toBe(false);
        await store.gone('e-3');
        expect(await store.countOf(BEN)).toBe(0);
        await store.removeUser(ANA);
        expect(await store.countOf(ANA)).toBe(0);
      }));

    it('T10: only devices whose session is neither revoked nor over are sent to; logging out removes them', () =>
      withStore(async ({ store, sessions }, clock, session) => {
        const short = await session(ANA, HOUR);
        const long = await session(ANA, 10 * HOUR);
        const ben = await session(BEN, 10 * HOUR);
        await store.put(sub('e-short', ANA, short));
        await store.put(sub('e-long', ANA, long));
        await store.put(sub('e-ben', BEN, ben));
        clock.t = T0 + HOUR;
        expect((await store.liveOf(ANA)).map((s) => s.endpoint)).toEqual(['e-long']);
        expect(await store.countOf(ANA)).toBe(2);
        await sessions.revokeAllFor(ANA, SESSION_END.deactivated);
        expect(await store.liveOf(ANA)).toEqual([]);
        // Logout deletes the session row; its subscriptions go with it (the foreign key cascades).
        await sessions.revoke(ben);
        expect(await store.countOf(BEN)).toBe(0);
      }));

    it(`a subscription is dropped after ${MAX_FAILURES} failures in a row; a delivery starts the count again`, () =>
      withStore(async ({ store }, _clock, session) => {
        const ana = await session(ANA);
        await store.put(sub('e-1', ANA, ana));
        for (let i = 0; i < MAX_FAILURES - 1; i++) await store.failed('e-1');
        await store.delivered('e-1');
        for (let i = 0; i < MAX_FAILURES - 1; i++) await store.failed('e-1');
        expect(await store.countOf(ANA)).toBe(1);
        // Registering again also starts the count again.
        await store.put(sub('e-1', ANA, ana));
        for (let i = 0; i < MAX_FAILURES - 1; i++) await store.failed('e-1');
        expect(await store.countOf(ANA)).toBe(1);
        await store.failed('e-1');
        expect(await store.countOf(ANA)).toBe(0);
        await store.failed('e-1');
        await store.delivered('e-1');
        expect(await store.countOf(ANA)).toBe(0);
      }));

    it('failures counted concurrently (over several connections) all count', () =>
      withStore(async ({ store }, _clock, session) => {
        const ana = await session(ANA);
        await store.put(sub('e-1', ANA, ana));
        await Promise.all(Array.from({ length: MAX_FAILURES - 1 }, () => store.failed('e-1')));
        expect(await store.countOf(ANA)).toBe(1);
        await store.failed('e-1');
        expect(await store.countOf(ANA)).toBe(0);
      }));
  });
}
