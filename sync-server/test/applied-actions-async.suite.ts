import { describe, expect, it } from 'vitest';
import type { AsyncAppliedActions } from '../src/storage/applied-actions-async.ts';
import type { AsyncDocStore } from '../src/storage/doc-store-async.ts';
import { someUpdate } from './commit-backends.ts';

/**
 * The one conformance suite every AsyncAppliedActions passes (the SQLite adapter on a real file, PostgreSQL
 * on a fresh database): docs/SCALE-OUT.md §1–§3, P14. Records are written through the document store's
 * commit (`appendBatch(…, alongside)`), as the commit queue writes them.
 */
export type AppliedActionsMaker<Tx> = () => Promise<{
  store: AsyncAppliedActions<Tx>;
  docs: AsyncDocStore<Tx>;
  close: () => Promise<void>;
}>;

export function asyncAppliedActionsSuite<Tx>(name: string, make: AppliedActionsMaker<Tx>): void {
  const withStore = async (
    f: (store: AsyncAppliedActions<Tx>, docs: AsyncDocStore<Tx>) => Promise<void>,
  ): Promise<void> => {
    const s = await make();
    try {
      await f(s.store, s.docs);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncAppliedActions conformance: ${name}`, () => {
    it('recorded ids are found for their user only, in the order and as often as asked', () =>
      withStore(async (store, docs) => {
        expect(await store.storedOf('amy', ['a1', 'a2'])).toEqual([]);
        expect(await store.storedOf('amy', [])).toEqual([]);
        await docs.appendBatch([], (tx) => store.record(tx, 'amy', ['a1', 'a3'], 1_000));
        expect(await store.storedOf('amy', ['a3', 'a2', 'a1', 'a3'])).toEqual(['a3', 'a1', 'a3']);
        // Ids are per user: one person's ids never block another's actions.
        expect(await store.storedOf('ben', ['a1', 'a3'])).toEqual([]);
      }));

    it('recording a stored id again, or one id twice at once, is no error and keeps the first time', () =>
      withStore(async (store, docs) => {
        await docs.appendBatch([], (tx) => store.record(tx, 'amy', ['a1'], 1_000));
        await docs.appendBatch([], async (tx) => {
          await store.record(tx, 'amy', ['a1', 'a2', 'a2'], 5_000);
          await store.record(tx, 'amy', [], 5_000);
        });
        expect(await store.storedOf('amy', ['a1', 'a2'])).toEqual(['a1', 'a2']);
        // The record of a1 is still from 1 000: pruning before 2 000 takes it and leaves a2.
        expect(await store.prune(2_000)).toBe(1);
        expect(await store.storedOf('amy', ['a1', 'a2'])).toEqual(['a2']);
      }));

    it('pruning forgets records made strictly before the time, for every user, and says how many', () =>
      withStore(async (store, docs) => {
        await docs.appendBatch([], async (tx) => {
          await store.record(tx, 'amy', ['old1', 'old2'], 1_000);
          await store.record(tx, 'ben', ['old3'], 1_999);
          await store.record(tx, 'ben', ['edge'], 2_000);
          await store.record(tx, 'amy', ['new'], 3_000);
        });
        expect(await store.prune(2_000)).toBe(3);
        expect(await store.prune(2_000)).toBe(0);
        expect(await store.storedOf('amy', ['old1', 'old2', 'new'])).toEqual(['new']);
        expect(await store.storedOf('ben', ['old3', 'edge'])).toEqual(['edge']);
      }));

    it('a commit whose alongside throws after recording stores neither the updates nor the records (P4)', () =>
      withStore(async (store, docs) => {
        await expect(
          docs.appendBatch([{ doc: 'author-doc', data: someUpdate('react') }], async (tx) => {
            await store.record(tx, 'amy', ['a1'], 1_000);
            throw new Error('the commit fails after the records');
          }),
        ).rejects.toThrow('the commit fails after the records');
        expect(await docs.count('author-doc')).toBe(0);
        expect(await store.storedOf('amy', ['a1'])).toEqual([]);
      }));
  });
}
