import { describe, expect, it } from 'vitest';
import type { EngineStorage, OutboxEntry } from '../src/storage.ts';

/** The one conformance suite for device storage: memory here, IndexedDB (Dexie) in the client. */
export function engineStorageSuite(name: string, make: () => Promise<EngineStorage>): void {
  const entry = (id: string, order: number): OutboxEntry => ({
    id,
    order,
    conversationId: 'c1',
    doc: 'c/c1/0/u/u1',
    kind: 'send',
    payload: { id, text: `text ${id}`, ts: order },
    createdAt: order,
    update: new Uint8Array([order, 1, 2]),
    status: 'pending',
    error: null,
  });

  describe(`EngineStorage conformance: ${name}`, () => {
    it('stores document updates in order and forgets them on delete', async () => {
      const s = await make();
      await s.appendDocUpdate('d1', new Uint8Array([1]));
      await s.appendDocUpdate('d1', new Uint8Array([2]));
      await s.appendDocUpdate('d2', new Uint8Array([9]));
      expect((await s.loadDoc('d1')).map((u) => [...u])).toEqual([[1], [2]]);
      expect((await s.listDocs()).sort()).toEqual(['d1', 'd2']);
      await s.replaceDoc('d1', new Uint8Array([3]));
      expect((await s.loadDoc('d1')).map((u) => [...u])).toEqual([[3]]);
      await s.deleteDoc('d1');
      expect(await s.loadDoc('d1')).toEqual([]);
    });

    it('commits a local change and its outbox entry together; lists the outbox in action order', async () => {
      const s = await make();
      await s.commitLocal('c/c1/0/u/u1', new Uint8Array([7]), entry('b', 2));
      await s.commitLocal('c/c1/0/u/u1', new Uint8Array([8]), entry('a', 1));
      expect((await s.loadDoc('c/c1/0/u/u1')).map((u) => [...u])).toEqual([[7], [8]]);
      const out = await s.listOutbox();
      expect(out.map((e) => e.id)).toEqual(['a', 'b']);
      expect([...(out[0]?.update ?? [])]).toEqual([1, 1, 2]);
      await s.putOutbox({ ...entry('a', 1), status: 'rejected', error: { code: 'x', message: 'no' } });
      expect((await s.listOutbox())[0]).toMatchObject({
        id: 'a',
        status: 'rejected',
        error: { code: 'x', message: 'no' },
      });
      await s.deleteOutbox('a');
      expect((await s.listOutbox()).map((e) => e.id)).toEqual(['b']);
    });

    it('keeps metadata and clears everything on logout', async () => {
      const s = await make();
      await s.setMeta('me', { id: 'u1', nested: [1, 2] });
      expect(await s.getMeta('me')).toEqual({ id: 'u1', nested: [1, 2] });
      expect(await s.getMeta('missing')).toBeUndefined();
      await s.appendDocUpdate('d', new Uint8Array([1]));
      await s.commitLocal('d', new Uint8Array([2]), entry('z', 1));
      await s.clear();
      expect(await s.getMeta('me')).toBeUndefined();
      expect(await s.listDocs()).toEqual([]);
      expect(await s.listOutbox()).toEqual([]);
    });

    it("stores a replay's change, its entries and its finished entries in one request", async () => {
      const s = await make();
      await s.commitLocal('d', new Uint8Array([1]), entry('a', 1));
      await s.commitLocal('d', new Uint8Array([2]), entry('b', 2));
      await s.commitReplay(
        'd',
        new Uint8Array([5]),
        [{ ...entry('b', 2), update: new Uint8Array([5]) }],
        ['a'],
      );
      expect((await s.loadDoc('d')).map((u) => [...u])).toEqual([[1], [2], [5]]);
      const out = await s.listOutbox();
      expect(out.map((e) => [e.id, [...(e.update ?? [])]])).toEqual([['b', [5]]]);
      await s.commitReplay('d', null, [], ['b']);
      expect(await s.listOutbox()).toEqual([]);
      expect((await s.loadDoc('d')).length).toBe(3);
    });

    it("P12: a rebuild's clearing forgets the copy and the waiting entries' updates in one write", async () => {
      const s = await make();
      const doc = 'c/c1/0/u/u1';
      const other = { ...entry('c', 3), doc: 'c/c1/0/u/u2' };
      const refused = { ...entry('d', 4), status: 'rejected' as const, error: { code: 'x', message: 'no' } };
      await s.commitLocal(doc, new Uint8Array([1]), entry('a', 1));
      await s.commitLocal(doc, new Uint8Array([2]), entry('b', 2));
      await s.commitLocal(other.doc, new Uint8Array([3]), other);
      await s.putOutbox(refused);
      await s.appendDocUpdate(`${doc}x`, new Uint8Array([4]));
      await s.resetDoc(doc);
      expect(await s.loadDoc(doc)).toEqual([]);
      // Only this document's waiting entries lose their update (to be applied again); a refused one is
      // kept as it is (shown until dismissed), and other documents and their entries are untouched.
      const out = await s.listOutbox();
      expect(out.map((e) => [e.id, e.update === null ? null : [...e.update]])).toEqual([
        ['a', null],
        ['b', null],
        ['c', [3, 1, 2]],
        ['d', [4, 1, 2]],
      ]);
      expect(out.map((e) => e.payload.text)).toEqual(['text a', 'text b', 'text c', 'text d']);
      expect((await s.loadDoc(other.doc)).map((u) => [...u])).toEqual([[3]]);
      expect((await s.loadDoc(`${doc}x`)).map((u) => [...u])).toEqual([[4]]);
      await s.resetDoc('never-stored');
      expect((await s.listOutbox()).length).toBe(4);
    });

    it('reads every document of a segment with one prefix read, each in order', async () => {
      const s = await make();
      await s.appendDocUpdate('c/c1/1/idx', new Uint8Array([1]));
      await s.appendDocUpdate('c/c1/1/u/u2', new Uint8Array([2]));
      await s.commitLocal('c/c1/1/u/u1', new Uint8Array([3]), entry('a', 1));
      await s.appendDocUpdate('c/c1/1/idx', new Uint8Array([4]));
      await s.appendDocUpdate('c/c1/10/idx', new Uint8Array([5]));
      await s.appendDocUpdate('c/c1/0/idx', new Uint8Array([6]));
      await s.appendDocUpdate('c/c12/1/idx', new Uint8Array([7]));
      await s.commitLocal('c/c1/1/u/u1', new Uint8Array([8]), entry('b', 2));
      const got = await s.loadDocsWithPrefix('c/c1/1/');
      expect(Object.fromEntries([...got].map(([name, us]) => [name, us.map((u) => [...u])]))).toEqual({
        'c/c1/1/idx': [[1], [4]],
        'c/c1/1/u/u2': [[2]],
        'c/c1/1/u/u1': [[3], [8]],
      });
      expect((await s.loadDocsWithPrefix('c/c9/0/')).size).toBe(0);
      const first = got.get('c/c1/1/idx')?.[0];
      if (first) first[0] = 99;
      expect([...((await s.loadDoc('c/c1/1/idx'))[0] ?? [])]).toEqual([1]);
    });

    it('compacts inside the write: sees every earlier write, keeps later ones, null changes nothing', async () => {
      const s = await make();
      await s.appendDocUpdate('d', new Uint8Array([1]));
      // Not awaited: the compaction must still see these, and the commit issued after it must survive it.
      const writes = [
        s.appendDocUpdate('d', new Uint8Array([2])),
        s.commitLocal('d', new Uint8Array([3]), entry('a', 1)),
      ];
      let seen: number[][] = [];
      const compacted = s.compactDoc('d', (stored) => {
        seen = stored.map((u) => [...u]);
        return new Uint8Array([9]);
      });
      const after = s.commitLocal('d', new Uint8Array([4]), entry('b', 2));
      await Promise.all([...writes, compacted, after]);
      expect(seen).toEqual([[1], [2], [3]]);
      expect((await s.loadDoc('d')).map((u) => [...u])).toEqual([[9], [4]]);
      expect((await s.listOutbox()).map((e) => e.id)).toEqual(['a', 'b']);
      await s.compactDoc('d', () => null);
      expect((await s.loadDoc('d')).map((u) => [...u])).toEqual([[9], [4]]);
      await s.compactDoc('none', (stored) => (stored.length ? new Uint8Array([1]) : null));
      expect(await s.listDocs()).toEqual(['d']);
    });

    it('reads several metadata keys with one request', async () => {
      const s = await make();
      await s.setMeta('a', { x: 1 });
      await s.setMeta('c', 3);
      const got = await s.getMetaMany(['a', 'b', 'c']);
      expect(got).toEqual([{ x: 1 }, undefined, 3]);
      (got[0] as { x: number }).x = 2;
      expect(await s.getMeta('a')).toEqual({ x: 1 });
      expect(await s.getMetaMany([])).toEqual([]);
    });

    it('returns copies, not live references', async () => {
      const s = await make();
      const u = new Uint8Array([5, 5]);
      await s.appendDocUpdate('d', u);
      u[0] = 0;
      expect([...((await s.loadDoc('d'))[0] ?? [])]).toEqual([5, 5]);
      const meta = { a: 1 };
      await s.setMeta('m', meta);
      meta.a = 2;
      expect(await s.getMeta('m')).toEqual({ a: 1 });
    });
  });
}
