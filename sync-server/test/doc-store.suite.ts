import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocStore } from '../src/storage/doc-store.ts';

/** The one conformance suite every DocStore implementation passes (memory, SQLite; PostgreSQL later). */
export function docStoreSuite(name: string, make: () => { store: DocStore; close?: () => void }): void {
  describe(`DocStore conformance: ${name}`, () => {
    const update = (text: string, base?: Y.Doc): { u: Uint8Array; doc: Y.Doc } => {
      const doc = base ?? new Y.Doc();
      const before = Y.encodeStateVector(doc);
      doc.getArray('msgs').push([{ text }]);
      return { u: Y.encodeStateAsUpdate(doc, before), doc };
    };

    it('returns nothing for an unknown document', () => {
      const { store, close } = make();
      expect(store.load('c/x/0/idx')).toEqual({ updates: [], lastId: 0 });
      expect(store.count('c/x/0/idx')).toBe(0);
      close?.();
    });

    it('appends in order and keeps documents apart', () => {
      const { store, close } = make();
      const a1 = update('a1');
      const a2 = update('a2', a1.doc);
      const b1 = update('b1');
      store.appendBatch([
        { doc: 'A', data: a1.u },
        { doc: 'B', data: b1.u },
      ]);
      store.appendBatch([{ doc: 'A', data: a2.u }]);
      const loaded = store.load('A');
      expect(loaded.updates.map((u) => [...u])).toEqual([[...a1.u], [...a2.u]]);
      expect(loaded.lastId).toBeGreaterThan(0);
      expect(store.count('B')).toBe(1);
      close?.();
    });

    it('runs the side effects inside the batch and stores nothing when they throw', () => {
      const { store, close } = make();
      let ran = false;
      store.appendBatch([{ doc: 'A', data: update('x').u }], () => {
        ran = true;
      });
      expect(ran).toBe(true);
      expect(() =>
        store.appendBatch([{ doc: 'A', data: update('y').u }], () => {
          throw new Error('projection failed');
        }),
      ).toThrow('projection failed');
      expect(store.count('A')).toBe(1);
      close?.();
    });

    it('compaction replaces earlier updates with one state and keeps later ones', () => {
      const { store, close } = make();
      const doc = new Y.Doc();
      for (let i = 0; i < 5; i++) store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
      const { lastId } = store.load('A');
      store.compact('A', lastId, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));
      const later = update('after', doc);
      store.appendBatch([{ doc: 'A', data: later.u }]);
      expect(store.count('A')).toBe(2);
      const replay = new Y.Doc();
      for (const u of store.load('A').updates) Y.applyUpdate(replay, u);
      expect(replay.getArray('msgs').toJSON()).toEqual(doc.getArray('msgs').toJSON());
      close?.();
    });

    it('head: the number of updates and the newest id, the same as loading them says', () => {
      const { store, close } = make();
      expect(store.head('A')).toEqual({ count: 0, lastId: 0, compacted: false });
      const doc = new Y.Doc();
      for (let i = 0; i < 3; i++) store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
      store.appendBatch([{ doc: 'B', data: update('b').u }]);
      expect(store.head('A')).toEqual({ count: 3, lastId: store.load('A').lastId, compacted: false });
      expect(store.head('B')).toMatchObject({ count: 1, compacted: false });
      store.compact('A', store.load('A').lastId, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));
      expect(store.head('A')).toEqual({ count: 1, lastId: store.load('A').lastId, compacted: true });
      store.appendBatch([{ doc: 'A', data: update('later', doc).u }]);
      expect(store.head('A')).toMatchObject({ count: 2, compacted: false });
      close?.();
    });

    it('a compacted state alone comes with its state vector; once anything is stored after it, without', () => {
      const { store, close } = make();
      const doc = new Y.Doc();
      for (let i = 0; i < 3; i++) store.appendBatch([{ doc: 'A', data: update(`m${i}`, doc).u }]);
      expect(store.load('A').stateVector).toBeUndefined();
      const sv = Y.encodeStateVector(doc);
      store.compact('A', store.load('A').lastId, Y.encodeStateAsUpdate(doc), sv);
      expect([...(store.load('A').stateVector ?? [])]).toEqual([...sv]);
      store.appendBatch([{ doc: 'A', data: update('later', doc).u }]);
      expect(store.load('A').stateVector).toBeUndefined();
      expect(store.load('B').stateVector).toBeUndefined();
      // Compacted again (later updates included): the new state vector.
      store.compact('A', store.load('A').lastId, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));
      expect([...(store.load('A').stateVector ?? [])]).toEqual([...Y.encodeStateVector(doc)]);
      close?.();
    });

    it('returns copies: changing what was passed in or loaded changes nothing stored', () => {
      const { store, close } = make();
      const { u } = update('x');
      const kept = [...u];
      store.appendBatch([{ doc: 'A', data: u }]);
      u.fill(0);
      expect([...(store.load('A').updates[0] ?? [])]).toEqual(kept);
      close?.();
    });

    it('durable(): resolves once what was appended is durable, again and again, and with nothing new', async () => {
      const { store, close } = make();
      await store.durable();
      store.appendBatch([{ doc: 'A', data: update('a1').u }]);
      const first = store.durable();
      store.appendBatch([{ doc: 'A', data: update('a2').u }]);
      await Promise.all([first, store.durable(), store.durable()]);
      expect(store.count('A')).toBe(2);
      await store.durable();
      close?.();
    });
  });
}
