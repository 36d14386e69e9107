import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createReplicas, segmentPrefix } from '../src/replicas.ts';
import type { EngineStorage, OutboxEntry } from '../src/storage.ts';
import { authorDoc, formatDocName, idxDoc, modDoc } from '@commonroom/protocol';
import type { ConversationId, UserId } from '@commonroom/protocol';
import { counted } from './counted-storage.ts';

/** Updates that each set one key of a map, as a separate document (another device or tab) would. */
function updates(n: number, client = 'w'): Uint8Array[] {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = 0; i < n; i++) doc.getMap('m').set(`${client}${i}`, i);
  return out;
}

const entry = (id: string, doc: string, update: Uint8Array): OutboxEntry => ({
  id,
  order: Number(id.slice(1)),
  conversationId: 'c1',
  doc,
  kind: 'read',
  payload: {},
  createdAt: 0,
  update,
  status: 'pending',
  error: null,
});

const C = 'c1' as ConversationId;
const rowsOf = async (s: EngineStorage, name: string) => (await s.loadDoc(name)).length;
const keysOf = async (s: EngineStorage, name: string) => {
  const d = new Y.Doc();
  for (const u of await s.loadDoc(name)) Y.applyUpdate(d, u);
  return [...d.getMap('m').keys()].sort();
};

