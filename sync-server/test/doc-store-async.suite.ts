import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { AsyncDocStore } from '../src/storage/doc-store-async.ts';

/**
 * The one conformance suite every AsyncDocStore passes (the SQLite adapter, PostgreSQL): the cases of the
 * synchronous suite (doc-store.suite.ts) plus what only an async store can get wrong: several stores on one
 * database appending to one document at once. `make` gives a store on a fresh database; `second` (when
 * given) another store, with its own connections, on the same database as the last `make`.
 */
export type AsyncStoreMaker<Tx> = () => Promise<{
  store: AsyncDocStore<Tx>;
  second?: () => Promise<AsyncDocStore<Tx>>;
  close: () => Promise<void>;
}>;

const update = (text: string, base?: Y.Doc): { u: Uint8Array; doc: Y.Doc } => {
  const doc = base ?? new Y.Doc();
  const before = Y.encodeStateVector(doc);
  doc.getArray('msgs').push([{ text }]);
  return { u: Y.encodeStateAsUpdate(doc, before), doc };
};

const texts = (updates: Uint8Array[]): string[] => {
  const doc = new Y.Doc();
  for (const u of updates) Y.applyUpdate(doc, u);
  return doc.getArray<{ text: string }>('msgs').map((m) => m.text);
};

