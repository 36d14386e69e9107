import { engineInternals } from '@commonroom/engine/testing';
import { createEngine, createMemoryStorage, type Engine } from '@commonroom/engine';
import { authorRoots, modRoots } from '@commonroom/model';
import {
  CLOSE,
  authorDoc,
  decodeMessage,
  encodeMessage,
  idxDoc,
  modDoc,
  type ConversationId,
  type Frame,
  type UserId,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  nodeSocket,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';
import { connectRaw, craftUpdate, login, type RawClient } from './raw-client.ts';

/**
 * Forged updates crafted as raw bytes (docs/THREAT_MODEL.md). Each must be refused before it is stored or
 * relayed, and logged; the honest clients notice nothing.
 */
describe('forged updates are refused before storage or relay (T1–T8)', () => {
  let ts: TestServer;
  let admin: Engine;
  let victim: Awaited<ReturnType<typeof addUser>>;
  let attacker: Awaited<ReturnType<typeof addUser>>;
  let tutor: Awaited<ReturnType<typeof addUser>>;
  let raw: RawClient;
  let general: ConversationId;
  let victimKey: string;

  const storedRows = (): number =>
    (ts.server.db.prepare('SELECT COUNT(*) AS n FROM doc_updates').get() as { n: number }).n;
  const refusedLogged = (code: string): boolean =>
    ts.server.internals.audit
      .list(500, 'write.refused')
      .some((e) => (e.detail as { code?: string }).code === code);

  /** Every forged write: refused with `code`, nothing stored, nothing relayed to the victim. */
  const expectRefused = async (doc: string, update: Uint8Array, code: string): Promise<void> => {
    const before = storedRows();
    const victimVersion = victim.engine.version();
    const answer = await raw.write(doc, update);
    expect(answer).toEqual({ kind: 'reject', code });
    // A later honest write is committed after the refused one would have been: nothing of it is stored.
    await victim.engine.send(general, `probe after ${code}`);
    await victim.engine.settled();
    expect(storedRows()).toBe(before + 2);
    expect(refusedLogged(code)).toBe(true);
    expect(victim.engine.version()).toBeGreaterThan(victimVersion);
    expect(texts(victim.engine, general).some((t) => t.includes('forged'))).toBe(false);
  };

  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    victim = await addUser(ts, admin, 'student', { name: 'Victim' });
    attacker = await addUser(ts, admin, 'student', { name: 'Attacker' });
    tutor = await addUser(ts, admin, 'tutor', { name: 'Tutor' });
    general = channel(victim.engine, 'general') as ConversationId;
    await victim.engine.open(general);
    victimKey = await victim.engine.send(general, 'my own words');
    await victim.engine.settled();
    raw = await connectRaw(ts.url, await login(ts.url, attacker.email, attacker.password));
  });
  afterAll(async () => {
    raw.close();
    await ts.destroy();
  });

  it("T1: writing a message into another user's document is refused", async () => {
    const doc = authorDoc(general, victim.id as UserId);
    const update = craftUpdate((d) =>
      authorRoots(d).msgs.push([{ id: 'forged1', text: 'forged words', ts: 1 }]),
    );
    await expectRefused(doc, update, 'not-your-document');
  });

  it("T2: editing or deleting another user's message is refused, in their document or in one's own", async () => {
    const victimLocal = victimKey.split(':')[1] ?? '';
    const theirs = authorDoc(general, victim.id as UserId);
    await expectRefused(
      theirs,
      craftUpdate((d) => authorRoots(d).edits.set(victimLocal, { text: 'forged edit', ts: 2 })),
      'not-your-document',
    );
    await expectRefused(
      theirs,
      craftUpdate((d) => authorRoots(d).del.set(victimLocal, 3)),
      'not-your-document',
    );
    const mine = authorDoc(general, attacker.id as UserId);
    await expectRefused(
      mine,
      craftUpdate((d) => authorRoots(d).edits.set(victimLocal, { text: 'forged edit', ts: 2 })),
      'not-your-message',
    );
    await expectRefused(
      mine,
      craftUpdate((d) => authorRoots(d).del.set(victimLocal, 3)),
      'not-your-message',
    );
    expect(victim.engine.view(general).state.byKey.get(victimKey)?.text).toBe('my own words');
  });

  it('T3: a message record cannot name another author', async () => {
    const mine = authorDoc(general, attacker.id as UserId);
    const update = craftUpdate((d) =>
      authorRoots(d).msgs.push([{ id: 'x1', text: 'forged author', ts: 1, author: victim.id } as never]),
    );
    await expectRefused(mine, update, 'bad-message');
  });

  it('T4: a student cannot pin or remove messages (moderation document)', async () => {
    const update = craftUpdate((d) => modRoots(d).pins.set(victimKey, { by: attacker.id, ts: 1 }));
    await expectRefused(modDoc(general), update, 'not-a-moderator');
  });

  it("T5: a moderator cannot sign a pin or removal with another moderator's name", async () => {
    const tutorRaw = await connectRaw(ts.url, await login(ts.url, tutor.email, tutor.password));
    const answer = await tutorRaw.write(
      modDoc(general),
      craftUpdate((d) => modRoots(d).removed.set(victimKey, { by: admin.me()?.id ?? 'x', ts: 1 })),
    );
    expect(answer).toEqual({ kind: 'reject', code: 'forged-moderator' });
    tutorRaw.close();
  });

  it("T6: the server's index cannot be written by anyone else", async () => {
    await expectRefused(
      idxDoc(general),
      craftUpdate((d) => d.getArray('order').push([['x', 'y']])),
      'server-only',
    );
  });

  it('T7: a student cannot post in #announcements, but may keep read marks there', async () => {
    const ann = channel(attacker.engine, 'announcements') as ConversationId;
    const doc = authorDoc(ann, attacker.id as UserId);
    await expectRefused(
      doc,
      craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'ann1', text: 'forged announcement', ts: 1 }])),
      'announcement-only',
    );
    expect(
      await raw.write(
        doc,
        craftUpdate((d) => authorRoots(d).read.set('dev1', 0)),
      ),
    ).toEqual({ kind: 'ack' });
    // Through the engine too: the refusal comes back as a rejected message with the reason in words.
    await attacker.engine.send(ann, 'please can I post here');
    await eventually(() => {
      const m = attacker.engine.view(ann).messages.at(-1);
      expect(m?.status).toBe('rejected');
      expect(m?.error).toMatch(/only tutors, teachers, staff and admins post/);
    });
  });

  it('T7: a student cannot @channel or @here; staff can', async () => {
    const mine = authorDoc(general, attacker.id as UserId);
    await expectRefused(
      mine,
      craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'm1', text: 'forged @channel wake up', ts: 1 }])),
      'broadcast-mention',
    );
    await tutor.engine.send(general, '@channel class is cancelled');
    await tutor.engine.settled();
    expect(tutor.engine.view(general).messages.at(-1)?.status).toBe('sent');
  });

  it('P8: a read mark cannot reach past the newest message nor a read time past now (D17)', async () => {
    const mine = authorDoc(general, attacker.id as UserId);
    await expectRefused(
      mine,
      craftUpdate((d) => authorRoots(d).read.set('dev1', 1e12)),
      'bad-read',
    );
    await expectRefused(
      mine,
      craftUpdate((d) => authorRoots(d).readAt.set('dev1', Date.UTC(2099, 0, 1))),
      'bad-read',
    );
    // What exists is fine: the newest message's place, read a moment ago.
    await victim.engine.settled();
    const newest = victim.engine.view(general).state.lastSeq;
    expect(newest).toBeGreaterThan(0);
    expect(
      await raw.write(
        mine,
        craftUpdate((d) => {
          authorRoots(d).read.set('dev2', newest);
          authorRoots(d).readAt.set('dev2', Date.now());
        }),
      ),
    ).toEqual({ kind: 'ack' });
  });

  it('P8: the honest engine marks only what it has seen, at the server clock: a device three hours fast is not refused (D17)', async () => {
    const fast = createEngine({
      baseUrl: ts.url,
      storage: createMemoryStorage(),
      socketFactory: nodeSocket,
      manualCookies: true,
      backoff: { minMs: 20, maxMs: 200 },
      now: () => Date.now() + 3 * 3_600_000,
    });
    await fast.init();
    await fast.login(tutor.email, tutor.password);
    fast.connect();
    await fast.settled();
    await fast.open(general);
    await eventually(() => expect(fast.view(general).state.lastSeq).toBeGreaterThan(0));
    await fast.markRead(general);
    await fast.settled();
    expect(fast.status().rejected).toBe(0);
    expect(fast.outbox().filter((e) => e.kind === 'read')).toEqual([]);
    const seen = fast.view(general).state.readTimes.get(tutor.id) ?? 0;
    expect(seen).toBeLessThanOrEqual(Date.now());
    fast.disconnect();
  });

  it('P8: a device three hours fast that restarts offline still stamps read times at the server clock (D17)', async () => {
    const storage = createMemoryStorage();
    const fastEngine = () =>
      createEngine({
        baseUrl: ts.url,
        storage,
        socketFactory: nodeSocket,
        manualCookies: true,
        backoff: { minMs: 20, maxMs: 200 },
        now: () => Date.now() + 3 * 3_600_000,
      });
    const first = fastEngine();
    await first.init();
    await first.login(tutor.email, tutor.password);
    first.connect();
    await first.open(general);
    await first.settled();
    first.disconnect();
    await victim.engine.send(general, 'read me after a restart');
    await victim.engine.settled();
    // The app starts again with no connection, and the tutor reads what the device already holds.
    const again = fastEngine();
    await again.init();
    await again.open(general);
    await again.markRead(general);
    await engineInternals(again).flushStorage();
    again.connect();
    await again.settled();
    expect(again.status().rejected).toBe(0);
    expect(again.outbox().filter((e) => e.kind === 'read')).toEqual([]);
    again.disconnect();
  });

  it('T8: content kinds our documents never use close the socket as malformed, storing nothing', async () => {
    const before = storedRows();
    const evil = await connectRaw(ts.url, await login(ts.url, attacker.email, attacker.password));
    const update = craftUpdate((d) => d.getText('msgs').insert(0, 'forged text type'));
    const answer = await evil.write(authorDoc(general, attacker.id as UserId), update);
    expect(answer).toEqual({ kind: 'closed', code: CLOSE.malformedFrame });
    expect(storedRows()).toBe(before);
    const nested = await connectRaw(ts.url, await login(ts.url, attacker.email, attacker.password));
    const nestedUpdate = craftUpdate((d) => authorRoots(d).edits.set('x', new Y.Map() as never));
    expect(await nested.write(authorDoc(general, attacker.id as UserId), nestedUpdate)).toEqual({
      kind: 'closed',
      code: CLOSE.malformedFrame,
    });
    expect(storedRows()).toBe(before);
    // The honest clients noticed nothing.
    expect(victim.engine.status().connection).toBe('online');
  });
});