describe('replicas: opening a segment and compaction', () => {
  it('the segment prefix is what every document name of that segment starts with', () => {
    for (const seg of [0, 1, 10]) {
      const p = segmentPrefix(C, seg);
      expect(idxDoc(C, seg).startsWith(p)).toBe(true);
      expect(modDoc(C, seg).startsWith(p)).toBe(true);
      expect(
        formatDocName({ kind: 'author', conversationId: C, segment: seg, userId: 'u' as UserId }),
      ).toMatch(new RegExp(`^${p}`));
    }
    expect(idxDoc(C, 10).startsWith(segmentPrefix(C, 1))).toBe(false);
  });

  it('opens a segment with one storage read: the names asked for, in order, and the other documents stored there', async () => {
    const { storage, calls, inner } = counted();
    const [a] = updates(1);
    const [b] = updates(1, 'v');
    const mine = authorDoc(C, 'me' as UserId, 1);
    const theirs = authorDoc(C, 'u2' as UserId, 1);
    await inner.appendDocUpdate(idxDoc(C, 1), a as Uint8Array);
    await inner.appendDocUpdate(theirs, b as Uint8Array);
    await inner.appendDocUpdate(idxDoc(C, 10), a as Uint8Array);
    const replicas = createReplicas({ storage, onChange: () => {}, onError: (e) => expect.fail(String(e)) });
    const rs = await replicas.openSegment(segmentPrefix(C, 1), [idxDoc(C, 1), modDoc(C, 1), mine]);
    expect(rs.map((r) => r.name)).toEqual([idxDoc(C, 1), modDoc(C, 1), mine]);
    expect(calls.get('loadDocsWithPrefix')).toBe(1);
    expect(calls.get('loadDoc')).toBeUndefined();
    expect([...(rs[0]?.doc.getMap('m').keys() ?? [])]).toEqual(['w0']);
    expect(rs[2]?.doc.getMap('m').size).toBe(0);
    // The other author's document is open already: following the index's authors reads nothing more.
    expect(replicas.get(theirs)?.doc.getMap('m').get('v0')).toBe(0);
    expect(replicas.get(idxDoc(C, 10))).toBeUndefined();
    expect(await replicas.open(theirs)).toBe(replicas.get(theirs));
    // Everything open already: no read at all.
    expect(await replicas.openSegment(segmentPrefix(C, 1), [idxDoc(C, 1), mine])).toEqual([rs[0], rs[2]]);
    expect(calls.get('loadDocsWithPrefix')).toBe(1);
    await expect(replicas.openSegment(segmentPrefix(C, 1), [idxDoc(C, 2)])).rejects.toThrow();
  });

  it('counts local actions toward compaction; the outbox and every change survive it', async () => {
    const { storage, inner } = counted();
    const replicas = createReplicas({
      storage,
      onChange: () => {},
      onError: (e) => expect.fail(String(e)),
      compactAfter: 5,
    });
    const name = authorDoc(C, 'me' as UserId, 0);
    const r = await replicas.open(name);
    const local: Uint8Array[] = [];
    r.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === 'local') local.push(u);
    });
    for (let i = 0; i < 12; i++) {
      r.doc.transact(() => r.doc.getMap('m').set(`a${i}`, i), 'local');
      await replicas.commitLocal(r, local[i] as Uint8Array, entry(`e${i}`, name, local[i] as Uint8Array));
    }
    await replicas.flushWrites();
    // Compacted at the 6th and the 11th row: one state row plus the rows since.
    expect(await rowsOf(inner, name)).toBe(2);
    expect(await keysOf(inner, name)).toEqual([...Array(12).keys()].map((i) => `a${i}`).sort());
    const out = await inner.listOutbox();
    expect(out.map((e) => e.id)).toEqual([...Array(12).keys()].map((i) => `e${i}`));
    expect(out.every((e) => e.update !== null)).toBe(true);
  });

  it('does not compact while a local action is applied but not yet stored with its outbox entry', async () => {
    const { storage, inner } = counted();
    let saving = true;
    const replicas = createReplicas({
      storage,
      onChange: () => {},
      onError: (e) => expect.fail(String(e)),
      compactAfter: 3,
      isSaving: () => saving,
    });
    const name = authorDoc(C, 'me' as UserId, 0);
    const r = await replicas.open(name);
    const local: Uint8Array[] = [];
    r.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === 'local') local.push(u);
    });
    const act = async (i: number) => {
      r.doc.transact(() => r.doc.getMap('m').set(`a${i}`, i), 'local');
      await replicas.commitLocal(r, local[i] as Uint8Array, entry(`e${i}`, name, local[i] as Uint8Array));
    };
    for (let i = 0; i < 4; i++) await act(i);
    // The 4th row would compact; an action still being saved (the 5th, applied only) holds it back.
    r.doc.transact(() => r.doc.getMap('m').set('unsaved', 1), 'local');
    await replicas.flushWrites();
    expect(await rowsOf(inner, name)).toBe(4);
    expect(await keysOf(inner, name)).not.toContain('unsaved');
    // Nothing being saved: the next compaction goes ahead.
    saving = false;
    for (let i = 4; i < 8; i++) await act(i + 1);
    await replicas.flushWrites();
    expect(await rowsOf(inner, name)).toBeLessThan(8);
  });

  it('a compaction keeps rows another tab stored meanwhile, and takes them into the open document', async () => {
    const { storage, inner } = counted();
    const replicas = createReplicas({
      storage,
      onChange: () => {},
      onError: (e) => expect.fail(String(e)),
      compactAfter: 3,
    });
    const name = authorDoc(C, 'me' as UserId, 0);
    const r = await replicas.open(name);
    // Another tab stores a change this one has not heard of yet.
    const [other] = updates(1, 'tab');
    await inner.appendDocUpdate(name, other as Uint8Array);
    for (const u of updates(4)) replicas.applyRemote(r, u);
    await replicas.flushWrites();
    expect(await rowsOf(inner, name)).toBe(1);
    expect(await keysOf(inner, name)).toEqual(['tab0', 'w0', 'w1', 'w2', 'w3']);
    expect(r.doc.getMap('m').get('tab0')).toBe(0);
  });

  it('compacts documents that were loaded with too many rows when asked', async () => {
    const { storage, inner } = counted();
    const name = authorDoc(C, 'me' as UserId, 0);
    for (const u of updates(9)) await inner.appendDocUpdate(name, u);
    await inner.appendDocUpdate(modDoc(C, 0), updates(1)[0] as Uint8Array);
    const replicas = createReplicas({
      storage,
      onChange: () => {},
      onError: (e) => expect.fail(String(e)),
      compactAfter: 5,
    });
    await replicas.openSegment(segmentPrefix(C, 0), [name, modDoc(C, 0)]);
    replicas.compactOversized();
    await replicas.flushWrites();
    expect(await rowsOf(inner, name)).toBe(1);
    expect(await keysOf(inner, name)).toHaveLength(9);
    expect(await rowsOf(inner, modDoc(C, 0))).toBe(1);
  });
});
