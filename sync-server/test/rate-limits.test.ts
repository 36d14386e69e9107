import { authorRoots } from '@commonroom/model';
import {
  CLOSE,
  LIMITS,
  PROTOCOL_VERSION,
  authorDoc,
  type ConversationId,
  type Frame,
  type UserId,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import * as Y from 'yjs';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  type TestServer,
} from './harness.ts';
import { connectRaw, craftUpdate, login, type RawClient } from './raw-client.ts';

/**
 * Rate limits from the first byte and on handshakes (P10), and typing relayed at a bounded rate and only
 * from people who may post (P9). Real server, real sockets; limits are made small (and refill slowly) so
 * that a test's few sockets reach them.
 */

/** Tokens that practically never refill during a test: limits reached stay reached. */
const NO_REFILL = 1e-9;

/** Opens a socket and resolves with its upgrade's answer: open, or the HTTP status and Retry-After. */
function upgrade(
  url: string,
  cookie: string,
): Promise<{ ws: WebSocket } | { status: number; retryAfter: string | undefined }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/sync`, { headers: cookie ? { cookie } : {} });
  ws.binaryType = 'arraybuffer';
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

describe('rate limits count from the first byte (P10)', () => {
  it("P10: a fresh socket's first message, HELLO included, counts against the person's limits", async () => {
    const ts = await startServer({ limits: { messagesPerSecond: NO_REFILL, messageBurst: 3 } });
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const cookie = await login(ts.url, s.email, s.password);
      // Each fresh socket sends one message (its HELLO and a presence frame): three fit, the fourth is over.
      const sockets: RawClient[] = [];
      for (let i = 0; i < 4; i++) {
        const raw = await connectRaw(ts.url, cookie, { hello: false });
        raw.send([
          { type: 'hello', version: PROTOCOL_VERSION, client: 'raw-test' },
          { type: 'presenceSet', dnd: false, emoji: '', text: `socket ${i}`, until: 0 },
        ]);
        await eventually(() =>
          expect(raw.closed !== null || raw.frames.some((f) => f.type === 'welcome')).toBe(true),
        );
        sockets.push(raw);
      }
      expect(sockets.slice(0, 3).map((r) => r.closed)).toEqual([null, null, null]);
      expect(sockets[3]?.closed?.code).toBe(CLOSE.rateLimited);
      expect(sockets[3]?.frames.some((f) => f.type === 'welcome')).toBe(false);
      sockets.forEach((r) => r.close());
    } finally {
      await ts.destroy();
    }
  });

  it('P10: bytes sent before HELLO is handled count too: fresh sockets cannot push past the byte limit', async () => {
    const ts = await startServer({ limits: { bytesPerSecond: NO_REFILL, byteBurst: 180 * 1024 } });
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(s.engine, 'general') as ConversationId;
      const cookie = await login(ts.url, s.email, s.password);
      // One ~50 KB message per fresh socket (HELLO, then step 1s naming long documents): the fourth socket
      // brings the person past 180 KiB.
      const sv = Y.encodeStateVector(new Y.Doc());
      const filler: Frame[] = Array.from({ length: 350 }, (_, i) => ({
        type: 'sync' as const,
        doc: authorDoc(general, `${'u'.repeat(100)}${i}` as UserId),
        ref: 0,
        syncType: 0 as const,
        payload: sv,
      }));
      const closes: (number | null)[] = [];
      for (let i = 0; i < 4; i++) {
        const raw = await connectRaw(ts.url, cookie, { hello: false });
        raw.send([{ type: 'hello', version: PROTOCOL_VERSION, client: 'raw-test' }, ...filler]);
        await eventually(() =>
          expect(raw.closed !== null || raw.frames.some((f) => f.type === 'welcome')).toBe(true),
        );
        closes.push(raw.closed?.code ?? null);
        raw.close();
      }
      expect(closes).toEqual([null, null, null, CLOSE.rateLimited]);
    } finally {
      await ts.destroy();
    }
  });
});

describe('handshakes are limited per account and per address (P10)', () => {
  it('P10: past the per-account allowance an upgrade is answered 429 with Retry-After', async () => {
    const ts = await startServer({
      limits: { handshakesPerSecondPerAccount: NO_REFILL, handshakeBurstPerAccount: 3 },
    });
    try {
      const admin = await loginAdmin(ts);
      const a = await addUser(ts, admin, 'student', { connect: false });
      const b = await addUser(ts, admin, 'student', { connect: false });
      const cookieA = await login(ts.url, a.email, a.password);
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const r = await upgrade(ts.url, cookieA);
        answers.push('ws' in r ? 'open' : r);
        if ('ws' in r) r.ws.close();
      }
      expect(answers.slice(0, 3)).toEqual(['open', 'open', 'open']);
      expect(answers[3]).toMatchObject({ status: 429 });
      expect(Number((answers[3] as { retryAfter: string }).retryAfter)).toBeGreaterThanOrEqual(1);
      // Another account is not held back by the first one's allowance.
      const other = await upgrade(ts.url, await login(ts.url, b.email, b.password));
      expect('ws' in other).toBe(true);
      if ('ws' in other) other.ws.close();
    } finally {
      await ts.destroy();
    }
  });

  it('P10: past the per-address allowance an upgrade with no live session is answered 429; live sessions behind that address still connect', async () => {
    const ts = await startServer({
      limits: { handshakesPerSecondPerAddress: NO_REFILL, handshakeBurstPerAddress: 2 },
    });
    try {
      const admin = await loginAdmin(ts);
      const a = await addUser(ts, admin, 'student', { connect: false });
      const b = await addUser(ts, admin, 'student', { connect: false });
      // A script on the college's shared address hammers /sync with no session: it uses up the allowance...
      expect(await upgrade(ts.url, '')).toMatchObject({ status: 401 });
      expect(await upgrade(ts.url, 'cr_session=not-a-session')).toMatchObject({ status: 401 });
      expect(await upgrade(ts.url, '')).toMatchObject({ status: 429 });
      expect(await upgrade(ts.url, 'cr_session=not-a-session')).toMatchObject({ status: 429 });
      // ...and every honest device behind that address still connects (bounded per account instead).
      const first = await upgrade(ts.url, await login(ts.url, a.email, a.password));
      const second = await upgrade(ts.url, await login(ts.url, b.email, b.password));
      expect('ws' in first && 'ws' in second).toBe(true);
      for (const r of [first, second]) if ('ws' in r) r.ws.close();
    } finally {
      await ts.destroy();
    }
  });

  it('P10: an honest device refused at the handshake limit keeps retrying and comes online once it refills', async () => {
    const ts = await startServer({
      limits: { handshakesPerSecondPerAccount: 4, handshakeBurstPerAccount: 1 },
    });
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      // Another socket of the same person takes the one handshake the bucket holds.
      const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      const engine = makeEngine(ts.url);
      await engine.init();
      await engine.login(s.email, s.password);
      engine.connect();
      await eventually(() => expect(engine.status().connection).toBe('online'), 10_000);
      raw.close();
      engine.disconnect();
    } finally {
      await ts.destroy();
    }
  });
});

describe('typing is relayed at a bounded rate, and only from people who may post (P9)', () => {
  let ts: TestServer;
  let admin: Awaited<ReturnType<typeof loginAdmin>>;
  beforeAll(async () => {
    // One relayed typing per person per conversation per minute here: the bound is then exact.
    ts = await startServer({ limits: { typingIntervalMs: 60_000 } });
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  /** Subscribes `raw` to one author document of the conversation, so it listens there. */
  const listen = async (raw: RawClient, conv: ConversationId, author: string): Promise<void> => {
    expect(await raw.fetchDoc(authorDoc(conv, author as UserId))).toBeInstanceOf(Y.Doc);
  };

  it('P9: hundreds of typing frames in a few socket messages reach a listener as one', async () => {
    const listener = await addUser(ts, admin, 'student', { connect: false });
    const sender = await addUser(ts, admin, 'student', { connect: false });
    const general = channel(sender.engine, 'general') as ConversationId;
    const l = await connectRaw(ts.url, await login(ts.url, listener.email, listener.password));
    const s = await connectRaw(ts.url, await login(ts.url, sender.email, sender.password));
    await listen(l, general, sender.id);
    await listen(s, general, sender.id);
    const typing: Frame[] = Array.from({ length: LIMITS.maxFramesPerMessage }, () => ({
      type: 'typingSet' as const,
      conversationId: general,
      parent: '',
    }));
    for (let i = 0; i < 4; i++) s.send(typing);
    // A write after the flood: its relay reaches the listener after every typing frame the flood caused.
    const mark = craftUpdate((d) => authorRoots(d).read.set('dev1', 0));
    expect(await s.write(authorDoc(general, sender.id as UserId), mark)).toEqual({ kind: 'ack' });
    await eventually(() =>
      expect(l.frames.some((f) => f.type === 'sync' && f.syncType === 2 && f.ref === 0)).toBe(true),
    );
    expect(l.frames.filter((f) => f.type === 'typing')).toHaveLength(1);
    expect(s.closed).toBeNull();
    l.close();
    s.close();
  });

  it('P9: typing from someone who may not post there (a student in #announcements) is not relayed', async () => {
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const student = await addUser(ts, admin, 'student', { connect: false });
    const ann = channel(student.engine, 'announcements') as ConversationId;
    const t = await connectRaw(ts.url, await login(ts.url, tutor.email, tutor.password));
    const s = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
    await listen(t, ann, student.id);
    await listen(s, ann, student.id);
    s.send([{ type: 'typingSet', conversationId: ann, parent: '' }]);
    const mark = craftUpdate((d) => authorRoots(d).read.set('dev1', 0));
    expect(await s.write(authorDoc(ann, student.id as UserId), mark)).toEqual({ kind: 'ack' });
    await eventually(() =>
      expect(t.frames.some((f) => f.type === 'sync' && f.syncType === 2 && f.ref === 0)).toBe(true),
    );
    expect(t.frames.filter((f) => f.type === 'typing')).toHaveLength(0);
    // The tutor, who may post there, is relayed.
    t.send([{ type: 'typingSet', conversationId: ann, parent: '' }]);
    await eventually(() => expect(s.frames.filter((f) => f.type === 'typing')).toHaveLength(1));
    t.close();
    s.close();
  });

  it("P9: typing in an archived conversation is not relayed, not even a moderator's", async () => {
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const student = await addUser(ts, admin, 'student', { connect: false });
    const c = await tutor.engine.createChannel(`trip-${Date.now() % 100000}`, 'public', 'The trip');
    await student.engine.join(c.id);
    const conv = c.id as ConversationId;
    await tutor.engine.api.request('PATCH', `/api/conversations/${c.id}`, z.unknown(), { archived: true });
    const t = await connectRaw(ts.url, await login(ts.url, tutor.email, tutor.password));
    const s = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
    await listen(t, conv, tutor.id);
    await listen(s, conv, tutor.id);
    t.send([{ type: 'typingSet', conversationId: conv, parent: '' }]);
    // Reactions and read marks are still taken in an archived conversation: a write after the typing.
    const mark = craftUpdate((d) => authorRoots(d).read.set('dev1', 0));
    expect(await t.write(authorDoc(conv, tutor.id as UserId), mark)).toEqual({ kind: 'ack' });
    await eventually(() =>
      expect(s.frames.some((f) => f.type === 'sync' && f.syncType === 2 && f.ref === 0)).toBe(true),
    );
    expect(s.frames.filter((f) => f.type === 'typing')).toHaveLength(0);
    t.close();
    s.close();
  });
});
