import type { Engine } from '@commonroom/engine';
import { authorRoots } from '@commonroom/model';
import {
  AdminAddMembersReply,
  AdminChannel,
  AdminChannelList,
  AdminChannelMembers,
  ChannelCohortList,
  authorDoc,
  slugifyChannelName,
  type ConversationId,
  type UserId,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/** The admin console's Channels over HTTP (issue 13 §3): metadata and membership, never messages. */
describe('admin: channels', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const Created = z.object({ channel: AdminChannel, added: z.number() });
  const list = async (qs = '') =>
    (await admin.api.request('GET', `/api/admin/channels?${qs}`, AdminChannelList)).channels;
  const create = (body: Record<string, unknown>) =>
    admin.api.request('POST', '/api/admin/channels', Created, body);
  const patch = (id: string, body: Record<string, unknown>) =>
    admin.api.request('PATCH', `/api/admin/channels/${id}`, Created, body);
  const members = async (id: string) =>
    (await admin.api.request('GET', `/api/admin/channels/${id}/members`, AdminChannelMembers)).members;
  const add = (id: string, body: Record<string, unknown>) =>
    admin.api.request('POST', `/api/admin/channels/${id}/members`, AdminAddMembersReply, body);
  /** People straight into the users table with a cohort list (they never sign in). */
  const cohortPeople = (prefix: string, cohort: string, n: number, active = true): string[] => {
    const ids: string[] = [];
    ts.server.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = `${prefix}${i}`;
        ts.server.internals.users.insert({
          id,
          email: `${prefix}${i}@college.test`,
          username: null,
          displayName: `${prefix} ${i}`,
          role: 'student',
          passwordHash: 'x',
          cohort,
        });
        if (!active) ts.server.internals.users.setActive(id, false);
        ids.push(id);
      }
    })();
    return ids;
  };
  const auditOf = (target: string) =>
    ts.server.internals.audit
      .list(1000)
      .filter((e) => e.target === target)
      .map((e) => ({ action: e.action, detail: e.detail }));

  it('names are slugified as typed: "Biology L3" → "biology-l3", accents dropped, never refused', () => {
    expect(slugifyChannelName('Biology L3')).toBe('biology-l3');
    expect(slugifyChannelName('  Café  Société!! ', true)).toBe('cafe-societe');
    expect(slugifyChannelName('Level 3 ')).toBe('level-3-');
    expect(slugifyChannelName('Level 3 ', true)).toBe('level-3');
    expect(slugifyChannelName('--x__y')).toBe('x__y');
    expect(slugifyChannelName('a'.repeat(80))).toHaveLength(60);
    expect(slugifyChannelName("Year 1's Trip!", true)).toBe('year-1s-trip');
  });

  it('T9: an admin sees every channel, private ones it is not in too, with member counts, but still cannot read them', async () => {
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const secret = await tutor.engine.createChannel('tutor-private-room', 'private', 'Just us');
    const all = await list();
    const row = all.find((c) => c.id === secret.id);
    expect(row).toMatchObject({
      name: 'tutor-private-room',
      kind: 'private',
      memberCount: 1,
      archived: false,
    });
    expect(row?.createdBy).toBe(tutor.id);
    expect(all.some((c) => c.name === 'general')).toBe(true);
    // Metadata only: the conversation routes (and so the sync policy) still treat it as invisible.
    await expect(
      admin.api.request('GET', `/api/conversations/${secret.id}`, z.unknown()),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      admin.api.request('GET', `/api/conversations/${secret.id}/members`, z.unknown()),
    ).rejects.toMatchObject({ status: 404 });
    expect(admin.conversations().some((c) => c.id === secret.id)).toBe(false);
    // Filters: kind, archived, text.
    expect((await list('kind=private')).every((c) => c.kind === 'private')).toBe(true);
    expect((await list('query=tutor-private')).map((c) => c.id)).toEqual([secret.id]);
    expect((await list('archived=yes')).some((c) => c.id === secret.id)).toBe(false);
    await expect(list('kind=dm')).rejects.toMatchObject({ status: 400, code: 'bad-query' });
  });

  it('T9: create public, private and announcement channels; a course channel bound to a cohort takes its active people, and people added to the cohort later; audited', async () => {
    const bio = cohortPeople('bio', 'biology-l3,maths-gcse', 3);
    cohortPeople('bioold', 'biology-l3', 1, false);
    cohortPeople('other', 'biology-l3-extra', 1);
    const { channel: c, added } = await create({
      name: 'Biology-L3',
      kind: 'public',
      description: 'Biology level 3',
      cohort: 'Biology-L3',
    });
    expect(c).toMatchObject({
      name: 'biology-l3',
      kind: 'public',
      cohort: 'biology-l3',
      postPolicy: 'everyone',
    });
    expect(added).toBe(3);
    const ids = (await members(c.id)).map((m) => m.id);
    expect(ids.sort()).toEqual([admin.me()?.id, ...bio].sort());
    expect(auditOf(c.id)[0]).toMatchObject({
      action: 'channel.created',
      detail: { name: 'biology-l3', kind: 'public', cohort: 'biology-l3', members: 3 },
    });
    const ann = await create({ name: 'exam-news', kind: 'announcement', postPolicy: 'everyone' });
    expect(ann.channel.postPolicy).toBe('staff');
    const priv = await create({ name: 'safeguarding-leads', kind: 'private' });
    expect(priv.channel).toMatchObject({ kind: 'private', memberCount: 1 });
    await expect(create({ name: 'biology-l3', kind: 'public' })).rejects.toMatchObject({
      status: 409,
      code: 'name-taken',
    });
    await expect(create({ name: 'Not valid!', kind: 'public' })).rejects.toMatchObject({ status: 400 });
    // Someone added later with that cohort joins the bound channel too (no channel need carry its name).
    const year1 = await create({ name: 'bio-year-one', kind: 'private', cohort: 'biology-y1' });
    const later = await addUser(ts, admin, 'student', { channels: ['biology-y1'], connect: false });
    expect(ts.server.internals.conversations.isMember(year1.channel.id, later.id)).toBe(true);
    expect(ts.server.internals.users.get(later.id)?.cohort).toBe('biology-y1');
    await expect(addUser(ts, admin, 'student', { channels: ['no-such-course'] })).rejects.toMatchObject({
      status: 400,
      code: 'unknown-channel',
    });
    const cohorts = (await admin.api.request('GET', '/api/admin/channel-cohorts', ChannelCohortList)).cohorts;
    expect(cohorts).toEqual(
      expect.arrayContaining([
        { cohort: 'biology-l3', people: 3 },
        { cohort: 'maths-gcse', people: 3 },
        { cohort: 'biology-l3-extra', people: 1 },
      ]),
    );
  });

  it('T9: rename, description, topic, who may post, archive and unarchive: each change audited from → to', async () => {
    const { channel: c } = await create({ name: 'drama-club', kind: 'public' });
    const other = await create({ name: 'drama-club-2', kind: 'public' });
    const r = await patch(c.id, { name: 'theatre-club', description: 'Plays', topic: 'Auditions Friday' });
    expect(r.channel).toMatchObject({
      name: 'theatre-club',
      description: 'Plays',
      topic: 'Auditions Friday',
    });
    await expect(patch(c.id, { name: 'drama-club-2' })).rejects.toMatchObject({
      status: 409,
      code: 'name-taken',
    });
    await expect(patch(channel(admin, 'general'), { name: 'chat' })).rejects.toMatchObject({
      status: 400,
      code: 'fixed-name',
    });
    await expect(patch(channel(admin, 'announcements'), { postPolicy: 'everyone' })).rejects.toMatchObject({
      status: 400,
      code: 'announcement-staff-only',
    });
    expect((await patch(c.id, { postPolicy: 'staff' })).channel.postPolicy).toBe('staff');
    expect((await patch(c.id, { archived: true })).channel.archived).toBe(true);
    expect((await list('archived=yes')).map((x) => x.id)).toContain(c.id);
    expect((await list('archived=no')).map((x) => x.id)).not.toContain(c.id);
    expect((await patch(c.id, { archived: false })).channel.archived).toBe(false);
    const trail = auditOf(c.id).reverse();
    expect(trail.map((e) => e.action)).toEqual([
      'channel.created',
      'channel.updated',
      'channel.updated',
      'channel.archived',
      'channel.unarchived',
    ]);
    expect(trail[1]?.detail).toEqual({
      name: { from: 'drama-club', to: 'theatre-club' },
      description: { from: '', to: 'Plays' },
      topic: { from: '', to: 'Auditions Friday' },
    });
    expect(trail[2]?.detail).toEqual({ postPolicy: { from: 'everyone', to: 'staff' } });
    // Nothing changed: nothing written, nothing audited.
    await patch(other.channel.id, { name: 'drama-club-2' });
    expect(auditOf(other.channel.id)).toHaveLength(1);
    // Binding an existing channel to a cohort brings the cohort's people in now.
    const eng = cohortPeople('eng', 'english-l2', 2);
    const bound = await patch(other.channel.id, { cohort: 'english-l2' });
    expect(bound.added).toBe(2);
    expect((await members(other.channel.id)).map((m) => m.id)).toEqual(expect.arrayContaining(eng));
  });

  it('T4: members: add by person and whole cohort with reasons for who cannot join, remove revokes a private channel; an admin cannot add itself to a private channel', async () => {
    const student = await addUser(ts, admin, 'student');
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const cohort = cohortPeople('hist', 'history-a', 2);
    const { channel: c } = await create({ name: 'history-revision', kind: 'private' });
    const r = await add(c.id, { userIds: [student.id, tutor.id], cohort: 'history-a' });
    expect(r).toEqual({ added: 4, already: 0, skipped: [] });
    expect(await add(c.id, { userIds: [student.id] })).toEqual({ added: 0, already: 1, skipped: [] });
    const m = await members(c.id);
    expect(m.map((x) => x.id)).toEqual(expect.arrayContaining([student.id, tutor.id, ...cohort]));
    expect(m.find((x) => x.id === tutor.id)).toMatchObject({ role: 'tutor' });
    // The student's device is told, and now sees it.
    await eventually(() => expect(student.engine.conversation(c.id)?.isMember).toBe(true));
    // A student cannot be put into a staff-only channel; an unknown person is named as such.
    const staffRoom = channel(admin, 'tutors-only');
    const s = await add(staffRoom, { userIds: [student.id, 'nobody-here'] });
    expect(s.added).toBe(0);
    expect(s.skipped.map((x) => x.reason)).toEqual([
      '#tutors-only is for staff only',
      'has no active account',
    ]);
    await expect(add(c.id, { cohort: 'no-such-cohort' })).rejects.toMatchObject({
      status: 400,
      code: 'empty-cohort',
    });
    await expect(add(c.id, {})).rejects.toMatchObject({ status: 400 });
    // A private channel created by someone else: the admin manages it but cannot make itself a reader.
    const theirs = await tutor.engine.createChannel('tutor-only-room-2', 'private');
    const self = await add(theirs.id, { userIds: [admin.me()?.id ?? ''] });
    expect(self.added).toBe(0);
    expect(self.skipped[0]?.reason).toMatch(/cannot add themselves/);
    // Removing: the member's device loses the private channel.
    await admin.api.request('DELETE', `/api/admin/channels/${c.id}/members/${student.id}`, z.unknown());
    await eventually(() => expect(student.engine.conversation(c.id)).toBeUndefined());
    await expect(
      admin.api.request('DELETE', `/api/admin/channels/${c.id}/members/${student.id}`, z.unknown()),
    ).rejects.toMatchObject({ status: 404, code: 'not-a-member' });
    await expect(
      admin.api.request(
        'DELETE',
        `/api/admin/channels/${channel(admin, 'announcements')}/members/${student.id}`,
        z.unknown(),
      ),
    ).rejects.toMatchObject({ status: 400, code: 'cannot-leave' });
    expect(auditOf(c.id).map((e) => e.action)).toEqual(
      expect.arrayContaining(['channel.members-added', 'channel.member-removed']),
    );
    student.engine.disconnect();
  });

  it('T4, T7: the role matrix: students and tutors get 403 from every admin channel route; tutors manage members of channels they moderate, students never; archived and staff-only channels refuse posts with codes', async () => {
    const student = await addUser(ts, admin, 'student', { connect: false });
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    const { channel: c } = await create({ name: 'matrix-room', kind: 'public' });
    for (const who of [student, tutor]) {
      const calls: [string, string, unknown?][] = [
        ['GET', '/api/admin/channels'],
        ['GET', `/api/admin/channels/${c.id}`],
        ['POST', '/api/admin/channels', { name: 'sneaky', kind: 'public' }],
        ['PATCH', `/api/admin/channels/${c.id}`, { archived: true }],
        ['GET', `/api/admin/channels/${c.id}/members`],
        ['POST', `/api/admin/channels/${c.id}/members`, { userIds: [who.id] }],
        ['DELETE', `/api/admin/channels/${c.id}/members/${admin.me()?.id ?? ''}`],
        ['GET', '/api/admin/channel-cohorts'],
      ];
      for (const [method, path, body] of calls)
        await expect(
          who.engine.api.request(method as 'GET', path, z.unknown(), body),
          `${method} ${path}`,
        ).rejects.toMatchObject({ status: 403 });
    }
    expect((await list()).find((x) => x.name === 'sneaky')).toBeUndefined();
    // A DM is not a channel here: the admin routes do not know it.
    const dm = await student.engine.openDm([tutor.id]);
    await expect(
      admin.api.request('GET', `/api/admin/channels/${dm.id}/members`, z.unknown()),
    ).rejects.toMatchObject({ status: 404, code: 'no-such-channel' });
    expect((await list()).some((x) => x.id === dm.id)).toBe(false);

    // Creating: students cannot, tutors public and private, announcement channels admins only.
    await expect(student.engine.createChannel('student-made', 'public')).rejects.toMatchObject({
      status: 403,
      code: 'staff-only',
    });
    await expect(tutor.engine.createChannel('tutor-news', 'announcement')).rejects.toMatchObject({
      status: 403,
      code: 'admin-only',
    });
    // Members: a tutor adds and removes in a channel they created; a student cannot, even as a member.
    const room = await tutor.engine.createChannel('tutor-group-x', 'private');
    await tutor.engine.api.request('POST', `/api/conversations/${room.id}/members`, z.unknown(), {
      userIds: [student.id],
    });
    await student.engine.refreshConversations();
    expect(student.engine.conversation(room.id)?.isMember).toBe(true);
    await expect(
      student.engine.api.request('POST', `/api/conversations/${room.id}/members`, z.unknown(), {
        userIds: [tutor.id],
      }),
    ).rejects.toMatchObject({ status: 403, code: 'not-a-moderator' });
    await expect(
      student.engine.api.request('DELETE', `/api/conversations/${room.id}/members/${tutor.id}`, z.unknown()),
    ).rejects.toMatchObject({ status: 403, code: 'not-a-moderator' });
    await expect(
      student.engine.api.request('PATCH', `/api/conversations/${room.id}`, z.unknown(), { archived: true }),
    ).rejects.toMatchObject({ status: 403, code: 'not-a-moderator' });
    // A tutor who is not in a private channel cannot see it, let alone manage it.
    const other = await addUser(ts, admin, 'tutor', { connect: false });
    await expect(
      other.engine.api.request('POST', `/api/conversations/${room.id}/members`, z.unknown(), {
        userIds: [other.id],
      }),
    ).rejects.toMatchObject({ status: 404 });

    // Posting: members of an archived channel and students in a staff-only one are refused with codes.
    await add(c.id, { userIds: [student.id, tutor.id] });
    const post = async (who: typeof student, id: string, n: string) => {
      const raw = await connectRaw(ts.url, await login(ts.url, who.email, who.password));
      const answer = await raw.write(
        authorDoc(id as ConversationId, who.id as UserId),
        craftUpdate((d) => authorRoots(d).msgs.push([{ id: n, text: `post ${n}`, ts: 1 }])),
      );
      raw.close();
      return answer;
    };
    expect(await post(student, c.id, 's1')).toEqual({ kind: 'ack' });
    await patch(c.id, { postPolicy: 'staff' });
    expect(await post(student, c.id, 's2')).toEqual({ kind: 'reject', code: 'staff-only-posting' });
    expect(await post(tutor, c.id, 't1')).toEqual({ kind: 'ack' });
    await student.engine.refreshConversations();
    expect(student.engine.conversation(c.id)).toMatchObject({ canPost: false, archived: false });
    await patch(c.id, { archived: true });
    expect(await post(tutor, c.id, 't2')).toEqual({ kind: 'reject', code: 'archived' });
    await patch(c.id, { archived: false, postPolicy: 'everyone' });
    expect(await post(student, c.id, 's3')).toEqual({ kind: 'ack' });
  });
});
