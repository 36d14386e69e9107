import { describe, expect, it } from 'vitest';
import type { AsyncPasswordLinks } from '../src/storage/password-links-async.ts';

/**
 * The one conformance suite every AsyncPasswordLinks passes (the SQLite adapter on a real file, PostgreSQL
 * on a fresh database): docs/SCALE-OUT.md §3, issue 13 §2. `make` gives a fresh database whose accounts
 * `USERS` exist, on the clock it is given; each `open` is another instance on it (another process).
 */
export const USERS = ['u-ana', 'u-ben', 'u-adm'] as const;
const [ANA, BEN, ADM] = USERS;
const TTL = 60_000;

export type PasswordLinksMaker = (now: () => number) => Promise<{
  open: () => AsyncPasswordLinks;
  close: () => Promise<void>;
}>;

export function asyncPasswordLinksSuite(name: string, make: PasswordLinksMaker): void {
  const withLinks = async (
    f: (open: () => AsyncPasswordLinks, clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: 1_000_000 };
    const s = await make(() => clock.t);
    try {
      await f(s.open, clock);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncPasswordLinks conformance: ${name}`, () => {
    it('a link is valid until used, used once, then says so', () =>
      withLinks(async (open, clock) => {
        const a = open();
        const { token, expiresAt } = await a.issue(ANA, ADM, TTL);
        expect(expiresAt).toBe(clock.t + TTL);
        expect(await open().check(token)).toEqual({ state: 'valid', userId: ANA });
        expect(await a.consume(token)).toEqual({ userId: ANA });
        expect(await a.consume(token)).toEqual({ state: 'used' });
        expect(await open().check(token)).toEqual({ state: 'used', userId: ANA });
        expect(await a.check('made-up')).toEqual({ state: 'invalid', userId: null });
        expect(await a.consume('made-up')).toEqual({ state: 'invalid' });
      }));

    it('a link expires on the clock', () =>
      withLinks(async (open, clock) => {
        const a = open();
        const { token } = await a.issue(ANA, null, TTL);
        clock.t += TTL - 1;
        expect((await a.check(token)).state).toBe('valid');
        clock.t += 1;
        expect(await a.check(token)).toEqual({ state: 'expired', userId: ANA });
        expect(await a.consume(token)).toEqual({ state: 'expired' });
      }));

    it("a new link replaces the person's unused ones (not a used one, nor someone else's)", () =>
      withLinks(async (open, clock) => {
        const a = open();
        const used = await a.issue(ANA, ADM, TTL);
        await a.consume(used.token);
        clock.t++;
        const first = await a.issue(ANA, ADM, TTL);
        const bens = await a.issue(BEN, ADM, TTL);
        clock.t++;
        const second = await open().issue(ANA, ADM, TTL);
        expect((await a.check(first.token)).state).toBe('invalid');
        expect(await a.consume(first.token)).toEqual({ state: 'invalid' });
        expect((await a.check(used.token)).state).toBe('used');
        expect((await a.check(bens.token)).state).toBe('valid');
        expect(await a.consume(second.token)).toEqual({ userId: ANA });
      }));

    it('two instances using one link at once: exactly one wins, every time', () =>
      withLinks(async (open) => {
        const a = open();
        const b = open();
        for (let round = 0; round < 20; round++) {
          const { token } = await a.issue(round % 2 === 0 ? ANA : BEN, ADM, TTL);
          const results = await Promise.all([a.consume(token), b.consume(token), b.consume(token)]);
          expect(results.filter((r) => 'userId' in r)).toHaveLength(1);
          expect(results.filter((r) => 'state' in r)).toEqual([{ state: 'used' }, { state: 'used' }]);
        }
      }));

    it('two instances issuing for one person at once leave exactly one valid link', () =>
      withLinks(async (open) => {
        const a = open();
        const b = open();
        for (let round = 0; round < 10; round++) {
          const issued = await Promise.all([
            a.issue(ANA, ADM, TTL),
            b.issue(ANA, ADM, TTL),
            a.issue(ANA, ADM, TTL),
          ]);
          const states = await Promise.all(issued.map((l) => a.check(l.token)));
          expect(states.filter((s) => s.state === 'valid')).toHaveLength(1);
        }
      }));
  });
}
