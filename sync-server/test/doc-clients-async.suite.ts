import { describe, expect, it } from 'vitest';
import type { AsyncDocClients } from '../src/storage/doc-clients-async.ts';
import type { AsyncDocStore } from '../src/storage/doc-store-async.ts';
import { someUpdate } from './commit-backends.ts';

/**
 * The one conformance suite every AsyncDocClients passes (the SQLite adapter on a real file, PostgreSQL on
 * a fresh database): docs/SCALE-OUT.md §1–§3, docs/THREAT_MODEL.md T13. Bindings are written through the
 * document store's commit (`appendBatch(…, alongside)`), with the update that first used the ids.
 */
export type DocClientsMaker<Tx> = () => Promise<{
  store: AsyncDocClients<Tx>;
  docs: AsyncDocStore<Tx>;
  close: () => Promise<void>;
}>;

/** The largest Yjs client id (unsigned 32-bit), above a 32-bit signed integer. */
const MAX_CLIENT_ID = 2 ** 32 - 1;

export function asyncDocClientsSuite<Tx>(name: string, make: DocClientsMaker<Tx>): void {
  const withStore = async (
    f: (store: AsyncDocClients<Tx>, docs: AsyncDocStore<Tx>) => Promise<void>,
  ): Promise<void> => {
    const s = await make();
    try {
      await f(s.store, s.docs);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncDocClients conformance: ${name}`, () => {
    it('bound client ids are looked up per document, up to the largest Yjs client id', () =>
      withStore(async (store, docs) => {
        expect(await store.ownersOf('shared-1')).toEqual(new Map());
        await docs.appendBatch([{ doc: 'shared-1', data: someUpdate('hi') }], async (tx) => {
          await store.bind(tx, 'shared-1', [1, MAX_CLIENT_ID], 'amy');
          await store.bind(tx, 'shared-1', [], 'amy');
        });
        await docs.appendBatch([], (tx) => store.bind(tx, 'shared-2', [1], 'ben'));
        expect(await store.ownersOf('shared-1')).toEqual(
          new Map([
            [1, 'amy'],
            [MAX_CLIENT_ID, 'amy'],
          ]),
        );
        expect(await store.ownersOf('shared-2')).toEqual(new Map([[1, 'ben']]));
      }));

    it('T13: a client id bound to one person stays theirs when another binds it (the first binding is kept)', () =>
      withStore(async (store, docs) => {
        await docs.appendBatch([], (tx) => store.bind(tx, 'shared-1', [7], 'amy'));
        // Ben's bind of 7 is ignored, as SQLite's OR IGNORE does, while his new id 8 is bound in the same call.
        await docs.appendBatch([], (tx) => store.bind(tx, 'shared-1', [7, 8], 'ben'));
        await docs.appendBatch([], (tx) => store.bind(tx, 'shared-1', [7], 'amy'));
        expect(await store.ownersOf('shared-1')).toEqual(
          new Map([
            [7, 'amy'],
            [8, 'ben'],
          ]),
        );
      }));

    it('a commit whose alongside throws after binding stores neither the update nor the bindings (P4)', () =>
      withStore(async (store, docs) => {
        await expect(
          docs.appendBatch([{ doc: 'shared-1', data: someUpdate('hi') }], async (tx) => {
            await store.bind(tx, 'shared-1', [7], 'amy');
            throw new Error('the commit fails after the bindings');
          }),
        ).rejects.toThrow('the commit fails after the bindings');
        expect(await docs.count('shared-1')).toBe(0);
        expect(await store.ownersOf('shared-1')).toEqual(new Map());
        // Not bound by the failed commit, the id is still free for whoever writes with it first.
        await docs.appendBatch([], (tx) => store.bind(tx, 'shared-1', [7], 'ben'));
        expect(await store.ownersOf('shared-1')).toEqual(new Map([[7, 'ben']]));
      }));
  });
}
