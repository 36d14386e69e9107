import { describe, expect, it } from 'vitest';
import type { AsyncMuteStore } from '../src/storage/mutes-async.ts';

/**
 * The one conformance suite every AsyncMuteStore passes (the SQLite adapter on a real file, PostgreSQL on a
 * fresh database): docs/SCALE-OUT.md §2, §3, issue 14 §3. `make` gives a fresh database whose accounts
 * `USERS` and conversations `CONVERSATIONS` exist, on the clock it is given; each `open` is another store
 * instance on it (as another process would be), with its own memory.
 */
export const USERS = ['u-ana', 'u-ben', 'u-tut'] as const;
export const CONVERSATIONS = ['c-gen', 'c-bio'] as const;
const [ANA, BEN, TUT] = USERS;
const [GEN, BIO] = CONVERSATIONS;

export type MuteStoreMaker = (now: () => number) => Promise<{
  open: () => Promise<AsyncMuteStore>;
  close: () => Promise<void>;
}>;

export function asyncMuteStoreSuite(name: string, make: MuteStoreMaker): void {
  const withStores = async (
    f: (open: () => Promise<AsyncMuteStore>, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: 1_000_000 };
    const s = await make(() => clock.t);
    try {
      await f(s.open, clock);
    } finally {
      await s.close();
    }
  };
  const mute = (userId: string, conversationId: string | null, until: number | null, reason = '') => ({
    userId,
    conversationId,
    until,
    reason,
    createdBy: TUT,
  });

  describe(`AsyncMuteStore conformance: ${name}`, () => {
    it('nobody is muted until someone is; a mute is stored whole', () =>
      withStores(async (open, clock) => {
        const store = await open();
        expect(store.effective(ANA, GEN)).toBeNull();
        expect(await store.activeOfUser(ANA)).toEqual([]);
        expect(await store.activeIn(GEN)).toEqual([]);
        const m = await store.add(mute(ANA, GEN, clock.t + 60_000, 'spamming'));
        expect(m).toEqual({
          id: m.id,
          userId: ANA,
          conversationId: GEN,
          until: clock.t + 60_000,
          reason: 'spamming',
          createdBy: TUT,
          createdAt: clock.t,
          liftedBy: null,
          liftedAt: null,
        });
        expect(await store.get(m.id)).toEqual(m);
        expect(await store.get('no-such-mute')).toBeNull();
        expect(store.effective(ANA, GEN)).toEqual(m);
        expect(store.effective(ANA, BIO)).toBeNull();
        expect(store.effective(BEN, GEN)).toBeNull();
      }));

    it('the deciding mute: one until lifted beats any period, else the latest end; "everywhere" covers all', () =>
      withStores(async (open, clock) => {
        const store = await open();
        const here = await store.add(mute(ANA, GEN, clock.t + 100));
        clock.t++;
        const everywhere = await store.add(mute(ANA, null, clock.t + 500));
        expect(store.effective(ANA, GEN)?.id).toBe(everywhere.id);
        expect(store.effective(ANA, BIO)?.id).toBe(everywhere.id);
        clock.t++;
        const forever = await store.add(mute(ANA, GEN, null));
        clock.t++;
        await store.add(mute(ANA, GEN, clock.t + 10_000));
        expect(store.effective(ANA, GEN)?.id).toBe(forever.id);
        expect(store.effective(ANA, BIO)?.id).toBe(everywhere.id);
        expect((await store.activeOfUser(ANA)).map((m) => m.id).slice(0, 3)).toEqual([
          here.id,
          everywhere.id,
          forever.id,
        ]);
        // In this conversation only: the one "everywhere" is listed with the person, not the channel.
        expect((await store.activeIn(GEN)).map((m) => m.userId)).toEqual([ANA, ANA, ANA]);
        expect(await store.activeIn(BIO)).toEqual([]);
      }));

    it('time alone ends a mute: no write, and a store opened later does not bring it back', () =>
      withStores(async (open, clock) => {
        const store = await open();
        const m = await store.add(mute(ANA, GEN, clock.t + 100));
        clock.t += 99;
        expect(store.effective(ANA, GEN)?.id).toBe(m.id);
        clock.t += 1;
        expect(store.effective(ANA, GEN)).toBeNull();
        expect(await store.activeOfUser(ANA)).toEqual([]);
        expect(await store.activeIn(GEN)).toEqual([]);
        expect((await open()).effective(ANA, GEN)).toBeNull();
        // The row stays, as the record of what was done.
        expect((await store.get(m.id))?.until).toBe(clock.t);
      }));

    it('lifting works once; the row stays with who lifted it and when', () =>
      withStores(async (open, clock) => {
        const store = await open();
        const m = await store.add(mute(ANA, null, null));
        expect(store.effective(ANA, BIO)?.id).toBe(m.id);
        clock.t += 5;
        expect(await store.lift(m.id, TUT)).toBe(true);
        expect(await store.lift(m.id, TUT)).toBe(false);
        expect(await store.lift('no-such-mute', TUT)).toBe(false);
        expect(store.effective(ANA, BIO)).toBeNull();
        expect(await store.activeOfUser(ANA)).toEqual([]);
        expect(await store.get(m.id)).toEqual({ ...m, liftedBy: TUT, liftedAt: clock.t });
      }));

    it("another instance's write is in this one's memory only after `drop`; one opened later has it", () =>
      withStores(async (open, clock) => {
        const a = await open();
        const b = await open();
        expect(b.effective(ANA, GEN)).toBeNull();
        const m = await a.add(mute(ANA, GEN, clock.t + 60_000));
        // B answers the write path from memory: it has not heard.
        expect(b.effective(ANA, GEN)).toBeNull();
        // The listings ask the stored rows.
        expect((await b.activeOfUser(ANA)).map((x) => x.id)).toEqual([m.id]);
        expect((await open()).effective(ANA, GEN)?.id).toBe(m.id);
        await b.drop(ANA);
        expect(b.effective(ANA, GEN)?.id).toBe(m.id);

        expect(await a.lift(m.id, TUT)).toBe(true);
        expect(b.effective(ANA, GEN)?.id).toBe(m.id);
        await b.drop(ANA);
        expect(b.effective(ANA, GEN)).toBeNull();
        // Dropping someone who was never muted, or a person unknown to the database, is harmless.
        await b.drop(BEN);
        await b.drop('u-nobody');
        expect(b.effective(BEN, GEN)).toBeNull();
      }));
  });
}