export function asyncDocStoreSuite<Tx>(name: string, make: AsyncStoreMaker<Tx>): void {
  /** Runs `f` on a fresh store and closes it whatever happens. */
  const withStore = async (
    f: (s: Awaited<ReturnType<AsyncStoreMaker<Tx>>>) => Promise<void>,
  ): Promise<void> => {
    const s = await make();
    try {
      await f(s);
    } finally {
      await s.close();
    }
  };

  describe(`AsyncDocStore conformance: ${name}`, () => {
    it('returns nothing for an unknown document', () =>
      withStore(async ({ store }) => {
        expect(await store.load('c/x/0/idx')).toEqual({ updates: [], lastId: 0 });
        expect(await store.count('c/x/0/idx')).toBe(0);
      }));

    it('appends in order and keeps documents apart', () =>
      withStore(async ({ store }) => {
        const a1 = update('a1');
        const a2 = update('a2', a1.doc);
        const b1 = update('b1');
        await store.appendBatch([
          { doc: 'A', data: a1.u },
          { doc: 'B', data: b1.u },
        ]);
        await store.appendBatch([{ doc: 'A', data: a2.u }]);
        const loaded = await store.load('A');
        expect(loaded.updates.map((u) => [...u])).toEqual([[...a1.u], [...a2.u]]);
        expect(loaded.lastId).toBeGreaterThan(0);
        expect(await store.count('B')).toBe(1);
      }));

    it('several updates of one document in one batch keep their order', () =>
      withStore(async ({ store }) => {
        const doc = new Y.Doc();
        const us = ['m0', 'm1', 'm2', 'm3'].map((t) => update(t, doc).u);
        await store.appendBatch([
          { doc: 'A', data: us[0] ?? new Uint8Array() },
          { doc: 'B', data: update('b').u },
          ...us.slice(1).map((data) => ({ doc: 'A', data })),
        ]);
        expect((await store.load('A')).updates.map((u) => [...u])).toEqual(us.map((u) => [...u]));
        expect(await store.head('A')).toMatchObject({ count: 4 });
      }));

    it('runs the side effects inside the batch, with its transaction, and stores nothing when they fail', () =>
      withStore(async ({ store }) => {
        let got: unknown = null;
        await store.appendBatch([{ doc: 'A', data: update('x').u }], async (tx) => {
          got = tx;
        });
        expect(got).not.toBeNull();
        await expect(
          store.appendBatch([{ doc: 'A', data: update('y').u }], async () => {
            await Promise.resolve();
            throw new Error('projection failed');
          }),
        ).rejects.toThrow('projection failed');
        expect(await store.count('A')).toBe(1);
        // The store is usable after a failed batch.
        await store.appendBatch([{ doc: 'A', data: update('z').u }]);
        expect(await store.count('A')).toBe(2);
      }));

    it('compaction replaces earlier updates with one state and keeps later ones', () =>
      withStore(async ({ store }) => {
        const doc = new Y.Doc();
        for (let i = 0; i < 5; i++) await store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
        const { lastId } = await store.load('A');
        await store.compact('A', lastId, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));
        await store.appendBatch([{ doc: 'A', data: update('after', doc).u }]);
        expect(await store.count('A')).toBe(2);
        expect(texts((await store.load('A')).updates)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'after']);
      }));

    it('head: the number of updates and the newest id, the same as loading them says', () =>
      withStore(async ({ store }) => {
        expect(await store.head('A')).toEqual({ count: 0, lastId: 0, compacted: false });
        const doc = new Y.Doc();
        for (let i = 0; i < 3; i++) await store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
        await store.appendBatch([{ doc: 'B', data: update('b').u }]);
        const loaded = await store.load('A');
        expect(await store.head('A')).toEqual({ count: 3, lastId: loaded.lastId, compacted: false });
        expect(await store.head('B')).toMatchObject({ count: 1, compacted: false });
        await store.compact('A', loaded.lastId, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));
        expect(await store.head('A')).toEqual({ count: 1, lastId: loaded.lastId, compacted: true });
        await store.appendBatch([{ doc: 'A', data: update('later', doc).u }]);
        expect(await store.head('A')).toMatchObject({ count: 2, compacted: false });
      }));

    it('a compacted state alone comes with its state vector; once anything is stored after it, without', () =>
      withStore(async ({ store }) => {
        const doc = new Y.Doc();
        for (let i = 0; i < 3; i++) await store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
        expect((await store.load('A')).stateVector).toBeUndefined();
        const sv = Y.encodeStateVector(doc);
        await store.compact('A', (await store.load('A')).lastId, Y.encodeStateAsUpdate(doc), sv);
        expect([...((await store.load('A')).stateVector ?? [])]).toEqual([...sv]);
        await store.appendBatch([{ doc: 'A', data: update('later', doc).u }]);
        expect((await store.load('A')).stateVector).toBeUndefined();
        expect((await store.load('B')).stateVector).toBeUndefined();
        const again = Y.encodeStateVector(doc);
        await store.compact('A', (await store.load('A')).lastId, Y.encodeStateAsUpdate(doc), again);
        expect([...((await store.load('A')).stateVector ?? [])]).toEqual([...again]);
      }));

    it('loadAfter: what a replica holding up to an id lacks; across a compaction, the compacted state', () =>
      withStore(async ({ store }) => {
        expect(await store.loadAfter('A', 0)).toEqual({ updates: [], lastId: 0 });
        const doc = new Y.Doc();
        const ids: number[] = [];
        for (let i = 0; i < 4; i++) {
          await store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
          ids.push((await store.head('A')).lastId);
          await store.appendBatch([{ doc: 'B', data: update(`b${i}`).u }]);
        }
        const [, second = 0, , newest = 0] = ids;
        const all = (await store.load('A')).updates.map((u) => [...u]);
        const fromStart = await store.loadAfter('A', 0);
        expect(fromStart.updates.map((u) => [...u])).toEqual(all);
        expect(fromStart.lastId).toBe(newest);
        const tail = await store.loadAfter('A', second);
        expect(tail.updates.map((u) => [...u])).toEqual(all.slice(2));
        expect(tail.lastId).toBe(newest);
        expect(await store.loadAfter('A', newest)).toEqual({ updates: [], lastId: newest });
        // Compacted: a replica behind gets the one compacted state, which holds everything.
        await store.compact('A', newest, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));
        const caught = await store.loadAfter('A', second);
        expect(caught.updates).toHaveLength(1);
        expect(caught.lastId).toBe(newest);
        expect(texts(caught.updates)).toEqual(['m0', 'm1', 'm2', 'm3']);
        // A replica at the compacted id lacks nothing; a later update comes alone.
        expect(await store.loadAfter('A', newest)).toEqual({ updates: [], lastId: newest });
        await store.appendBatch([{ doc: 'A', data: update('later', doc).u }]);
        const later = await store.loadAfter('A', newest);
        expect(texts([...caught.updates, ...later.updates])).toEqual(['m0', 'm1', 'm2', 'm3', 'later']);
        expect(later.updates).toHaveLength(1);
        expect(later.lastId).toBeGreaterThan(newest);
      }));

    it('returns copies: changing what was passed in or loaded changes nothing stored', () =>
      withStore(async ({ store }) => {
        const { u } = update('x');
        const kept = [...u];
        await store.appendBatch([{ doc: 'A', data: u }]);
        u.fill(0);
        const first = (await store.load('A')).updates[0];
        expect([...(first ?? [])]).toEqual(kept);
        first?.fill(0);
        expect([...((await store.load('A')).updates[0] ?? [])]).toEqual(kept);
      }));

    it('two stores on one database appending to one document at once: one order, ids only rise', () =>
      withStore(async ({ store, second }) => {
        if (!second) throw new Error(`${name}: the maker gives no second store for this case`);
        const other = await second();
        const writers = [store, other].map((s, w) => ({ s, w, lastIds: [] as number[] }));
        const BATCHES = 15;
        // A replica catching up with loadAfter while they write: ids rise in commit order, so it never
        // skips an update committed before the newest it has seen.
        const replica: Uint8Array[] = [];
        let replicaAt = 0;
        const catchUp = async (): Promise<void> => {
          const r = await other.loadAfter('A', replicaAt);
          replica.push(...r.updates);
          replicaAt = r.lastId;
        };
        let writing = true;
        const reading = (async () => {
          while (writing) {
            await catchUp();
            // A store answering from memory resolves at once: yield so the writers' turns come.
            await new Promise((r) => setImmediate(r));
          }
        })();
        await Promise.all(
          writers.map(async ({ s, w, lastIds }) => {
            for (let i = 0; i < BATCHES; i++) {
              // One or two updates per batch; another document in every third, as a group commit has. Each
              // update stands alone (its own Y.Doc), so the stored order can be read update by update.
              const batch = [{ doc: 'A', data: update(`w${w}-${i}a`).u }];
              if (i % 2 === 0) batch.push({ doc: 'A', data: update(`w${w}-${i}b`).u });
              if (i % 3 === 0) batch.push({ doc: `B${w}`, data: update(`other${i}`).u });
              await s.appendBatch(batch);
              lastIds.push((await s.head('A')).lastId);
            }
          }),
        );
        writing = false;
        await reading;
        await catchUp();
        const [one, two] = await Promise.all([store.load('A'), other.load('A')]);
        expect(replica.map((u) => [...u])).toEqual(one.updates.map((u) => [...u]));
        expect(one.updates.map((u) => [...u])).toEqual(two.updates.map((u) => [...u]));
        const perBatch = Math.ceil(BATCHES / 2) + BATCHES;
        expect(one.updates).toHaveLength(2 * perBatch);
        const seen = one.updates.map((u) => texts([u]).join());
        for (const { w, lastIds } of writers) {
          // Each writer's own updates are stored in the order it committed them…
          const mine = seen.filter((t) => t.startsWith(`w${w}-`));
          const expected = Array.from({ length: BATCHES }, (_, i) =>
            i % 2 === 0 ? [`w${w}-${i}a`, `w${w}-${i}b`] : [`w${w}-${i}a`],
          ).flat();
          expect(mine).toEqual(expected);
          // …and the newest id it sees after each of its commits only rises.
          for (let i = 1; i < lastIds.length; i++)
            expect(lastIds[i]).toBeGreaterThan(lastIds[i - 1] ?? Number.POSITIVE_INFINITY);
        }
      }));
  });
}
