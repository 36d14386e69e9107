import type { Engine } from '@commonroom/engine';
import { sendMessage, setReaction, deleteMessage } from '@commonroom/model';
import { MuteList, Mute, authorDoc, asConversationId, asUserId, type Frame } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as z from 'zod/mini';
import { addUser, channel, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, login, type RawClient } from './raw-client.ts';

/**
 * Issue 14 §3, mute: who may mute whom (role matrix), enforcement on every write of new messages, edits
 * and reactions in the muted scope (a channel, or everywhere) with the code `muted` and words saying where
 * and until when, deletes still allowed, a notice to the person's sockets, lifting and expiry (an injected
 * clock). Raw frames, as a device that queued its writes offline sends them.
 */
describe('mute: role matrix and enforcement on a real server', () => {
  let ts: TestServer;
  let admin: Engine;
  let tutor: Awaited<ReturnType<typeof addUser>>;
  let tutor2: Awaited<ReturnType<typeof addUser>>;
  let amy: Awaited<ReturnType<typeof addUser>>;
  let ben: Awaited<ReturnType<typeof addUser>>;
  let general: string;
  let support: string;
  let offset = 0;
  let amyCookie = '';
  let raw: RawClient;
  /** Amy's own documents as her device holds them, so each write builds on the last. */
  const docs = new Map<string, Y.Doc>();
  let n = 0;

  beforeAll(async () => {
    ts = await startServer({ now: () => Date.now() + offset });
    admin = await loginAdmin(ts);
    tutor = await addUser(ts, admin, 'tutor', { name: 'Sarah Tutor' });
    tutor2 = await addUser(ts, admin, 'tutor', { name: 'Tom Tutor' });
    amy = await addUser(ts, admin, 'student', { name: 'Amy', connect: false });
    ben = await addUser(ts, admin, 'student', { name: 'Ben' });
    general = channel(tutor.engine, 'general');
    support = channel(tutor.engine, 'it-support');
    amyCookie = await login(ts.url, amy.email, amy.password);
    raw = await connectRaw(ts.url, amyCookie);
  });
  afterAll(async () => {
    raw.close();
    await ts.destroy();
  });

  const call = async (cookie: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ts.url}${path}`, {
      method,
      headers: { cookie, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const cookies = new Map<string, string>();
  const as = async (who: { email: string; password: string }) => {
    let c = cookies.get(who.email);
    if (!c) cookies.set(who.email, (c = await login(ts.url, who.email, who.password)));
    return c;
  };
  const mute = async (
    who: { email: string; password: string },
    userId: string,
    conversationId: string | null,
    duration: string,
  ) => call(await as(who), 'POST', '/api/mutes', { userId, conversationId, duration, reason: 'test' });
  const adminLogin = { email: 'admin@college.test', password: 'admin-password-1' };

  /** Amy's device writes (as an offline-queued frame would arrive): a message, a reaction, or a delete. */
  const write = async (conversationId: string, build: (d: Y.Doc) => void) => {
    const name = authorDoc(asConversationId(conversationId), asUserId(amy.id));
    let d = docs.get(name);
    if (!d) {
      const fetched = await raw.fetchDoc(name);
      d = fetched instanceof Y.Doc ? fetched : new Y.Doc();
      docs.set(name, d);
    }
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(d));
    const before = Y.encodeStateVector(copy);
    build(copy);
    const update = Y.encodeStateAsUpdate(copy, before);
    const from = raw.frames.length;
    const r = await raw.write(name, update);
    if (r.kind === 'ack') Y.applyUpdate(d, update);
    const rej = raw.frames
      .slice(from)
      .find((f): f is Extract<Frame, { type: 'reject' }> => f.type === 'reject');
    return { kind: r.kind, code: r.kind === 'reject' ? r.code : null, message: rej?.message ?? null };
  };
  const say = (conversationId: string, text: string) =>
    write(conversationId, (d) => sendMessage(d, { id: `m${++n}`, text, ts: Date.now() + offset }));

  it('role matrix: students cannot mute; tutors mute students in their channel only; admins mute anyone but admins, everywhere too', async () => {
    expect((await mute(ben, amy.id, general, '1h')).status).toBe(403);
    expect((await mute(ben, amy.id, null, '1h')).status).toBe(403);
    expect((await mute(tutor, amy.id, null, '1h')).status).toBe(403);
    expect((await mute(tutor, tutor2.id, general, '1h')).status).toBe(403);
    const adminId = ts.server.internals.users.findByLogin(adminLogin.email)?.id ?? '';
    expect((await mute(tutor, adminId, general, '1h')).status).toBe(403);
    expect((await mute(tutor, tutor.id, general, '1h')).status).toBe(400);
    // A private channel the tutor is not in: not theirs to moderate.
    const adminTeam = channel(admin, 'admin-team');
    expect((await mute(tutor, amy.id, adminTeam, '1h')).status).toBe(403);
    const admin2 = await addUser(ts, admin, 'admin', { name: 'Other Admin', connect: false });
    expect((await mute(adminLogin, admin2.id, null, '1h')).status).toBe(403);
    // An admin mutes staff (a tutor) where a tutor may not.
    const staffMute = await mute(adminLogin, tutor2.id, general, '1h');
    expect(staffMute.status).toBe(201);
    expect(
      (
        await call(
          await as(adminLogin),
          'POST',
          `/api/mutes/${Mute.parse(staffMute.body['mute']).id}/lift`,
          {},
        )
      ).status,
    ).toBe(200);
    // A bad body is refused by the schema.
    expect((await mute(tutor, amy.id, general, '2 years')).status).toBe(400);
    // Students see neither a channel's mutes nor another person's.
    expect((await call(await as(ben), 'GET', `/api/mutes?conversationId=${general}`)).status).toBe(403);
    expect((await call(await as(ben), 'GET', `/api/mutes?userId=${amy.id}`)).status).toBe(403);
    // Nothing was stored by any refusal: the one mute is the admin's of the tutor (lifted).
    expect(ts.server.db.prepare('SELECT COUNT(*) AS n FROM mutes').get()).toEqual({ n: 1 });
  });

  it('a channel mute refuses new messages, edits and reactions there with `muted` and where/until words; deletes and other channels go on; the person is told', async () => {
    const before = await say(general, 'first, before the mute');
    expect(before.kind).toBe('ack');
    const made = await mute(tutor, amy.id, general, '1h');
    expect(made.status).toBe(201);
    const m = Mute.parse(made.body['mute']);
    expect(m).toMatchObject({ userId: amy.id, conversationId: general, conversationName: 'general' });
    expect(m.until).toBeGreaterThan(Date.now() + 59 * 60_000);
    await eventually(() =>
      expect(raw.frames.some((f) => f.type === 'notice' && f.kind === 'mute-changed')).toBe(true),
    );

    const refused = await say(general, 'written offline before the mute reached me');
    expect(refused).toMatchObject({ kind: 'reject', code: 'muted' });
    expect(refused.message).toMatch(/^you are muted in #general until \w{3} \d{1,2} \w{3}, \d\d:\d\d$/);
    const key = `${amy.id}:m1`;
    expect((await write(general, (d) => setReaction(d, key, '👍', true, Date.now()))).code).toBe('muted');
    // Deleting her own words stays allowed while muted.
    expect((await write(general, (d) => deleteMessage(d, 'm1', Date.now()))).kind).toBe('ack');
    // Another channel is not muted.
    expect((await say(support, 'still fine here')).kind).toBe('ack');
    // Refusals of a muted person do not hold them off as rule-breaking: a queue of them is all refused as muted.
    for (let i = 0; i < 12; i++) expect((await say(general, `queued ${i}`)).code).toBe('muted');

    // The person's conversation carries their mute (the composer's banner); the moderator sees the list.
    const mine = await call(amyCookie, 'GET', `/api/conversations/${general}`);
    expect((mine.body['conversation'] as { muted?: unknown }).muted).toEqual({
      until: m.until,
      everywhere: false,
      message: expect.stringMatching(/^You are muted in #general until /),
    });
    const listed = MuteList.parse(
      (await call(await as(tutor), 'GET', `/api/mutes?conversationId=${general}`)).body,
    );
    expect(listed.mutes.map((x) => x.id)).toEqual([m.id]);
    const audit = ts.server.internals.audit.list(100, 'person.muted');
    expect(audit.some((e) => e.actorId === tutor.id && e.target === amy.id)).toBe(true);

    // A student cannot lift it; the tutor can, and Amy can post again at once.
    expect((await call(await as(ben), 'POST', `/api/mutes/${m.id}/lift`, {})).status).toBe(403);
    expect((await call(await as(tutor), 'POST', `/api/mutes/${m.id}/lift`, {})).status).toBe(200);
    expect(ts.server.internals.audit.list(100, 'person.unmuted').some((e) => e.target === amy.id)).toBe(true);
    expect((await say(general, 'after the lift')).kind).toBe('ack');
    expect((await call(await as(tutor), 'POST', `/api/mutes/${m.id}/lift`, {})).status).toBe(404);
  });

  it('an admin mute everywhere refuses every channel until lifted; it says so', async () => {
    const made = await mute(adminLogin, amy.id, null, 'lifted');
    expect(made.status).toBe(201);
    const m = Mute.parse(made.body['mute']);
    expect(m.until).toBeNull();
    const a = await say(general, 'muted everywhere');
    const b = await say(support, 'here too');
    expect([a.code, b.code]).toEqual(['muted', 'muted']);
    expect(b.message).toBe(
      'you are muted in #it-support (and every other channel) until a moderator lifts it',
    );
    // Direct messages are not muted: she can still write to a tutor (a disclosure must get through).
    const dm = await call(amyCookie, 'POST', '/api/dms', { userIds: [tutor.id] });
    const dmId = (dm.body['conversation'] as { id: string }).id;
    expect(await say(dmId, 'can I talk to you about something')).toMatchObject({ kind: 'ack' });
    // A tutor cannot lift an everywhere mute; an admin can.
    expect((await call(await as(tutor), 'POST', `/api/mutes/${m.id}/lift`, {})).status).toBe(403);
    expect((await call(await as(adminLogin), 'POST', `/api/mutes/${m.id}/lift`, {})).status).toBe(200);
    expect((await say(support, 'free again')).kind).toBe('ack');
  });

  it('a mute for a period ends by itself: expiry on the injected clock needs no one to lift it', async () => {
    const made = await mute(tutor, amy.id, general, '1d');
    expect(made.status).toBe(201);
    expect((await say(general, 'in the day')).code).toBe('muted');
    offset += 23 * 3_600_000;
    expect((await say(general, 'an hour before the end')).code).toBe('muted');
    offset += 2 * 3_600_000;
    expect((await say(general, 'the next day')).kind).toBe('ack');
    const mine = MuteList.parse((await call(amyCookie, 'GET', '/api/mutes')).body);
    expect(mine.mutes).toEqual([]);
    const schema = z.object({ conversation: z.object({ muted: z.optional(z.unknown()) }) });
    const conv = schema.parse((await call(amyCookie, 'GET', `/api/conversations/${general}`)).body);
    expect(conv.conversation.muted).toBeUndefined();
  });
});
