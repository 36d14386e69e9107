import { join } from 'node:path';
import { asConversationId, asUserId, authorDoc, idxDoc } from '@commonroom/protocol';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addUser, channel, eventually, loginAdmin, startServer } from './harness.ts';
import { connectRaw, craftUpdate, login, subscribeAnswer as answer } from './raw-client.ts';

/**
 * A document leaving memory (idle, or the server stopping) is stored as one update holding its state, with
 * its state vector beside it; loaded again, it answers a device that holds nothing with that stored update
 * and its stored state vector, and replays it only when something needs the document itself (a write, an
 * answer to a device holding part of it). These tests hold the answers right through each of those steps.
 */

const NOTHING = Y.encodeStateVector(new Y.Doc());
const textsOf = (d: Y.Doc): string[] =>
  d
    .getArray<{ text: string }>('msgs')
    .toArray()
    .map((m) => m.text);
const applied = (update: Uint8Array): Y.Doc => {
  const d = new Y.Doc();
  Y.applyUpdate(d, update);
  return d;
};

describe('documents stored compacted when they leave memory (P2, P3, T12)', () => {
  it('idle: one stored update with its state vector, answered as stored to a device holding nothing; after a write, a refused write and a restart the answers hold exactly what was stored', async () => {
    const ts = await startServer({ limits: { idleDocMs: 50 } });
    let restarted: Awaited<ReturnType<typeof startServer>> | null = null;
    try {
      const admin = await loginAdmin(ts);
      const writer = await addUser(ts, admin, 'student', { name: 'Wren' });
      const reader = await addUser(ts, admin, 'student', { name: 'Rory', connect: false });
      const readerCookie = await login(ts.url, reader.email, reader.password);
      const writerCookie = await login(ts.url, writer.email, writer.password);
      const general = channel(writer.engine, 'general');
      await writer.engine.open(general);
      for (let i = 0; i < 12; i++) {
        await writer.engine.send(general, `before ${i}`);
        await writer.engine.settled();
      }
      const segment = writer.engine.conversation(general)?.segment ?? 0;
      const doc = authorDoc(asConversationId(general), asUserId(writer.id), segment);
      const idx = idxDoc(asConversationId(general), segment);
      const store = ts.server.internals.store;
      expect(store.head(doc).count).toBeGreaterThan(1);
      expect(store.head(idx).count).toBeGreaterThan(1);

      // Everyone leaves: the documents go idle, leave memory and are stored compacted.
      writer.engine.disconnect();
      admin.disconnect();
      await eventually(() => expect(ts.server.internals.rooms.loadedCount()).toBe(0));
      for (const name of [doc, idx]) {
        expect(store.head(name).count).toBe(1);
        expect(store.load(name).stateVector).toBeDefined();
      }

      // A device holding nothing gets the stored update and the stored state vector as they are.
      const raw = await connectRaw(ts.url, readerCookie);
      for (const name of [doc, idx]) {
        const stored = store.load(name);
        const a = await answer(raw, name, NOTHING);
        expect([...a.step2]).toEqual([...(stored.updates[0] ?? [])]);
        expect([...a.serverSv]).toEqual([...(stored.stateVector ?? [])]);
        expect([...a.serverSv]).toEqual([...Y.encodeStateVector(applied(a.step2))]);
      }
      const held = applied((await answer(raw, doc, NOTHING)).step2);
      expect(textsOf(held)).toEqual(Array.from({ length: 12 }, (_, i) => `before ${i}`));
      // A device holding part of it: answered from the document, replayed now.
      const partial = await answer(raw, doc, Y.encodeStateVector(held));
      const replica = applied(Y.encodeStateAsUpdate(held));
      Y.applyUpdate(replica, partial.step2);
      expect(textsOf(replica)).toEqual(textsOf(held));

      // A write to the document loaded from storage: every answer holds it, none is the old stored update.
      const own = await connectRaw(ts.url, writerCookie);
      const add = craftUpdate(
        (d) => d.getArray('msgs').push([{ id: 'after-load', text: 'after load', ts: 3 }]),
        applied(Y.encodeStateAsUpdate(held)),
      );
      expect(await own.write(doc, add)).toEqual({ kind: 'ack' });
      const fromNothing = await answer(raw, doc, NOTHING);
      expect(textsOf(applied(fromNothing.step2))).toEqual([...textsOf(held), 'after load']);
      expect([...fromNothing.serverSv]).not.toEqual([...(store.load(doc).stateVector ?? [])]);
      const fromHeld = await answer(raw, doc, Y.encodeStateVector(held));
      const caughtUp = applied(Y.encodeStateAsUpdate(held));
      Y.applyUpdate(caughtUp, fromHeld.step2);
      expect(textsOf(caughtUp)).toEqual([...textsOf(held), 'after load']);
      own.close();
      raw.close();
      await eventually(() => expect(ts.server.internals.rooms.loadedCount()).toBe(0));
      expect(store.head(doc).count).toBe(1);

      // Loaded from storage again, a refused write (an id already used) is applied in memory, then the
      // document is read again: what is answered never holds it (T12).
      const own2 = await connectRaw(ts.url, writerCookie);
      const raw2 = await connectRaw(ts.url, readerCookie);
      const stored = applied(store.load(doc).updates[0] ?? new Uint8Array());
      const refused = craftUpdate(
        (d) => d.getArray('msgs').push([{ id: 'after-load', text: 'refused', ts: 4 }]),
        stored,
      );
      expect(await own2.write(doc, refused)).toEqual({ kind: 'reject', code: 'duplicate-id' });
      const afterRefusal = applied((await answer(raw2, doc, NOTHING)).step2);
      expect(textsOf(afterRefusal)).toEqual([...textsOf(held), 'after load']);

      // Stopping with the document loaded and changed stores it compacted too; a restart answers the same.
      const last = craftUpdate(
        (d) => d.getArray('msgs').push([{ id: 'before-stop', text: 'before stop', ts: 5 }]),
        afterRefusal,
      );
      expect(await own2.write(doc, last)).toEqual({ kind: 'ack' });
      expect(store.head(doc).count).toBe(2);
      own2.close();
      raw2.close();
      await ts.stop();
      const db = new Database(join(ts.dataDir, 'commonroom.sqlite'), { readonly: true });
      const rows = db.prepare('SELECT id FROM doc_updates WHERE doc = ?').all(doc) as { id: number }[];
      const head = db.prepare('SELECT last_id FROM doc_heads WHERE doc = ?').get(doc) as { last_id: number };
      db.close();
      expect(rows).toHaveLength(1);
      expect(head.last_id).toBe(rows[0]?.id);
      restarted = await startServer({ dataDir: ts.dataDir });
      const raw3 = await connectRaw(restarted.url, readerCookie);
      const afterRestart = applied((await answer(raw3, doc, NOTHING)).step2);
      expect(textsOf(afterRestart)).toEqual([...textsOf(held), 'after load', 'before stop']);
      raw3.close();
    } finally {
      await restarted?.stop();
      await ts.destroy();
    }
  });

  it('a document with one update, never compacted, gets its state vector stored when it leaves memory', async () => {
    const ts = await startServer({ limits: { idleDocMs: 50 } });
    try {
      const admin = await loginAdmin(ts);
      const writer = await addUser(ts, admin, 'student', { name: 'Uma' });
      const general = channel(writer.engine, 'general');
      await writer.engine.open(general);
      await writer.engine.send(general, 'only one');
      await writer.engine.settled();
      const segment = writer.engine.conversation(general)?.segment ?? 0;
      const doc = authorDoc(asConversationId(general), asUserId(writer.id), segment);
      const store = ts.server.internals.store;
      expect(store.head(doc)).toMatchObject({ count: 1, compacted: false });
      writer.engine.disconnect();
      admin.disconnect();
      await eventually(() => expect(ts.server.internals.rooms.loadedCount()).toBe(0));
      expect(store.head(doc)).toMatchObject({ count: 1, compacted: true });
      const stored = store.load(doc);
      const state = applied(stored.updates[0] ?? new Uint8Array());
      expect(textsOf(state)).toEqual(['only one']);
      expect([...(stored.stateVector ?? [])]).toEqual([...Y.encodeStateVector(state)]);
    } finally {
      await ts.destroy();
    }
  });
});
