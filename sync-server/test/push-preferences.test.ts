import {
  NotifyPrefsReply,
  PushPayload,
  WorkspaceQuietHours,
  type ConversationNotify,
  type NotifyPrefsPatch,
} from '@commonroom/protocol';
import type { Engine } from '@commonroom/engine';
import { decrypt } from 'http_ece';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel } from './harness.ts';
import { browserSubscription, usePushServer } from './push-harness.ts';

/**
 * Issue 15 §2: each person's notification preferences decide what the real push service is sent: their
 * level, each conversation's choice, and quiet hours on the workspace's clock (the server's clock is
 * injected and set to the moments the tests need, across midnight and in other zones). A push that must
 * not come is checked by a later one to the same device that must: the device got that one only.
 */

/**
 * The server's clock: real time shifted, so it moves on (rate limits refill) from a moment a test sets. It
 * only moves forward, as a real one does (a rate limit would count a step back against the sender).
 */
let offset = 0;
const setClock = (iso: string) => {
  offset = Date.parse(iso) - Date.now();
};
const now = () => Date.now() + offset;

describe('push preferences', () => {
  const env = usePushServer({ now });

  type Person = Awaited<ReturnType<typeof addUser>> & { sub: ReturnType<typeof browserSubscription> };
  const person = async (role: 'student' | 'teacher', name: string): Promise<Person> => {
    const p = await addUser(env.ts, env.admin, role, { name });
    const sub = browserSubscription(`${env.push.url}/push/${p.id}`);
    await p.engine.api.request('POST', '/api/push/subscriptions', z.unknown(), sub.body);
    return { ...p, sub };
  };
  /** The bodies of what this person's device was sent since `from`, decrypted. */
  const got = (p: Person, from: number): PushPayload[] =>
    env.push.received
      .slice(from)
      .filter((r) => p.sub.body.endpoint.endsWith(r.path))
      .map((r) => {
        const plain = decrypt(r.body, {
          version: 'aes128gcm',
          privateKey: p.sub.ecdh,
          authSecret: p.sub.auth,
        });
        return PushPayload.parse(JSON.parse(plain.toString('utf8')));
      });
  /** The app closed: once the server has seen the socket go, the device is pushed to. */
  const offline = async (...people: Person[]) => {
    for (const p of people) p.engine.disconnect();
    for (const p of people)
      await expect.poll(() => env.ts.server.internals.hub.sessionsOf(p.id).length).toBe(0);
  };
  const bodies = (p: Person, from: number) => got(p, from).map((x) => x.body);
  const prefs = (e: Engine, patch: NotifyPrefsPatch) =>
    e.api.request('PATCH', '/api/me/notifications', NotifyPrefsReply, patch);
  const choose = (e: Engine, conversationId: string, notify: ConversationNotify) =>
    e.api.request('PUT', `/api/conversations/${conversationId}/notify`, z.unknown(), { notify });
  const send = async (e: Engine, conversationId: string, text: string) => {
    await e.send(conversationId, text);
    await e.settled();
  };
  /** Sends `text`, then `control`, and waits for the control to reach `to`: what came before it is known. */
  const thenControl = async (from: Engine, to: Person, dm: string, texts: [string, string][]) => {
    const start = env.push.received.length;
    for (const [conversationId, text] of texts) await send(from, conversationId, text);
    await send(from, dm, 'control');
    await expect.poll(() => bodies(to, start).includes('control')).toBe(true);
    return bodies(to, start);
  };

  it('issue 15: the level (all / mentions and DMs / nothing) and each conversation’s choice decide who is pushed', async () => {
    setClock('2026-12-07T12:00:00Z');
    const amy = await person('student', 'Amy Level');
    const ben = await person('student', 'Ben Level');
    const general = channel(amy.engine, 'general');
    const dm = (await amy.engine.openDm([ben.id])).id;
    await offline(ben);

    // The default: a DM and a mention, not a plain channel message.
    expect(await thenControl(amy.engine, ben, dm, [[general, 'plain one']])).toEqual(['control']);

    // "All messages": every message in his conversations, channels included, said as such.
    expect((await prefs(ben.engine, { level: 'all' })).level).toBe('all');
    const start = env.push.received.length;
    expect(await thenControl(amy.engine, ben, dm, [[general, 'plain two']])).toEqual([
      'plain two',
      'control',
    ]);
    expect(got(ben, start)[0]).toMatchObject({ kind: 'message', title: 'Amy Level in #general' });

    // #general on "mentions only": plain messages stop, a mention still comes.
    await choose(ben.engine, general, 'mentions');
    expect(
      await thenControl(amy.engine, ben, dm, [
        [general, 'plain three'],
        [general, 'hello @Ben.Level'],
      ]),
    ).toEqual(['hello @Ben.Level', 'control']);

    // "Nothing": not even a DM. The control needs a level that lets it through, so it is checked after.
    await prefs(ben.engine, { level: 'nothing' });
    const quiet = env.push.received.length;
    await send(amy.engine, dm, 'a dm while off');
    await prefs(ben.engine, { level: 'mentions' });
    expect(await thenControl(amy.engine, ben, dm, [])).toEqual(['control']);
    expect(bodies(ben, quiet)).toEqual(['control']);

    // The DM muted: nothing from it; following the default again, it pushes.
    await choose(ben.engine, dm, 'muted');
    const mutedFrom = env.push.received.length;
    await send(amy.engine, dm, 'in a muted dm');
    await choose(ben.engine, dm, 'default');
    expect(await thenControl(amy.engine, ben, dm, [])).toEqual(['control']);
    expect(bodies(ben, mutedFrom)).toEqual(['control']);

    // A conversation on "all" under the default level: its plain messages come, other channels' do not.
    await choose(ben.engine, general, 'all');
    expect(await thenControl(amy.engine, ben, dm, [[general, 'plain four']])).toEqual([
      'plain four',
      'control',
    ]);

    // The choice travels with the conversation list (the app knows it offline), and only members choose.
    ben.engine.connect();
    await ben.engine.settled();
    expect(ben.engine.conversation(general)?.notify).toBe('all');
    expect(ben.engine.conversation(dm)?.notify).toBeUndefined();
    const cara = await person('student', 'Cara Other');
    await expect(choose(cara.engine, dm, 'muted')).rejects.toMatchObject({ status: 404 });
    await expect(
      ben.engine.api.request('PUT', `/api/conversations/${general}/notify`, z.unknown(), { notify: 'loud' }),
    ).rejects.toMatchObject({ status: 400 });
    for (const p of [amy, ben, cara]) p.engine.disconnect();
  });

  it('issue 15: students’ quiet hours (22:00–07:00) hold across midnight; staff have none unless set; a student may narrow them, not widen', async () => {
    // 23:30 in London (GMT in December): a student's DM waits; the teacher's comes.
    setClock('2026-12-07T23:30:00Z');
    const tess = await person('teacher', 'Tess Quiet');
    const sam = await person('student', 'Sam Quiet');
    const sent = (await tess.engine.openDm([sam.id])).id;
    const control = await person('teacher', 'Carl Control');
    const toCarl = (await tess.engine.openDm([control.id])).id;
    const back = (await sam.engine.openDm([tess.id])).id;
    await offline(sam, control, tess);
    sam.engine.connect();
    await sam.engine.settled();
    let from = env.push.received.length;
    await send(sam.engine, back, 'late question');
    await expect.poll(() => bodies(tess, from)).toEqual(['late question']);
    await offline(sam);

    tess.engine.connect();
    await tess.engine.settled();
    const dmSam = async (text: string) => {
      const start = env.push.received.length;
      await send(tess.engine, sent, text);
      await send(tess.engine, toCarl, text);
      await expect.poll(() => bodies(control, start)).toEqual([text]);
      return bodies(sam, start);
    };
    expect(await dmSam('at 23:30')).toEqual([]);
    // After midnight, still quiet; at 07:30, it comes.
    setClock('2026-12-08T06:30:00Z');
    expect(await dmSam('at 06:30')).toEqual([]);
    setClock('2026-12-08T07:30:00Z');
    expect(await dmSam('at 07:30')).toEqual(['at 07:30']);

    // Sam's own window must lie inside the workspace's: 23:00–06:00 is; 21:00–08:00 and "off" are not.
    const mine = await prefs(sam.engine, { quiet: { start: 23 * 60, end: 6 * 60 } });
    expect(mine).toMatchObject({ mayWiden: false, effective: { start: 1380, end: 360 } });
    await expect(prefs(sam.engine, { quiet: { start: 21 * 60, end: 8 * 60 } })).rejects.toMatchObject({
      status: 400,
      code: 'quiet-hours',
    });
    await expect(prefs(sam.engine, { quiet: 'off' })).rejects.toMatchObject({ code: 'quiet-hours' });
    await expect(prefs(sam.engine, { quiet: { start: 60, end: 60 } })).rejects.toMatchObject({ status: 400 });
    setClock('2026-12-08T22:30:00Z');
    expect(await dmSam('at 22:30, narrowed')).toEqual(['at 22:30, narrowed']);
    setClock('2026-12-08T23:10:00Z');
    expect(await dmSam('at 23:10, narrowed')).toEqual([]);

    // Staff may set their own (here a lunch hour) and turn them off.
    setClock('2026-12-09T12:30:00Z');
    await prefs(control.engine, { quiet: { start: 12 * 60, end: 13 * 60 } });
    from = env.push.received.length;
    await send(tess.engine, toCarl, 'lunch?');
    await send(tess.engine, sent, 'after lunch control');
    await expect.poll(() => bodies(sam, from)).toEqual(['after lunch control']);
    expect(bodies(control, from)).toEqual([]);
    expect((await prefs(control.engine, { quiet: 'off' })).effective).toBeNull();
    for (const p of [tess, sam, control]) p.engine.disconnect();
  });

  it('issue 15: the workspace’s quiet hours are on its own clock, set by admins only, and audited', async () => {
    const ask = (e: Engine, q: unknown) =>
      e.api.request('PUT', '/api/admin/quiet-hours', WorkspaceQuietHours, q);
    expect(await env.admin.api.request('GET', '/api/admin/quiet-hours', WorkspaceQuietHours)).toEqual({
      timeZone: 'Europe/London',
      students: { start: 1320, end: 420 },
      staff: null,
    });
    const zoe = await person('student', 'Zoe Zone');
    await expect(ask(zoe.engine, { timeZone: 'UTC', students: null, staff: null })).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      ask(env.admin, { timeZone: 'Mars/Olympus', students: null, staff: null }),
    ).rejects.toMatchObject({ status: 400 });
    // Kolkata is 5:30 ahead of UTC: 17:00 UTC is 22:30 there (quiet), 02:00 UTC is 07:30 (not).
    await ask(env.admin, { timeZone: 'Asia/Kolkata', students: { start: 1320, end: 420 }, staff: null });
    const tom = await person('teacher', 'Tom Zone');
    const dm = (await tom.engine.openDm([zoe.id])).id;
    const self = await person('teacher', 'Sid Zone');
    const control = (await tom.engine.openDm([self.id])).id;
    await offline(zoe, self);
    const dmZoe = async (text: string) => {
      const start = env.push.received.length;
      await send(tom.engine, dm, text);
      await send(tom.engine, control, text);
      await expect.poll(() => bodies(self, start)).toEqual([text]);
      return bodies(zoe, start);
    };
    setClock('2026-12-09T17:00:00Z');
    expect(await dmZoe('22:30 in Kolkata')).toEqual([]);
    setClock('2026-12-10T02:00:00Z');
    expect(await dmZoe('07:30 in Kolkata')).toEqual(['07:30 in Kolkata']);
    // What the person is told of their quiet hours follows the workspace's clock.
    const mine = await zoe.engine.api.request('GET', '/api/me/notifications', NotifyPrefsReply);
    expect(mine).toMatchObject({ timeZone: 'Asia/Kolkata', quiet: 'workspace', level: 'mentions' });
    const { entries } = await env.admin.api.request(
      'GET',
      '/api/admin/audit?action=settings.changed',
      z.object({ entries: z.array(z.object({ detail: z.record(z.string(), z.unknown()) })) }),
    );
    expect(entries[0]?.detail).toHaveProperty('quietHours.to.timeZone', 'Asia/Kolkata');
    await ask(env.admin, { timeZone: 'Europe/London', students: { start: 1320, end: 420 }, staff: null });
    for (const p of [tom, zoe, self]) p.engine.disconnect();
  });

  it('issue 15: "nothing" and quiet hours never hold back a safeguarding lead’s report alert', async () => {
    setClock('2026-12-10T23:00:00Z');
    const lena = await person('teacher', 'Lena Lead');
    await env.admin.api.request('PUT', `/api/admin/users/${lena.id}/safeguarding-lead`, z.unknown(), {
      lead: true,
    });
    await prefs(lena.engine, { level: 'nothing', quiet: { start: 22 * 60, end: 7 * 60 } });
    await offline(lena);
    const will = await person('student', 'Will Report');
    const general = channel(will.engine, 'general');
    const key = await will.engine.send(general, 'see me after, tell nobody');
    await will.engine.settled();
    const from = env.push.received.length;
    await will.engine.api.request('POST', '/api/safeguarding/reports', z.unknown(), {
      id: 'prefs-report-1',
      conversationId: general,
      authorId: will.id,
      localId: key.split(':')[1],
      reason: 'inappropriate',
      detail: '',
    });
    await expect.poll(() => got(lena, from).map((p) => p.kind)).toEqual(['report']);
    will.engine.disconnect();
  });
});
