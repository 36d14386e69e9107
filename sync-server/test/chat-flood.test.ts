import { authorRoots } from '@commonroom/model';
import { LIMITS, authorDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * A chat flood (P10): new messages are bounded per update and per person, with a refusal an honest engine
 * retries (`slow-down`, P12), so nothing it holds is lost. Real server, raw frames and a real engine.
 */

const messagesBy = (ts: TestServer, authorId: string): number =>
  (
    ts.server.db.prepare('SELECT COUNT(*) AS n FROM messages WHERE author_id = ?').get(authorId) as {
      n: number;
    }
  ).n;

/** An update adding `n` messages to `doc` (the forger's copy of its own author document). */
const messagesUpdate = (doc: Y.Doc, from: number, n: number): Uint8Array =>
  craftUpdate(
    (d) =>
      authorRoots(d).msgs.push(
        Array.from({ length: n }, (_, i) => ({ id: `flood${from + i}`, text: `flood ${from + i}`, ts: 1 })),
      ),
    doc,
  );

describe('a chat flood is bounded per update and per person (P10)', () => {
  it('P10: an update adding more than maxNewMessagesPerFrame messages is refused, storing nothing', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(s.engine, 'general') as ConversationId;
      const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      const doc = authorDoc(general, s.id as UserId);
      // The tester's shape: thousands of messages in one frame.
      const answer = await raw.write(doc, messagesUpdate(new Y.Doc(), 0, 1_500));
      expect(answer).toEqual({ kind: 'reject', code: 'too-many-messages' });
      expect(await raw.write(doc, messagesUpdate(new Y.Doc(), 0, LIMITS.maxNewMessagesPerFrame + 1))).toEqual(
        { kind: 'reject', code: 'too-many-messages' },
      );
      expect(messagesBy(ts, s.id)).toBe(0);
      expect(raw.closed).toBeNull();
      raw.close();
    } finally {
      await ts.destroy();
    }
  });

  it('P10: a raw-frame flood past the per-person allowance is refused with slow-down and rolls no segment', async () => {
    // No refill during the test: the allowance is exactly the burst.
    const ts = await startServer({
      limits: { newMessageBurst: 30, newMessagesPerMinute: 1e-9, segmentSize: 50 },
    });
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(s.engine, 'general') as ConversationId;
      const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      const doc = authorDoc(general, s.id as UserId);
      const forged = new Y.Doc();
      // Ten frames of 20, all sent at once: 200 messages would roll the 50-message segment four times.
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => raw.write(doc, messagesUpdate(forged, i * 20, 20))),
      );
      expect(answers[0]).toEqual({ kind: 'ack' });
      expect(answers[1]).toEqual({ kind: 'reject', code: 'slow-down' });
      // Later frames build on refused ones (the server lacks their history) or are refused the same way.
      for (const a of answers.slice(2))
        expect(['slow-down', 'missing-history']).toContain(a.kind === 'reject' ? a.code : a.kind);
      expect(messagesBy(ts, s.id)).toBe(20);
      expect(ts.server.internals.conversations.get(general)?.segment).toBe(0);
      // Not a protocol violation: the socket stays open, and the refusal is not a safeguarding entry.
      expect(raw.closed).toBeNull();
      expect(
        ts.server.internals.audit
          .list(500, 'write.refused')
          .some((e) => (e.detail as { code?: string }).code === 'slow-down'),
      ).toBe(false);
      raw.close();
    } finally {
      await ts.destroy();
    }
  });

  it('P10, P12: an engine with 200 messages written offline delivers every one, in order, once, under the limits', async () => {
    const ts = await startServer({ limits: { newMessageBurst: 30, newMessagesPerMinute: 1_800 } });
    try {
      const admin = await loginAdmin(ts);
      const reader = await addUser(ts, admin, 'student');
      const writer = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(writer.engine, 'general');
      const engine = makeEngine(ts.url, { seed: 12 });
      await engine.init();
      await engine.login(writer.email, writer.password);
      await engine.open(general);
      const sent = Array.from({ length: 200 }, (_, i) => `offline ${i}`);
      for (const t of sent) await engine.send(general, t);
      expect(engine.status().waiting).toBe(200);
      engine.connect();
      await engine.settled();
      expect(engine.status()).toMatchObject({ waiting: 0, rejected: 0 });
      await reader.engine.open(general);
      await eventually(() => expect(texts(reader.engine, general)).toEqual(sent), 10_000);
      expect(messagesBy(ts, writer.id)).toBe(200);
      // The limits were reached (the engine was told to slow down and waited), and the engine never put
      // more new messages in one frame than the server takes.
      expect(ts.logs.some((l) => String(l.msg).includes('slow-down'))).toBe(true);
      expect(
        ts.server.internals.audit
          .list(500, 'write.refused')
          .some((e) => (e.detail as { code?: string }).code === 'too-many-messages'),
      ).toBe(false);
      engine.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});
