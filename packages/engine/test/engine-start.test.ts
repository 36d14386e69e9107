import { engineInternals } from '../src/testing.ts';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { authorRoots, idxRoots } from '@commonroom/model';
import { authorDoc, idxDoc, modDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import { createEngine } from '../src/engine.ts';
import { COMPACT_AFTER } from '../src/replicas.ts';
import { createMemoryStorage, type EngineStorage } from '../src/storage.ts';
import { counted } from './counted-storage.ts';

const me = { id: 'me', displayName: 'Me', username: 'me', role: 'student', active: true, email: null };
const other = { id: 'u2', displayName: 'Other', username: 'u2', role: 'student', active: true };
const channel = (id: string, segment: number) => ({
  id,
  kind: 'public',
  name: id,
  description: '',
  topic: '',
  icon: '',
  archived: false,
  memberCount: 2,
  isMember: true,
  canPost: true,
  canModerate: false,
  dmMembers: [],
  segment,
});

/** A device that was online before: two channels, the first in its second segment, u2's messages stored. */
async function device(): Promise<EngineStorage> {
  const s = createMemoryStorage();
  await s.setMeta('deviceId', 'dev1');
  await s.setMeta('me', me);
  await s.setMeta('users', [me, other]);
  await s.setMeta('conversations', [channel('c1', 1), channel('c2', 0)]);
  for (const [c, seg] of [
    ['c1', 1],
    ['c1', 0],
    ['c2', 0],
  ] as const) {
    const id = c as ConversationId;
    const author = new Y.Doc();
    const idx = new Y.Doc();
    for (let i = 0; i < 3; i++) {
      authorRoots(author).msgs.push([{ id: `${c}s${seg}m${i}`, text: `hello ${i}`, ts: 1000 + i }]);
      idxRoots(idx).order.push([['u2', `${c}s${seg}m${i}`]]);
    }
    idxRoots(idx).authors.set('u2', 1);
    await s.appendDocUpdate(idxDoc(id, seg), Y.encodeStateAsUpdate(idx));
    await s.appendDocUpdate(authorDoc(id, 'u2' as UserId, seg), Y.encodeStateAsUpdate(author));
    await s.appendDocUpdate(modDoc(id, seg), Y.encodeStateAsUpdate(new Y.Doc()));
  }
  return s;
}

const offlineEngine = (storage: EngineStorage) =>
  createEngine({
    baseUrl: 'http://127.0.0.1:9',
    storage,
    manualCookies: true,
    // Offline: these tests never connect.
    socketFactory: () => {
      throw new Error('offline');
    },
  });

describe('engine start from the device (offline)', () => {
  it('reads the metadata with one request and each conversation’s current segment with one more', async () => {
    const { storage, calls } = counted(await device());
    const engine = offlineEngine(storage);
    expect((await engine.init())?.id).toBe('me');
    expect(engine.deviceId()).toBe('dev1');
    expect(Object.fromEntries(calls)).toEqual({ getMetaMany: 1, listOutbox: 1, loadDocsWithPrefix: 2 });
    expect(engine.view('c1').messages.map((m) => m.text)).toEqual(['hello 0', 'hello 1', 'hello 2']);
    expect(engine.view('c2').messages).toHaveLength(3);
    expect(engine.user('u2')?.displayName).toBe('Other');
    // Scrolling back reads the older segment with one request too.
    expect(await engine.loadOlder('c1')).toBe(true);
    expect(Object.fromEntries(calls)).toEqual({ getMetaMany: 1, listOutbox: 1, loadDocsWithPrefix: 3 });
    expect(engine.view('c1').messages).toHaveLength(6);
  });

  it('a first start makes and keeps a device id', async () => {
    const storage = createMemoryStorage();
    const engine = offlineEngine(storage);
    expect(await engine.init()).toBeNull();
    expect(await storage.getMeta('deviceId')).toBe(engine.deviceId());
    expect(engine.deviceId()).not.toBe('');
  });

  it('local actions count toward compaction; every unsent one is still there after a restart', async () => {
    const inner = await device();
    const engine = offlineEngine(inner);
    await engine.init();
    const n = COMPACT_AFTER + 20;
    for (let i = 0; i < n; i++) await engine.send('c2', `offline ${i}`);
    await engineInternals(engine).flushStorage();
    const own = authorDoc('c2' as ConversationId, 'me' as UserId, 0);
    expect((await inner.loadDoc(own)).length).toBeLessThanOrEqual(21);
    expect(await inner.listOutbox()).toHaveLength(n);

    const again = offlineEngine(inner);
    await again.init();
    const mine = again.view('c2').messages.filter((m) => m.text.startsWith('offline'));
    expect(mine).toHaveLength(n);
    expect(again.outbox()).toHaveLength(n);
  });

  it('P12: a document left part way through a rebuild starts awaiting its copy; actions taken then wait', async () => {
    const inner = await device();
    const first = offlineEngine(inner);
    await first.init();
    await first.send('c2', 'before the refusal');
    await first.markRead('c2');
    await engineInternals(first).flushStorage();
    const own = authorDoc('c2' as ConversationId, 'me' as UserId, 0);
    // The app closed right after a rebuild's clearing (the one write that empties the copy and takes the
    // waiting entries' updates, made on the copy thrown away): nothing of the replay was stored.
    await inner.resetDoc(own);
    expect((await inner.listOutbox()).map((e) => e.update)).toEqual([null, null]);

    const again = offlineEngine(inner);
    await again.init();
    expect(engineInternals(again).replicaDebug(own)?.phase).toBe('awaiting-copy');
    // An action now is decided against the server's copy once it comes, after the two waiting ones.
    await again.markUnread('c2', 'u2:c2s0m1');
    expect(again.outbox().map((e) => [e.kind, e.update])).toEqual([
      ['send', null],
      ['read', null],
      ['unread', null],
    ]);
    expect(again.status().saving).toBe(0);
  });

  it('P12: a start rebuilds a document holding an action not applied to its stored copy', async () => {
    const inner = await device();
    const first = offlineEngine(inner);
    await first.init();
    await first.send('c2', 'applied and stored');
    await engineInternals(first).flushStorage();
    const own = authorDoc('c2' as ConversationId, 'me' as UserId, 0);
    // An action taken while a rebuild awaited the server's copy is stored with no update at once, not on the
    // write queue: closed before the clearing ran, the device holds it beside the copy the rebuild was to
    // throw away (which may hold a refused change).
    const [stored] = await inner.listOutbox();
    if (!stored) throw new Error('the send was not stored');
    await inner.putOutbox({
      ...stored,
      id: 'deferred',
      order: stored.order + 1,
      kind: 'read',
      payload: { deviceId: 'dev1', seq: 3 },
      update: null,
    });
    expect(await inner.loadDoc(own)).toHaveLength(1);

    const again = offlineEngine(inner);
    await again.init();
    await engineInternals(again).flushStorage();
    expect(engineInternals(again).replicaDebug(own)?.phase).toBe('awaiting-copy');
    expect(await inner.loadDoc(own)).toEqual([]);
    expect((await inner.listOutbox()).map((e) => [e.id === 'deferred' ? 'read' : 'send', e.update])).toEqual([
      ['send', null],
      ['read', null],
    ]);
    // A document with nothing waiting starts whole, as before.
    const other = authorDoc('c1' as ConversationId, 'u2' as UserId, 1);
    expect(engineInternals(again).replicaDebug(other)?.phase).toBe('whole');
  });
});
