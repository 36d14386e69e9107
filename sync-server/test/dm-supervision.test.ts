import type { Engine } from '@commonroom/engine';
import { authorRoots } from '@commonroom/model';
import { authorDoc, WorkspaceSettings, type ConversationId, type UserId } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, eventually, loginAdmin, startServer, texts, type TestServer } from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * Issue 14 §4 against a real server, SQLite file and sockets: supervised student-to-student DMs. The chosen
 * staff supervisor joins every students' DM (existing ones too) as a silent member, reads it through the
 * normal sync rules, cannot leave, is not one of the DM's people; the students are told; a new supervisor
 * replaces the old one; each change is audited; "staff only" keeps students' DMs read-only.
 */
describe('supervised student-to-student DMs', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  type Person = Awaited<ReturnType<typeof addUser>>;
  /** The first supervisor and the students' DM the later tests pick up. */
  let jones: Person;
  let amy: Person;
  let before: ConversationId;
  const patch = (body: unknown) => admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, body);
  const raw = async (p: { email: string; password: string }) =>
    connectRaw(ts.url, await login(ts.url, p.email, p.password));

  it('T9: supervision needs an active staff supervisor; only admins set it or list the choices', async () => {
    const student = await addUser(ts, admin, 'student', { connect: false });
    await expect(patch({ studentDmPolicy: 'supervised' })).rejects.toMatchObject({
      status: 400,
      code: 'supervisor-required',
    });
    await expect(patch({ studentDmPolicy: 'supervised', dmSupervisorId: student.id })).rejects.toMatchObject({
      status: 400,
      code: 'supervisor-not-staff',
    });
    expect(ts.server.internals.settings.read().studentDmPolicy).toBe('anyone');
    const cookie = await login(ts.url, student.email, student.password);
    for (const [method, path] of [
      ['GET', '/api/admin/settings/supervisors'],
      ['PATCH', '/api/admin/settings'],
    ] as const) {
      const res = await fetch(`${ts.url}${path}`, {
        method,
        headers: { cookie, 'content-type': 'application/json' },
        ...(method === 'PATCH' ? { body: JSON.stringify({ studentDmPolicy: 'anyone' }) } : {}),
      });
      expect(res.status, path).toBe(403);
    }
  });

  it('existing and new students’ DMs get the supervisor, who reads them by the normal sync rules; the students see the label; the supervisor is not a participant', async () => {
    jones = await addUser(ts, admin, 'teacher', { name: 'Ms Jones' });
    amy = await addUser(ts, admin, 'student', { name: 'Amy Student' });
    const ben = await addUser(ts, admin, 'student', { name: 'Ben Student' });
    const cat = await addUser(ts, admin, 'student', { name: 'Cat Student' });
    const tutor = await addUser(ts, admin, 'tutor', { connect: false });
    // Opened while DMs were unsupervised.
    before = (await amy.engine.openDm([ben.id])).id as ConversationId;
    const withStaff = (await amy.engine.openDm([tutor.id])).id as ConversationId;
    await amy.engine.open(before);
    await amy.engine.send(before, 'written before supervision');
    await amy.engine.settled();

    const s = await patch({ studentDmPolicy: 'supervised', dmSupervisorId: jones.id });
    expect(s).toMatchObject({ studentDmPolicy: 'supervised', dmSupervisorId: jones.id });
    const members = ts.server.internals.conversations;
    expect(members.isMember(before, jones.id)).toBe(true);
    expect(members.get(before)?.supervisorId).toBe(jones.id);
    // A DM with staff in it is not a students' DM.
    expect(members.isMember(withStaff, jones.id)).toBe(false);
    expect(members.get(withStaff)?.supervisorId).toBeNull();

    // New ones from the start, group DMs of students too.
    const group = (await cat.engine.openDm([amy.id, ben.id])).id as ConversationId;
    expect(members.get(group)?.supervisorId).toBe(jones.id);

    // The students see who supervises, and the supervisor is neither in the title's people nor the count.
    await amy.engine.refreshConversations();
    const seen = amy.engine.conversations().find((c) => c.id === before);
    expect(seen?.supervisor).toEqual({ id: jones.id, displayName: 'Ms Jones' });
    expect(seen?.dmMembers.map((m) => m.id).sort()).toEqual([amy.id, ben.id].sort());
    expect(seen?.memberCount).toBe(2);
    const listed = await amy.engine.api.request(
      'GET',
      `/api/conversations/${before}/members`,
      z.object({ members: z.array(z.object({ id: z.string() })) }),
    );
    expect(listed.members.map((m) => m.id)).not.toContain(jones.id);

    // The supervisor has the DM in their list and reads it over sync, messages from before included.
    await jones.engine.refreshConversations();
    const theirs = jones.engine.conversations().find((c) => c.id === before);
    expect(theirs).toMatchObject({ canPost: false, isMember: true, supervisor: { id: jones.id } });
    await jones.engine.open(before);
    await eventually(() => expect(texts(jones.engine, before)).toEqual(['written before supervision']));
    await ben.engine.open(before);
    await ben.engine.send(before, 'written under supervision');
    await ben.engine.settled();
    await eventually(() =>
      expect(texts(jones.engine, before)).toEqual([
        'written before supervision',
        'written under supervision',
      ]),
    );

    // Silent: the server refuses the supervisor's messages and reactions in it; read marks are theirs.
    const r = await raw(jones);
    const doc = authorDoc(before, jones.id as UserId);
    const held = await r.fetchDoc(doc);
    if (!('share' in held)) throw new Error('the supervisor cannot read the DM');
    expect(
      await r.write(
        doc,
        craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'sv1', text: 'hello', ts: 1 }]), held),
      ),
    ).toEqual({ kind: 'reject', code: 'supervisor-silent' });
    expect(
      await r.write(
        doc,
        craftUpdate((d) => authorRoots(d).read.set('device-1', 1)),
      ),
    ).toEqual({ kind: 'ack' });
    r.close();

    // Audited, against the DM.
    // The DM's opening is logged with its members' names beside their ids.
    expect(ts.server.internals.audit.list(500, 'dm.opened').find((e) => e.target === group)).toMatchObject({
      detail: {
        memberIds: [amy.id, ben.id, cat.id].sort(),
        members: expect.arrayContaining(['Amy Student', 'Ben Student', 'Cat Student']),
      },
    });
    const audit = ts.server.internals.audit.list(500, 'dm.supervisor-added');
    expect(audit.map((e) => e.target)).toEqual(expect.arrayContaining([before, group]));
    expect(audit.find((e) => e.target === before)).toMatchObject({
      actorId: admin.me()?.id,
      detail: { supervisorId: jones.id },
    });
  });

  it('the supervisor cannot leave (a clear code), by either route', async () => {
    const cookie = await login(ts.url, jones.email, jones.password);
    await expect(jones.engine.leave(before)).rejects.toMatchObject({
      status: 400,
      code: 'supervisor-cannot-leave',
    });
    const removed = await fetch(`${ts.url}/api/conversations/${before}/members/${jones.id}`, {
      method: 'DELETE',
      headers: { cookie, 'content-type': 'application/json' },
    });
    expect(removed.status).toBe(400);
    expect(await removed.json()).toMatchObject({ error: 'supervisor-cannot-leave' });
    expect(ts.server.internals.conversations.isMember(before, jones.id)).toBe(true);
  });

  it('a new supervisor replaces the old one in every DM (whose device loses it); "staff only" takes the supervisor out and leaves students’ DMs read-only', async () => {
    const oldId = jones.id;
    const patel = await addUser(ts, admin, 'staff', { name: 'Mr Patel' });
    const supervised = ts.server.internals.conversations.dms().filter((c) => c.supervisorId === oldId);
    expect(supervised.length).toBeGreaterThanOrEqual(2);
    await patch({ dmSupervisorId: patel.id });
    const store = ts.server.internals.conversations;
    for (const c of supervised) {
      expect(store.get(c.id)?.supervisorId).toBe(patel.id);
      expect(store.isMember(c.id, patel.id)).toBe(true);
      expect(store.isMember(c.id, oldId)).toBe(false);
    }
    const removedAudit = ts.server.internals.audit.list(500, 'dm.supervisor-removed');
    expect(
      removedAudit.filter((e) => (e.detail as { supervisorId: string }).supervisorId === oldId).length,
    ).toBe(supervised.length);
    await jones.engine.refreshConversations();
    expect(jones.engine.conversations().some((c) => c.id === before)).toBe(false);
    const gone = await raw(jones);
    expect(await gone.fetchDoc(authorDoc(before, amy.id as UserId))).toEqual({
      revoked: 'no such conversation',
    });
    gone.close();
    await patel.engine.refreshConversations();
    expect(patel.engine.conversations().filter((c) => c.supervisor?.id === patel.id).length).toBe(
      supervised.length,
    );

    // Off: the supervisor leaves with the policy; the students read their DM but cannot write in it.
    await patch({ studentDmPolicy: 'staff_only' });
    expect(store.get(before)?.supervisorId).toBeNull();
    expect(store.isMember(before, patel.id)).toBe(false);
    const r = await raw(amy);
    const mine = authorDoc(before, amy.id as UserId);
    const held = await r.fetchDoc(mine);
    if (!('share' in held)) throw new Error('the DM is no longer readable');
    expect(
      await r.write(
        mine,
        craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'off1', text: 'still?', ts: 1 }]), held),
      ),
    ).toEqual({ kind: 'reject', code: 'dm-policy' });
    r.close();
    await patch({ studentDmPolicy: 'anyone' });
  });

  it('fails closed: with the supervisor deactivated, students’ DMs lose them and no new one opens unsupervised; reactivated, supervision resumes', async () => {
    const lead = await addUser(ts, admin, 'staff', { name: 'Dr Lead', connect: false });
    const dan = await addUser(ts, admin, 'student', { connect: false });
    const eve = await addUser(ts, admin, 'student', { connect: false });
    await patch({ studentDmPolicy: 'supervised', dmSupervisorId: lead.id });
    const store = ts.server.internals.conversations;
    expect(store.get(before)?.supervisorId).toBe(lead.id);
    await admin.api.request('POST', `/api/admin/users/${lead.id}/deactivate`, z.unknown(), {});
    expect(store.get(before)?.supervisorId).toBeNull();
    expect(store.isMember(before, lead.id)).toBe(false);
    const cookie = await login(ts.url, dan.email, dan.password);
    const refused = await fetch(`${ts.url}/api/dms`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ userIds: [eve.id] }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'dm-policy' });
    await admin.api.request('POST', `/api/admin/users/${lead.id}/reactivate`, z.unknown(), {});
    expect(store.get(before)?.supervisorId).toBe(lead.id);
    const opened = await fetch(`${ts.url}/api/dms`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ userIds: [eve.id] }),
    });
    expect(opened.status).toBe(200);
    const { conversation } = (await opened.json()) as { conversation: { id: string; supervisor: unknown } };
    expect(conversation.supervisor).toEqual({ id: lead.id, displayName: 'Dr Lead' });
    await patch({ studentDmPolicy: 'anyone' });
  });
});
