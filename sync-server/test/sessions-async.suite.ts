import { SESSION_END } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import type { AsyncSessionStore } from '../src/storage/sessions-async.ts';
import { hashToken, REVOKED_KEPT_MS } from '../src/storage/sessions.ts';

/**
 * The one conformance suite every AsyncSessionStore passes (the SQLite adapter on a real file, PostgreSQL
 * on a fresh database): docs/SCALE-OUT.md §6, docs/THREAT_MODEL.md T10. Time is the suite's own clock, so
 * expiry is exact and nothing waits. `make` gives a store on a fresh database whose accounts `USERS` exist
 * (SQLite's sessions reference users), reading the clock and the workspace's session length it is given.
 */
export const USERS = ['u-ana', 'u-ben', 'u-cat'] as const;
const [ANA, BEN, CAT] = USERS;

export type SessionStoreMaker = (
  now: () => number,
  maxAgeMs: () => number,
) => Promise<{ store: AsyncSessionStore; close: () => Promise<void> }>;

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

/** A deterministic generator (mulberry32), so the random case is the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

export function asyncSessionStoreSuite(name: string, make: SessionStoreMaker): void {
  const withStore = async (
    f: (s: AsyncSessionStore, clock: { t: number; maxAge: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: T0, maxAge: Number.POSITIVE_INFINITY };
    const s = await make(
      () => clock.t,
      () => clock.maxAge,
    );
    try {
      await f(s.store, clock);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncSessionStore conformance: ${name}`, () => {
    it('T10: a new session is found by its token, stored by its hash; an unknown token is not', () =>
      withStore(async (store) => {
        const a = await store.create(ANA, HOUR);
        expect(a.expiresAt).toBe(T0 + HOUR);
        expect(await store.lookup(a.token)).toEqual({
          userId: ANA,
          expiresAt: T0 + HOUR,
          tokenHash: hashToken(a.token),
        });
        expect(await store.expiryOfHash(hashToken(a.token))).toBe(T0 + HOUR);
        // The token itself is not a key: only its hash finds the session.
        expect(await store.expiryOfHash(a.token)).toBeNull();
        expect(await store.lookup('no-such-token')).toBeNull();
        expect(await store.ended('no-such-token')).toEqual({ reason: SESSION_END.notLoggedIn, userId: null });
        const b = await store.create(ANA, HOUR);
        expect(b.token).not.toBe(a.token);
      }));

    it('T10: a session ends at its expiry exactly (injected clock), and is then not returned', () =>
      withStore(async (store, clock) => {
        const a = await store.create(ANA, HOUR);
        clock.t = T0 + HOUR - 1;
        expect(await store.lookup(a.token)).toMatchObject({ userId: ANA });
        clock.t = T0 + HOUR;
        expect(await store.lookup(a.token)).toBeNull();
        expect(await store.expiryOfHash(hashToken(a.token))).toBeNull();
        expect(await store.ended(a.token)).toEqual({ reason: SESSION_END.notLoggedIn, userId: ANA });
      }));

    it('T10: a shorter session length ends sessions already given out; a longer one does not stretch them', () =>
      withStore(async (store, clock) => {
        const a = await store.create(ANA, 10 * HOUR);
        clock.t = T0 + 2 * HOUR;
        clock.maxAge = 3 * HOUR;
        expect(await store.lookup(a.token)).toMatchObject({ expiresAt: T0 + 3 * HOUR });
        clock.maxAge = 2 * HOUR;
        expect(await store.lookup(a.token)).toBeNull();
        clock.maxAge = 100 * HOUR;
        expect(await store.lookup(a.token)).toMatchObject({ expiresAt: T0 + 10 * HOUR });
      }));

    it('T10: logout removes the session and remembers nothing of it', () =>
      withStore(async (store) => {
        const a = await store.create(ANA, HOUR);
        const b = await store.create(ANA, HOUR);
        await store.revoke(hashToken(a.token));
        expect(await store.lookup(a.token)).toBeNull();
        expect(await store.ended(a.token)).toEqual({ reason: SESSION_END.notLoggedIn, userId: null });
        expect(await store.lookup(b.token)).toMatchObject({ userId: ANA });
      }));

    it("T10: revoking all of a person's sessions ends every one and keeps why; others' are untouched", () =>
      withStore(async (store) => {
        const mine = [await store.create(ANA, HOUR), await store.create(ANA, HOUR)];
        const ben = await store.create(BEN, HOUR);
        await store.revokeAllFor(ANA, 'password-reset');
        for (const s of mine) {
          expect(await store.lookup(s.token)).toBeNull();
          expect(await store.expiryOfHash(hashToken(s.token))).toBeNull();
          expect(await store.ended(s.token)).toEqual({ reason: SESSION_END.revoked, userId: ANA });
        }
        expect(await store.lookup(ben.token)).toMatchObject({ userId: BEN });
      }));

    it('T10: a wiping reason replaces a milder one already stored; a milder one never replaces it', () =>
      withStore(async (store) => {
        const a = await store.create(ANA, HOUR);
        await store.revokeAllFor(ANA, 'password-changed');
        await store.revokeAllFor(ANA, SESSION_END.signedOutEverywhere);
        expect((await store.ended(a.token)).reason).toBe(SESSION_END.signedOutEverywhere);
        await store.revokeAllFor(ANA, 'password-reset');
        await store.revokeAllFor(ANA, SESSION_END.deactivated);
        expect((await store.ended(a.token)).reason).toBe(SESSION_END.signedOutEverywhere);
      }));

    it('T10: revoking the others of a person keeps the one named, and only it', () =>
      withStore(async (store) => {
        const keep = await store.create(ANA, HOUR);
        const other = await store.create(ANA, HOUR);
        const ben = await store.create(BEN, HOUR);
        await store.revokeOthersOf(ANA, hashToken(keep.token), 'password-changed');
        expect(await store.lookup(keep.token)).toMatchObject({ userId: ANA });
        expect(await store.lookup(other.token)).toBeNull();
        expect(await store.ended(other.token)).toEqual({ reason: SESSION_END.revoked, userId: ANA });
        expect(await store.lookup(ben.token)).toMatchObject({ userId: BEN });
      }));

    it('purging drops ended sessions, and revoked ones once their reason has been kept long enough', () =>
      withStore(async (store, clock) => {
        const short = await store.create(ANA, HOUR);
        const long = await store.create(BEN, 2 * REVOKED_KEPT_MS);
        const revoked = await store.create(CAT, 2 * REVOKED_KEPT_MS);
        await store.revokeAllFor(CAT, SESSION_END.deactivated);
        clock.t = T0 + HOUR;
        await store.purgeExpired();
        expect(await store.ended(short.token)).toEqual({ reason: SESSION_END.notLoggedIn, userId: null });
        expect(await store.ended(revoked.token)).toEqual({ reason: SESSION_END.deactivated, userId: CAT });
        clock.t = T0 + REVOKED_KEPT_MS;
        await store.purgeExpired();
        expect(await store.ended(revoked.token)).toEqual({ reason: SESSION_END.notLoggedIn, userId: null });
        expect(await store.lookup(long.token)).toMatchObject({ userId: BEN });
      }));

    it('T10: over a seeded run of creations, revocations, purges and time, a session is returned exactly while live', () =>
      withStore(async (store, clock) => {
        const rand = seeded(21);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
        // The model: each token's owner and expiry, and whether it was revoked.
        const model = new Map<string, { user: string; expiresAt: number; revoked: boolean }>();
        const seen = { live: 0, ended: 0 };
        for (let step = 0; step < 120; step++) {
          const r = rand();
          const tokens = [...model.keys()];
          if (r < 0.35 || tokens.length === 0) {
            const user = pick(USERS);
            const s = await store.create(user, Math.floor(rand() * 4 * HOUR) + 1);
            model.set(s.token, { user, expiresAt: s.expiresAt, revoked: false });
          } else if (r < 0.5) {
            const token = pick(tokens);
            await store.revoke(hashToken(token));
            model.delete(token);
          } else if (r < 0.6) {
            const user = pick(USERS);
            await store.revokeAllFor(user, 'password-reset');
            for (const m of model.values()) if (m.user === user) m.revoked = true;
          } else if (r < 0.7) {
            const token = pick(tokens);
            const m = model.get(token);
            if (!m) continue;
            await store.revokeOthersOf(m.user, hashToken(token), 'password-changed');
            for (const [k, o] of model) if (o.user === m.user && k !== token) o.revoked = true;
          } else if (r < 0.8) {
            await store.purgeExpired();
          } else {
            clock.t += Math.floor(rand() * HOUR);
          }
          for (const [token, m] of model) {
            const live = !m.revoked && m.expiresAt > clock.t;
            seen[live ? 'live' : 'ended']++;
            const found = await store.lookup(token);
            expect(found, `step ${step}`).toEqual(
              live ? { userId: m.user, expiresAt: m.expiresAt, tokenHash: hashToken(token) } : null,
            );
            expect(await store.expiryOfHash(hashToken(token))).toBe(live ? m.expiresAt : null);
          }
        }
        // The run met both kinds many times (the seed is fixed, so this only guards edits to the mix).
        expect(seen.live).toBeGreaterThan(50);
        expect(seen.ended).toBeGreaterThan(50);
      }));
  });
}