describe('privacy: private channels and DMs (T9)', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('T9: a private channel is invisible to a non-member: not listed, 404, no subscribe, no write', async () => {
    const student = await addUser(ts, admin, 'student');
    const tutor = await addUser(ts, admin, 'tutor');
    expect(student.engine.conversations().some((c) => c.name === 'tutors-only')).toBe(false);
    expect(student.engine.conversations().some((c) => c.name === 'admin-team')).toBe(false);
    const tutorsOnly = channel(tutor.engine, 'tutors-only') as ConversationId;
    expect(tutor.engine.conversations().some((c) => c.name === 'admin-team')).toBe(false);
    await tutor.engine.open(tutorsOnly);
    await tutor.engine.send(tutorsOnly, 'staff room chat');
    await tutor.engine.settled();

    const res = await student.engine.api
      .request('GET', `/api/conversations/${tutorsOnly}`, (await import('zod')).z.unknown())
      .catch((e: unknown) => e);
    expect(res).toMatchObject({ status: 404 });
    const raw = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
    expect(await raw.fetchDoc(idxDoc(tutorsOnly))).toEqual({ revoked: 'no such conversation' });
    expect(await raw.fetchDoc(authorDoc(tutorsOnly, tutor.id as UserId))).toEqual({
      revoked: 'no such conversation',
    });
    const answer = await raw.write(
      authorDoc(tutorsOnly, student.id as UserId),
      craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'p1', text: 'let me in', ts: 1 }])),
    );
    expect(answer).toEqual({ kind: 'reject', code: 'not-found' });
    raw.close();
  });

  it('T9: a DM is visible only to its two people', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'tutor');
    const c = await addUser(ts, admin, 'student');
    const dm = await a.engine.openDm([b.id]);
    await a.engine.open(dm.id);
    await a.engine.send(dm.id, 'private question about my grade');
    await a.engine.settled();
    await b.engine.refreshConversations();
    await b.engine.open(dm.id);
    await eventually(() => expect(texts(b.engine, dm.id)).toEqual(['private question about my grade']));
    await c.engine.refreshConversations();
    expect(c.engine.conversations().some((x) => x.id === dm.id)).toBe(false);
    const raw = await connectRaw(ts.url, await login(ts.url, c.email, c.password));
    expect(await raw.fetchDoc(authorDoc(dm.id as ConversationId, a.id as UserId))).toEqual({
      revoked: 'no such conversation',
    });
    raw.close();
  });

  it('T9: the students DM policy "staff only" is enforced by the server', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'student');
    const t = await addUser(ts, admin, 'teacher');
    const { z } = await import('zod');
    await admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { studentDmPolicy: 'staff_only' });
    await expect(a.engine.openDm([b.id])).rejects.toMatchObject({ status: 403, code: 'dm-policy' });
    await expect(a.engine.openDm([t.id])).resolves.toMatchObject({ kind: 'dm' });
    await admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { studentDmPolicy: 'anyone' });
    await expect(a.engine.openDm([b.id])).resolves.toMatchObject({ kind: 'dm' });
  });

  it('T9: the students DM policy applies to every write: a DM opened before "staff only" takes no more posts from students, and stays readable (D15)', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'student');
    const t = await addUser(ts, admin, 'teacher');
    const { z } = await import('zod');
    const setPolicy = (studentDmPolicy: string) =>
      admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { studentDmPolicy });
    const dm = (await a.engine.openDm([b.id])).id as ConversationId;
    const withTeacher = (await a.engine.openDm([t.id])).id as ConversationId;
    await a.engine.open(dm);
    const before = await a.engine.send(dm, 'see you in class');
    await a.engine.settled();
    await setPolicy('staff_only');
    try {
      const raw = await connectRaw(ts.url, await login(ts.url, a.email, a.password));
      const mine = authorDoc(dm, a.id as UserId);
      const held = await raw.fetchDoc(mine);
      if (!('share' in held)) throw new Error('the DM is no longer readable');
      expect(
        await raw.write(
          mine,
          craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'after1', text: 'still here?', ts: 2 }]), held),
        ),
      ).toEqual({ kind: 'reject', code: 'dm-policy' });
      expect(
        await raw.write(
          mine,
          craftUpdate((d) => authorRoots(d).react.set(`${before} 👍`, 3)),
        ),
      ).toEqual({ kind: 'reject', code: 'dm-policy' });
      // Reading on is still allowed: the other student's document, and one's own read marks.
      expect('share' in (await raw.fetchDoc(authorDoc(dm, b.id as UserId)))).toBe(true);
      expect(
        await raw.write(
          mine,
          craftUpdate((d) => authorRoots(d).read.set('device-1', 1)),
        ),
      ).toEqual({ kind: 'ack' });
      // A student may still write to staff.
      expect(
        await raw.write(
          authorDoc(withTeacher, a.id as UserId),
          craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'tq1', text: 'a question', ts: 4 }])),
        ),
      ).toEqual({ kind: 'ack' });
      raw.close();
      expect(
        (await b.engine.refreshConversations(), b.engine.conversations().find((c) => c.id === dm)),
      ).toMatchObject({ canPost: false });
    } finally {
      await setPolicy('anyone');
    }
  });

  it('P2: a missing conversation, a hidden one and a segment beyond the current one get byte-identical answers (D18)', async () => {
    const student = await addUser(ts, admin, 'student', { connect: false });
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const hidden = channel(tutor.engine, 'tutors-only') as ConversationId;
    const general = channel(student.engine, 'general') as ConversationId;
    const raw = await connectRaw(ts.url, await login(ts.url, student.email, student.password));
    /** The frame answering `frame`, with the document name (the one thing that must differ) blanked. */
    const answer = async (frame: Frame): Promise<Uint8Array> => {
      const from = raw.frames.length;
      const doc = 'doc' in frame ? frame.doc : '';
      raw.send([frame]);
      let found: Frame | undefined;
      // The first frame about that document (presence and notices of others may arrive in between), or an
      // ERROR, which names no document.
      await eventually(() => {
        found = raw.frames.slice(from).find((f) => f.type === 'error' || ('doc' in f && f.doc === doc));
        expect(found).toBeDefined();
      });
      if (!found) throw new Error('no answer');
      const blanked = JSON.parse(JSON.stringify(found).replaceAll(doc, '*')) as Frame;
      return encodeMessage([blanked]);
    };
    const cases = (kind: 'idx' | 'mine') => {
      const name = (c: ConversationId, segment = 0) =>
        kind === 'idx' ? idxDoc(c, segment) : authorDoc(c, student.id as UserId, segment);
      return [name('NoSuchConversation42' as ConversationId), name(hidden), name(general, 99)];
    };
    const step1 = new Y.Doc();
    for (const kind of ['idx', 'mine'] as const)
      for (const ref of [0, 77]) {
        const answers = [];
        for (const doc of cases(kind))
          answers.push(
            await answer({ type: 'sync', doc, ref, syncType: 0, payload: Y.encodeStateVector(step1) }),
          );
        expect(answers[1]).toEqual(answers[0]);
        expect(answers[2]).toEqual(answers[0]);
      }
    let ref = 500;
    const update = craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'peek1', text: 'hello?', ts: 1 }]));
    const writes = [];
    for (const doc of cases('mine'))
      writes.push(await answer({ type: 'sync', doc, ref: ++ref, syncType: 2, payload: update }));
    // Each write carries its own ref: blank that too before comparing.
    const decoded = writes.map((w) => ({
      ...(decodeMessage(w, Infinity) as { frames: Frame[] }).frames[0],
      ref: 0,
    }));
    expect(decoded[1]).toEqual(decoded[0]);
    expect(decoded[2]).toEqual(decoded[0]);
    expect(decoded[0]).toMatchObject({ type: 'reject', code: 'not-found', message: 'no such conversation' });
    raw.close();
  });

  it('T9: removal from a private channel stops delivery at once', async () => {
    const tutor = await addUser(ts, admin, 'tutor');
    const other = await addUser(ts, admin, 'teacher');
    const priv = await tutor.engine.createChannel(`study-${Date.now() % 100000}`, 'private', 'a study group');
    const { z } = await import('zod');
    await tutor.engine.api.request('POST', `/api/conversations/${priv.id}/members`, z.unknown(), {
      userIds: [other.id],
    });
    await other.engine.refreshConversations();
    await other.engine.open(priv.id);
    await tutor.engine.open(priv.id);
    await tutor.engine.send(priv.id, 'before removal');
    await eventually(() => expect(texts(other.engine, priv.id)).toEqual(['before removal']));
    const raw = await connectRaw(ts.url, await login(ts.url, other.email, other.password));
    expect(await raw.fetchDoc(authorDoc(priv.id as ConversationId, tutor.id as UserId))).toBeInstanceOf(
      Y.Doc,
    );
    await tutor.engine.api.request(
      'DELETE',
      `/api/conversations/${priv.id}/members/${other.id}`,
      z.unknown(),
    );
    await eventually(() => expect(raw.frames.some((f) => f.type === 'revoked')).toBe(true), 1000);
    const framesBefore = raw.frames.length;
    await tutor.engine.send(priv.id, 'after removal');
    await tutor.engine.settled();
    await new Promise((r) => setTimeout(r, 100));
    expect(raw.frames.slice(framesBefore).some((f) => f.type === 'sync')).toBe(false);
    await eventually(() => expect(other.engine.conversations().some((c) => c.id === priv.id)).toBe(false));
    expect(texts(other.engine, priv.id)).toEqual([]);
    raw.close();
  });
});

describe('subscription limits (P10)', () => {
  it('P10: one socket follows at most 5,000 documents', async () => {
    const ts = await startServer();
    try {
      const admin = await loginAdmin(ts);
      const s = await addUser(ts, admin, 'student', { connect: false });
      const general = channel(s.engine, 'general') as ConversationId;
      const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
      const empty = Y.encodeStateVector(new Y.Doc());
      for (let batch = 0; batch < 11; batch++)
        raw.send(
          Array.from({ length: 460 }, (_, i) => ({
            type: 'sync' as const,
            doc: authorDoc(general, `u${batch}x${i}` as UserId),
            ref: 0,
            syncType: 0 as const,
            payload: empty,
          })),
        );
      await eventually(() =>
        expect(raw.frames.some((f) => f.type === 'error' && f.code === 'too-many-documents')).toBe(true),
      );
      expect(raw.closed).toBeNull();
      raw.close();
    } finally {
      await ts.destroy();
    }
  });
});
