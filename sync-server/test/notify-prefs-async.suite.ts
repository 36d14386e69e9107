import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFS, type PersonPrefs } from '../src/storage/notify-prefs.ts';
import type { AsyncNotifyPrefStore } from '../src/storage/notify-prefs-async.ts';

/**
 * The one conformance suite every AsyncNotifyPrefStore passes (the SQLite adapter on a real file,
 * PostgreSQL on a fresh database): docs/SCALE-OUT.md §2, §3, issue 15 §2. `make` gives a fresh database
 * whose accounts `USERS` and conversations `CONVERSATIONS` exist; each `open` is another store instance on
 * it (loading what is stored, as a process starting would), with its own memory.
 */
export const USERS = ['u-ana', 'u-ben', 'u-cat'] as const;
export const CONVERSATIONS = ['c-gen', 'c-bio'] as const;
const [ANA, BEN, CAT] = USERS;
const [GEN, BIO] = CONVERSATIONS;

export type NotifyPrefStoreMaker = () => Promise<{
  open: () => Promise<AsyncNotifyPrefStore>;
  close: () => Promise<void>;
}>;

export function asyncNotifyPrefStoreSuite(name: string, make: NotifyPrefStoreMaker): void {
  const withStores = async (
    f: (open: () => Promise<AsyncNotifyPrefStore>) => Promise<void>,
  ): Promise<void> => {
    const s = await make();
    try {
      await f(s.open);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncNotifyPrefStore conformance: ${name}`, () => {
    it('a person who chose nothing has the defaults, and nobody wants every message', () =>
      withStores(async (open) => {
        const store = await open();
        expect(store.of(ANA)).toEqual(DEFAULT_PREFS);
        expect(store.conversation(ANA, GEN)).toBe('default');
        expect(store.mayWantEvery(GEN)).toBe(false);
        expect(store.wantsEvery(ANA, GEN)).toBe(false);
      }));

    it('a level and quiet hours are stored whole: own window, off, the workspace', () =>
      withStores(async (open) => {
        const store = await open();
        const choices: PersonPrefs[] = [
          { level: 'nothing', quiet: { start: 1320, end: 420 } },
          { level: 'mentions', quiet: 'off' },
          { level: 'all', quiet: 'workspace' },
        ];
        for (const p of choices) {
          await store.put(ANA, p);
          expect(store.of(ANA)).toEqual(p);
          expect((await open()).of(ANA)).toEqual(p);
        }
        expect(store.of(BEN)).toEqual(DEFAULT_PREFS);
      }));

    it("level 'all' wants every message anywhere; a conversation's own choice overrides the level", () =>
      withStores(async (open) => {
        const store = await open();
        await store.put(ANA, { level: 'all', quiet: 'workspace' });
        expect(store.mayWantEvery(BIO)).toBe(true);
        expect(store.wantsEvery(ANA, BIO)).toBe(true);
        expect(store.wantsEvery(BEN, BIO)).toBe(false);
        await store.setConversation(ANA, BIO, 'muted');
        expect(store.conversation(ANA, BIO)).toBe('muted');
        expect(store.wantsEvery(ANA, BIO)).toBe(false);
        expect(store.wantsEvery(ANA, GEN)).toBe(true);
        await store.put(ANA, { level: 'mentions', quiet: 'workspace' });
        expect(store.mayWantEvery(GEN)).toBe(false);
        await store.setConversation(BEN, GEN, 'all');
        expect(store.mayWantEvery(GEN)).toBe(true);
        expect(store.mayWantEvery(BIO)).toBe(false);
        expect(store.wantsEvery(BEN, GEN)).toBe(true);
        await store.setConversation(BEN, GEN, 'default');
        expect(store.conversation(BEN, GEN)).toBe('default');
        expect(store.mayWantEvery(GEN)).toBe(false);
      }));

    it('a store opened later (a process starting) loads every choice', () =>
      withStores(async (open) => {
        const store = await open();
        await store.put(ANA, { level: 'nothing', quiet: 'off' });
        await store.setConversation(BEN, BIO, 'all');
        await store.setConversation(CAT, GEN, 'mentions');
        const later = await open();
        expect(later.of(ANA)).toEqual({ level: 'nothing', quiet: 'off' });
        expect(later.conversation(BEN, BIO)).toBe('all');
        expect(later.conversation(CAT, GEN)).toBe('mentions');
        expect(later.mayWantEvery(BIO)).toBe(true);
        expect(later.of(CAT)).toEqual(DEFAULT_PREFS);
      }));

    it("§2: another instance answers from memory until it refreshes that person's choices", () =>
      withStores(async (open) => {
        const a = await open();
        const b = await open();
        await a.put(ANA, { level: 'all', quiet: 'off' });
        await a.setConversation(ANA, GEN, 'muted');
        expect(b.of(ANA)).toEqual(DEFAULT_PREFS);
        expect(b.mayWantEvery(BIO)).toBe(false);
        await b.refresh(ANA);
        expect(b.of(ANA)).toEqual({ level: 'all', quiet: 'off' });
        expect(b.wantsEvery(ANA, GEN)).toBe(false);
        expect(b.mayWantEvery(BIO)).toBe(true);
        await a.setConversation(ANA, GEN, 'default');
        await a.put(ANA, { level: 'mentions', quiet: 'workspace' });
        await b.refresh(ANA);
        expect(b.conversation(ANA, GEN)).toBe('default');
        expect(b.mayWantEvery(BIO)).toBe(false);
        // A refresh of someone with no rows leaves the defaults.
        await b.refresh(CAT);
        expect(b.of(CAT)).toEqual(DEFAULT_PREFS);
      }));

    it('writes at once to one person leave the memory as what was stored last', () =>
      withStores(async (open) => {
        const store = await open();
        const levels = ['all', 'nothing', 'mentions', 'all', 'nothing', 'mentions'] as const;
        await Promise.all([
          ...levels.map((level, i) => store.put(ANA, { level, quiet: i % 2 ? 'off' : 'workspace' })),
          ...levels.map((level, i) =>
            store.setConversation(ANA, i % 2 ? GEN : BIO, level === 'nothing' ? 'muted' : level),
          ),
        ]);
        const stored = await open();
        expect(store.of(ANA)).toEqual(stored.of(ANA));
        for (const c of CONVERSATIONS) expect(store.conversation(ANA, c)).toBe(stored.conversation(ANA, c));
        expect(store.mayWantEvery(GEN)).toBe(stored.mayWantEvery(GEN));
      }));
  });
}
