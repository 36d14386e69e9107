import { describe, expect, it } from 'vitest';
import type { AsyncPresenceStatusStore } from '../src/storage/presence-status-async.ts';

/**
 * The one conformance suite every AsyncPresenceStatusStore passes (the SQLite adapter on a real file,
 * PostgreSQL on a fresh database): docs/SCALE-OUT.md §3, issue 15 §3. `make` gives a fresh database whose
 * accounts `USERS` exist; each `open` is another store instance on it, as another process would be.
 */
export const USERS = ['u-ana', 'u-ben', 'u-cat'] as const;
const [ANA, BEN, CAT] = USERS;

export type PresenceStatusStoreMaker = () => Promise<{
  open: () => AsyncPresenceStatusStore;
  /** Deletes an account (as an admin's delete would), for the cascade. */
  deleteUser: (id: string) => Promise<void>;
  close: () => Promise<void>;
}>;

export function asyncPresenceStatusStoreSuite(name: string, make: PresenceStatusStoreMaker): void {
  const withStores = async (f: (s: Awaited<ReturnType<PresenceStatusStoreMaker>>) => Promise<void>) => {
    const s = await make();
    try {
      await f(s);
    } finally {
      await s.close();
    }
  };
  const choice = { dnd: true, emoji: '📚', text: 'In the library', until: 5_000 };

  describe(`AsyncPresenceStatusStore conformance: ${name}`, () => {
    it('nothing until chosen; a choice is stored whole and replaced whole, last seen untouched', () =>
      withStores(async ({ open }) => {
        const a = open();
        expect(await a.get(ANA)).toBeNull();
        await a.choose(ANA, choice);
        expect(await open().get(ANA)).toEqual({ ...choice, lastSeen: 0 });
        await a.lastSeenMany([[ANA, 1_234]]);
        await a.choose(ANA, { dnd: false, emoji: '', text: '', until: 0 });
        expect(await open().get(ANA)).toEqual({ dnd: false, emoji: '', text: '', until: 0, lastSeen: 1_234 });
        expect(await a.get(BEN)).toBeNull();
      }));

    it("last seen: several at once, the choice untouched, the last of one id's entries counts", () =>
      withStores(async ({ open }) => {
        const a = open();
        await a.choose(BEN, choice);
        await a.lastSeenMany([
          [CAT, 10],
          [BEN, 20],
          [CAT, 30],
        ]);
        expect(await a.get(BEN)).toEqual({ ...choice, lastSeen: 20 });
        expect(await a.get(CAT)).toEqual({ dnd: false, emoji: '', text: '', until: 0, lastSeen: 30 });
        await a.lastSeenMany([]);
        await a.lastSeenMany([[CAT, 40]]);
        expect((await open().get(CAT))?.lastSeen).toBe(40);
      }));

    it('an id with no account is skipped without failing, and the others are written', () =>
      withStores(async ({ open }) => {
        const a = open();
        await a.choose('u-gone', choice);
        await a.lastSeenMany([
          ['u-gone', 5],
          [ANA, 6],
        ]);
        expect(await a.get('u-gone')).toBeNull();
        expect((await a.get(ANA))?.lastSeen).toBe(6);
      }));

    it("deleting a person deletes their presence (the account's cascade)", () =>
      withStores(async ({ open, deleteUser }) => {
        const a = open();
        await a.choose(ANA, choice);
        await deleteUser(ANA);
        expect(await a.get(ANA)).toBeNull();
        await a.lastSeenMany([[ANA, 7]]);
        expect(await a.get(ANA)).toBeNull();
      }));

    it('two instances writing overlapping lists at once: every row written, no deadlock', () =>
      withStores(async ({ open }) => {
        const a = open();
        const b = open();
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? a : b).lastSeenMany(
              i % 2 === 0
                ? [
                    [ANA, 100 + i],
                    [BEN, 100 + i],
                    [CAT, 100 + i],
                  ]
                : [
                    [CAT, 100 + i],
                    [BEN, 100 + i],
                    [ANA, 100 + i],
                  ],
            ),
          ),
        );
        for (const id of USERS) expect((await a.get(id))?.lastSeen).toBeGreaterThanOrEqual(100);
      }));
  });
}
