import type { Engine } from '@commonroom/engine';
import { asConversationId, asUserId, authorDoc, idxDoc } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, craftUpdate, login, subscribeAnswer as answer, type RawClient } from './raw-client.ts';

/**
 * The server keeps, per loaded document, its encoded step 1 and the step 2 answers to the state vectors
 * it was sent, until the document changes (a reconnecting college sends the same state vectors). These
 * tests hold the answers to what a device needs after every kind of change, including a deletion, which
 * leaves the state vector as it was.
 */

const AUTHOR = ['msgs', 'edits', 'del', 'react', 'read', 'readAt'];
const content = (d: Y.Doc, roots = AUTHOR): unknown =>
  Object.fromEntries(
    roots.map((r) => [r, r === 'msgs' || r === 'order' ? d.getArray(r).toJSON() : d.getMap(r).toJSON()]),
  );
const copyOf = (d: Y.Doc): Y.Doc => {
  const c = new Y.Doc();
  Y.applyUpdate(c, Y.encodeStateAsUpdate(d));
  return c;
};

describe('answers to subscriptions, cached while a document is unchanged (P2, P3)', () => {
  let ts: TestServer;
  let admin: Engine;
  let writer: Awaited<ReturnType<typeof addUser>>;
  let readerCookie: string;
  let general: string;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    writer = await addUser(ts, admin, 'student', { name: 'Wren' });
    const reader = await addUser(ts, admin, 'student', { name: 'Rory', connect: false });
    readerCookie = await login(ts.url, reader.email, reader.password);
    general = channel(writer.engine, 'general');
  });
  afterAll(async () => {
    writer.engine.disconnect();
    admin.disconnect();
    await ts.destroy();
  });

  /** The server's copy, fetched from nothing by a socket of its own. */
  const serverCopy = async (doc: string): Promise<Y.Doc> => {
    const raw = await connectRaw(ts.url, readerCookie);
    try {
      const d = await raw.fetchDoc(doc);
      if (!(d instanceof Y.Doc)) throw new Error(`refused: ${d.revoked}`);
      return d;
    } finally {
      raw.close();
    }
  };

  it('a herd with one state vector gets the same right answer; after a reaction is taken off (a deletion only, state vector unchanged) it gets the deletion; after a new message, the message', async () => {
    const key = await writer.engine.send(general, 'first of the day');
    await writer.engine.react(general, key, '👍', true);
    await writer.engine.settled();
    const segment = writer.engine.conversation(general)?.segment ?? 0;
    const doc = authorDoc(asConversationId(general), asUserId(writer.id), segment);

    // Every device went away holding this copy.
    const held = await serverCopy(doc);
    const sv = Y.encodeStateVector(held);
    expect(held.getMap('react').size).toBe(1);

    // The herd: several sockets, the same state vector, each gets an answer that leaves its copy whole.
    const herd = await Promise.all([0, 1, 2].map(() => connectRaw(ts.url, readerCookie)));
    try {
      for (const raw of herd) {
        const a = await answer(raw, doc, sv);
        const replica = copyOf(held);
        Y.applyUpdate(replica, a.step2);
        expect(content(replica)).toEqual(content(held));
        expect(a.serverSv).toEqual(sv);
      }

      // Taking the reaction off deletes a map entry: no new clock, the same state vector as before.
      await writer.engine.react(general, key, '👍', false);
      await writer.engine.settled();
      const now = await serverCopy(doc);
      expect(now.getMap('react').size).toBe(0);
      expect(Y.encodeStateVector(now)).toEqual(sv);
      for (const raw of herd) {
        const a = await answer(raw, doc, sv);
        const replica = copyOf(held);
        Y.applyUpdate(replica, a.step2);
        expect(replica.getMap('react').size).toBe(0);
        expect(content(replica)).toEqual(content(now));
      }

      // A new message: the same old state vector now lacks it, and the server's step 1 moved on.
      await writer.engine.send(general, 'second of the day');
      await writer.engine.settled();
      const later = await serverCopy(doc);
      for (const raw of herd) {
        const a = await answer(raw, doc, sv);
        const replica = copyOf(held);
        Y.applyUpdate(replica, a.step2);
        expect(content(replica)).toEqual(content(later));
        expect(
          replica
            .getArray<{ text: string }>('msgs')
            .toArray()
            .map((m) => m.text),
        ).toContain('second of the day');
        expect(a.serverSv).toEqual(Y.encodeStateVector(later));
        expect(a.serverSv).not.toEqual(sv);
      }

      // The index the server writes itself: answered from the state after the commit that appended.
      const idx = idxDoc(asConversationId(general), segment);
      const idxHeld = await serverCopy(idx);
      const idxSv = Y.encodeStateVector(idxHeld);
      await answer(herd[0] as RawClient, idx, idxSv);
      await writer.engine.send(general, 'third of the day');
      await writer.engine.settled();
      const idxNow = await serverCopy(idx);
      for (const raw of herd) {
        const a = await answer(raw, idx, idxSv);
        const replica = copyOf(idxHeld);
        Y.applyUpdate(replica, a.step2);
        expect(replica.getArray('order').length).toBe(idxHeld.getArray('order').length + 1);
        expect(replica.getArray('order').toJSON()).toEqual(idxNow.getArray('order').toJSON());
      }
    } finally {
      for (const raw of herd) raw.close();
    }
  });

  it('an answer computed while a write was committing holds that write (answered after the commit)', async () => {
    const segment = writer.engine.conversation(general)?.segment ?? 0;
    const doc = authorDoc(asConversationId(general), asUserId(writer.id), segment);
    const held = await serverCopy(doc);
    const sv = Y.encodeStateVector(held);
    const raw = await connectRaw(ts.url, readerCookie);
    try {
      await answer(raw, doc, sv);
      // The write and the subscription in flight together, many times over: every answer that follows the
      // acknowledgement holds the message.
      for (let i = 0; i < 5; i++) {
        const sent = writer.engine.send(general, `racing ${i}`);
        const a = await answer(raw, doc, sv);
        await sent;
        await writer.engine.settled();
        const b = await answer(raw, doc, sv);
        const replica = copyOf(held);
        Y.applyUpdate(replica, b.step2);
        const texts = replica
          .getArray<{ text: string }>('msgs')
          .toArray()
          .map((m) => m.text);
        expect(texts).toContain(`racing ${i}`);
        // Whatever the first answer held, it is a state the server stored (applies cleanly, nothing pending).
        const early = copyOf(held);
        Y.applyUpdate(early, a.step2);
        expect(early.store.pendingStructs).toBeNull();
      }
    } finally {
      raw.close();
    }
  });
  it('after a refused write, answers and later writes come from the stored state, never the refused update (T12)', async () => {
    const segment = writer.engine.conversation(general)?.segment ?? 0;
    const doc = authorDoc(asConversationId(general), asUserId(writer.id), segment);
    const writerCookie = await login(ts.url, writer.email, writer.password);
    const own = await connectRaw(ts.url, writerCookie);
    const raw = await connectRaw(ts.url, readerCookie);
    try {
      const held = await serverCopy(doc);
      const sv = Y.encodeStateVector(held);
      const usedId = held.getArray<{ id: string }>('msgs').get(0).id;
      for (let i = 0; i < 3; i++) {
        // Refused (an id already used): applied in memory, then the document must be read again.
        const base = copyOf(await serverCopy(doc));
        const refused = craftUpdate(
          (d) => d.getArray('msgs').push([{ id: usedId, text: `refused ${i}`, ts: 1 }]),
          base,
        );
        expect(await own.write(doc, refused)).toEqual({ kind: 'reject', code: 'duplicate-id' });
        const a = await answer(raw, doc, sv);
        const replica = copyOf(held);
        Y.applyUpdate(replica, a.step2);
        const texts = replica
          .getArray<{ text: string }>('msgs')
          .toArray()
          .map((m) => m.text);
        expect(texts.some((t) => t.startsWith('refused'))).toBe(false);
        expect(a.serverSv).toEqual(Y.encodeStateVector(await serverCopy(doc)));
      }
      // A valid write after the refusals lands on the stored state and is answered.
      const base = copyOf(await serverCopy(doc));
      const ok = craftUpdate(
        (d) => d.getArray('msgs').push([{ id: 'after-refusals', text: 'accepted after', ts: 2 }]),
        base,
      );
      expect(await own.write(doc, ok)).toEqual({ kind: 'ack' });
      const a = await answer(raw, doc, sv);
      const replica = copyOf(held);
      Y.applyUpdate(replica, a.step2);
      const texts = replica
        .getArray<{ text: string }>('msgs')
        .toArray()
        .map((m) => m.text);
      expect(texts).toContain('accepted after');
      expect(texts.some((t) => t.startsWith('refused'))).toBe(false);
      expect(content(replica)).toEqual(content(await serverCopy(doc)));
    } finally {
      own.close();
      raw.close();
    }
  });
});
