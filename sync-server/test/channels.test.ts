import type { Engine } from '@commonroom/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel, eventually, loginAdmin, startServer, texts, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';

describe('channels and direct messages', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('staff create channels; students cannot; announcement channels are for admins to create', async () => {
    const student = await addUser(ts, admin, 'student', { connect: false });
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    await expect(student.engine.createChannel('my-club', 'public')).rejects.toMatchObject({
      status: 403,
      code: 'staff-only',
    });
    await expect(tutor.engine.createChannel('news', 'announcement')).rejects.toMatchObject({
      status: 403,
      code: 'admin-only',
    });
    const c = await tutor.engine.createChannel('level2-study-group', 'public', 'Revision');
    expect(c).toMatchObject({
      kind: 'public',
      name: 'level2-study-group',
      isMember: true,
      canModerate: true,
    });
    await expect(tutor.engine.createChannel('level2-study-group', 'public')).rejects.toMatchObject({
      status: 409,
    });
    await expect(tutor.engine.createChannel('Bad Name!', 'public')).rejects.toMatchObject({ status: 400 });
  });

  it('anyone joins and leaves a public channel; a private one is invite only; #announcements stays', async () => {
    const student = await addUser(ts, admin, 'student', { connect: false });
    const course = channel(student.engine, 'level2-it-skills');
    expect(student.engine.conversation(course)?.isMember).toBe(false);
    expect(student.engine.conversation(course)?.canPost).toBe(false);
    await student.engine.join(course);
    expect(student.engine.conversation(course)).toMatchObject({
      isMember: true,
      canPost: true,
      canModerate: false,
    });
    await student.engine.leave(course);
    expect(student.engine.conversation(course)?.isMember).toBe(false);
    await expect(student.engine.leave(channel(student.engine, 'announcements'))).rejects.toMatchObject({
      status: 400,
    });
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    await expect(tutor.engine.join(channel(tutor.engine, 'tutors-only'))).rejects.toMatchObject({
      status: 403,
      code: 'invite-only',
    });
  });

  it('a moderator sets the topic and archives a channel; an archived channel takes no new messages', async () => {
    const tutor = await addUser(ts, admin, 'tutor');
    const student = await addUser(ts, admin, 'student');
    const c = await tutor.engine.createChannel('trip-2026', 'public', 'The trip');
    await student.engine.join(c.id);
    await expect(
      student.engine.api.request('PATCH', `/api/conversations/${c.id}`, z.unknown(), { topic: 'mine now' }),
    ).rejects.toMatchObject({ status: 403 });
    const { conversation } = await tutor.engine.api.request(
      'PATCH',
      `/api/conversations/${c.id}`,
      z.object({ conversation: z.object({ topic: z.string(), archived: z.boolean() }) }),
      {
        topic: 'Coach leaves 8am',
        archived: true,
      },
    );
    expect(conversation).toEqual({ topic: 'Coach leaves 8am', archived: true });
    await student.engine.refreshConversations();
    expect(student.engine.conversation(c.id)).toMatchObject({ archived: true, canPost: false });
    await student.engine.open(c.id);
    await student.engine.send(c.id, 'too late?');
    await eventually(() =>
      expect(student.engine.view(c.id).messages.at(-1)).toMatchObject({
        status: 'rejected',
        error: 'this conversation is archived',
      }),
    );
  });

  it("T4: topic and description are changed by the channel's moderators only, each change audited (issue 18)", async () => {
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const outsider = await addUser(ts, admin, 'tutor', { connect: false });
    const student = await addUser(ts, admin, 'student', { connect: false });
    const c = await tutor.engine.createChannel('biology-l3', 'public', 'Biology');
    await student.engine.join(c.id);
    const patch = (e: Engine, body: object) =>
      e.api.request(
        'PATCH',
        `/api/conversations/${c.id}`,
        z.object({ conversation: z.object({ topic: z.string(), description: z.string() }) }),
        body,
      );
    // A member who is a student, and a member of staff who is not in the channel: neither moderates it.
    await expect(patch(student.engine, { description: 'mine now' })).rejects.toMatchObject({ status: 403 });
    await expect(patch(outsider.engine, { topic: 'not yours' })).rejects.toMatchObject({ status: 403 });
    await expect(patch(tutor.engine, { topic: 'x'.repeat(251) })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^topic: /) as unknown,
    });
    const { conversation } = await patch(tutor.engine, {
      topic: 'Cells this week',
      description: 'Biology L3',
    });
    expect(conversation).toEqual({ topic: 'Cells this week', description: 'Biology L3' });
    expect(ts.server.internals.audit.list(1, 'channel.updated')[0]).toMatchObject({
      actorId: tutor.id,
      detail: { topic: 'Cells this week', description: 'Biology L3' },
    });
    await student.engine.refreshConversations();
    expect(student.engine.conversation(c.id)).toMatchObject({
      topic: 'Cells this week',
      description: 'Biology L3',
    });
  });

  it('T4: a student cannot archive or change a DM, whose moderation is just membership; its staff can (D16)', async () => {
    const a = await addUser(ts, admin, 'student', { connect: false });
    const t = await addUser(ts, admin, 'tutor', { connect: false });
    const dm = await a.engine.openDm([t.id]);
    await expect(
      a.engine.api.request('PATCH', `/api/conversations/${dm.id}`, z.unknown(), { archived: true }),
    ).rejects.toMatchObject({ status: 403, code: 'not-a-moderator' });
    await t.engine.refreshConversations();
    expect(t.engine.conversation(dm.id)).toMatchObject({ archived: false, canPost: true });
    await expect(
      t.engine.api.request('PATCH', `/api/conversations/${dm.id}`, z.unknown(), { archived: true }),
    ).resolves.toBeDefined();
  });

  it('T9: staff-only and admin-only channels take only those roles, however someone is added (D16)', async () => {
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const student = await addUser(ts, admin, 'student', { connect: false });
    const tutorsOnly = channel(tutor.engine, 'tutors-only');
    const add = (e: Engine, id: string, userIds: string[]) =>
      e.api.request('POST', `/api/conversations/${id}/members`, z.unknown(), { userIds });
    await expect(add(tutor.engine, tutorsOnly, [student.id])).rejects.toMatchObject({
      status: 400,
      code: 'channel-not-allowed',
    });
    expect(ts.server.internals.conversations.isMember(tutorsOnly, student.id)).toBe(false);
    const adminTeam = channel(admin, 'admin-team');
    await expect(add(admin, adminTeam, [tutor.id])).rejects.toMatchObject({
      status: 400,
      code: 'channel-not-allowed',
    });
    const teacher = await addUser(ts, admin, 'teacher', { connect: false });
    await expect(add(tutor.engine, tutorsOnly, [teacher.id])).resolves.toBeDefined();
  });

  it('T7: nobody leaves #announcements, by POST /leave or by DELETE of their membership (D16)', async () => {
    const student = await addUser(ts, admin, 'student', { connect: false });
    const announcements = channel(student.engine, 'announcements');
    await expect(
      student.engine.api.request(
        'DELETE',
        `/api/conversations/${announcements}/members/${student.id}`,
        z.unknown(),
      ),
    ).rejects.toMatchObject({ status: 400, code: 'cannot-leave' });
    await expect(
      admin.api.request('DELETE', `/api/conversations/${announcements}/members/${student.id}`, z.unknown()),
    ).rejects.toMatchObject({ status: 400, code: 'cannot-leave' });
    expect(ts.server.internals.conversations.isMember(announcements, student.id)).toBe(true);
  });

  it('group DMs: up to nine people, found again by the same set, visible only to them', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'student');
    const t = await addUser(ts, admin, 'tutor');
    const outsider = await addUser(ts, admin, 'student');
    const dm = await a.engine.openDm([b.id, t.id]);
    expect(dm.dmMembers.map((m) => m.id).sort()).toEqual([a.id, b.id, t.id].sort());
    expect((await t.engine.openDm([b.id, a.id])).id).toBe(dm.id);
    await a.engine.open(dm.id);
    await a.engine.send(dm.id, 'group project?');
    await a.engine.settled();
    await b.engine.refreshConversations();
    await b.engine.open(dm.id);
    await eventually(() => expect(texts(b.engine, dm.id)).toEqual(['group project?']));
    await outsider.engine.refreshConversations();
    expect(outsider.engine.conversation(dm.id)).toBeUndefined();
    await expect(a.engine.openDm([a.id])).rejects.toMatchObject({ status: 400 });
  });

  it('an admin resets a password: old sessions end, the new password works, it is audited', async () => {
    const s = await addUser(ts, admin, 'student');
    await admin.api.request('POST', `/api/admin/users/${s.id}/password`, z.unknown(), {
      password: 'a brand new password',
    });
    await eventually(() => expect(s.engine.status().connection).toBe('signed-out'), 1000);
    await expect(login(ts.url, s.email, s.password)).rejects.toThrow(/401/);
    await expect(login(ts.url, s.email, 'a brand new password')).resolves.toMatch(/^cr_session=/);
    expect(ts.server.internals.audit.list(50, 'user.password-reset').some((e) => e.target === s.id)).toBe(
      true,
    );
  });

  it('the directory lists active people without their email addresses', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const users = await s.engine.users();
    expect(users.length).toBeGreaterThan(1);
    expect(JSON.stringify(users)).not.toContain('@college.test');
  });
});
