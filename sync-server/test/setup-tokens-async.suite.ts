import { describe, expect, it } from 'vitest';
import type { AsyncSetupTokenStore } from '../src/storage/setup-tokens-async.ts';
import type { AsyncUserStore } from '../src/storage/users-async.ts';

/**
 * The one conformance suite every AsyncSetupTokenStore passes (the SQLite adapter on a real file,
 * PostgreSQL on a fresh database): docs/SCALE-OUT.md §3. `make` gives a fresh database with no accounts, on
 * the clock it is given; each `open` is another process's token and account stores on it.
 */
export type SetupTokenStoreMaker = (now: () => number) => Promise<{
  open: () => { tokens: AsyncSetupTokenStore; users: AsyncUserStore };
  close: () => Promise<void>;
}>;

const TTL = 24 * 3_600_000;

/**
 * POST /api/auth/setup's decision (http/auth-routes.ts): refused once anyone has an account or when the
 * token does not take; else the first admin is created. Each caller brings its own email, so the unique
 * login cannot be what stops the second: only the token can.
 */
const setup = async (
  p: { tokens: AsyncSetupTokenStore; users: AsyncUserStore },
  token: string,
  who: string,
): Promise<'created' | 'refused'> => {
  if ((await p.users.count()) > 0 || !(await p.tokens.consume(token))) return 'refused';
  await p.users.insert({
    id: `u-${who}`,
    email: `${who}@college.test`,
    username: null,
    displayName: who,
    role: 'super_admin',
    passwordHash: `hash-${who}`,
    cohort: null,
  });
  return 'created';
};

export function asyncSetupTokenStoreSuite(name: string, make: SetupTokenStoreMaker): void {
  const withStores = async (
    f: (open: Awaited<ReturnType<SetupTokenStoreMaker>>['open'], clock: { t: number }) => Promise<void>,
  ): Promise<void> => {
    const clock = { t: 1_000_000 };
    const s = await make(() => clock.t);
    try {
      await f(s.open, clock);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncSetupTokenStore conformance: ${name}`, () => {
    it('a token works once, in any instance; a made-up one never; each token is its own', () =>
      withStores(async (open) => {
        const a = open().tokens;
        const first = await a.issue(TTL);
        const second = await a.issue(TTL);
        expect(first).not.toBe(second);
        expect(await a.consume('made-up')).toBe(false);
        expect(await open().tokens.consume(first)).toBe(true);
        expect(await a.consume(first)).toBe(false);
        expect(await a.consume(second)).toBe(true);
      }));

    it('a token expires on the clock', () =>
      withStores(async (open, clock) => {
        const a = open().tokens;
        const token = await a.issue(TTL);
        const later = await a.issue(TTL);
        clock.t += TTL - 1;
        expect(await a.consume(later)).toBe(true);
        clock.t += 1;
        expect(await a.consume(token)).toBe(false);
      }));

    it('two processes using one token at once: exactly one wins, every time', () =>
      withStores(async (open) => {
        const a = open().tokens;
        const b = open().tokens;
        for (let round = 0; round < 20; round++) {
          const token = await a.issue(TTL);
          const won = await Promise.all([a.consume(token), b.consume(token), b.consume(token)]);
          expect(won.filter(Boolean)).toHaveLength(1);
        }
      }));

    it('two processes running the setup with one token at once create exactly one first admin', () =>
      withStores(async (open) => {
        const a = open();
        const b = open();
        const token = await a.tokens.issue(TTL);
        const results = await Promise.all([setup(a, token, 'amy'), setup(b, token, 'ben')]);
        expect(results.filter((r) => r === 'created')).toHaveLength(1);
        expect(await open().users.count()).toBe(1);
        // A later setup, even with a fresh token, finds an account and is refused.
        expect(await setup(b, await b.tokens.issue(TTL), 'cat')).toBe('refused');
      }));
  });
}
