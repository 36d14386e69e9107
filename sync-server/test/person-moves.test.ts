import type { Engine } from '@commonroom/engine';
import { ImportOutcome, ImportPreview, WorkspaceSettings, type ConversationId } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';

/**
 * A person's role changing, whoever changes it (the People screen's PATCH …/role, a CSV roster import):
 * one path (services/person-moves.ts). Their channels follow the new role without putting them back in
 * a channel they left or were taken out of (T7, T9), and supervised DMs follow the people in them (issue 14
 * §4). A real server on loopback with a real SQLite file.
 */
describe('role changes: channels left stay left; supervised DMs follow, from the People screen and the roster alike', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    admin.disconnect();
    await ts.destroy();
  });

  const Ok = z.object({ ok: z.literal(true) });
  const setRole = (id: string, role: string) =>
    admin.api.request('PATCH', `/api/admin/users/${id}/role`, z.unknown(), { role });
  /** Imports a roster (preview, then the import of what it showed), as the Import screen does. */
  const importRoster = async (csv: string) => {
    const p = await admin.api.request(
      'POST',
      '/api/admin/users/import/preview',
      ImportPreview,
      csv,
      'text/csv',
    );
    expect(p.counts.error, JSON.stringify(p.rows)).toBe(0);
    return admin.api.request(
      'POST',
      `/api/admin/users/import/commit?digest=${p.digest}`,
      ImportOutcome,
      csv,
      'text/csv',
    );
  };
  const channelsOf = (userId: string): string[] =>
    ts.server.db
      .prepare<[string], { name: string }>(
        `SELECT c.name FROM members m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.user_id = ? AND c.kind != 'dm' ORDER BY c.name`,
      )
      .all(userId)
      .map((r) => r.name);

  it('T7/T9: a role change (People screen, then roster import) does not put someone back in channels they left or were removed from; joining again clears that', async () => {
    const sam = await addUser(ts, admin, 'student', { name: 'Sam Left' });
    const general = channel(sam.engine, 'general');
    const support = channel(sam.engine, 'it-support');
    expect(channelsOf(sam.id)).toEqual(['announcements', 'general', 'it-support']);
    // Sam leaves #it-support; an admin (a moderator) takes Sam out of #general.
    await sam.engine.api.request('POST', `/api/conversations/${support}/leave`, Ok);
    await admin.api.request('DELETE', `/api/conversations/${general}/members/${sam.id}`, Ok);
    expect(channelsOf(sam.id)).toEqual(['announcements']);

    // The People screen: student → tutor. The staff channel is new to Sam; the ones Sam left are not.
    await setRole(sam.id, 'tutor');
    expect(channelsOf(sam.id)).toEqual(['announcements', 'tutors-only']);
    // The roster: tutor → student. The staff channel goes (by rule); nothing Sam left comes back.
    const back = await importRoster(`name,email,role\nSam Left,${sam.email},student\n`);
    expect(back.updated).toBe(1);
    expect(channelsOf(sam.id)).toEqual(['announcements']);
    // A channel taken away by a rule is not a departure: promoted again, Sam is back in #tutors-only.
    await importRoster(`name,email,role\nSam Left,${sam.email},tutor\n`);
    expect(channelsOf(sam.id)).toEqual(['announcements', 'tutors-only']);

    // Sam joins #general again: the departure is forgotten, so the next role change keeps Sam there, and
    // #it-support, still left, stays out.
    await sam.engine.api.request('POST', `/api/conversations/${general}/join`, z.unknown());
    await setRole(sam.id, 'student');
    expect(channelsOf(sam.id)).toEqual(['announcements', 'general']);
    const departures = ts.server.db
      .prepare<[string], { conversation_id: string }>(
        'SELECT conversation_id FROM channel_departures WHERE user_id = ?',
      )
      .all(sam.id)
      .map((r) => r.conversation_id);
    expect(departures).toEqual([support]);
    sam.engine.disconnect();
  });

  it('issue 14 §4: a role change by roster import re-applies DM supervision exactly as the People screen’s does', async () => {
    const jones = await addUser(ts, admin, 'teacher', { name: 'Ms Jones', connect: false });
    const amy = await addUser(ts, admin, 'student', { name: 'Amy Student' });
    const ben = await addUser(ts, admin, 'student', { name: 'Ben Student', connect: false });
    const cal = await addUser(ts, admin, 'student', { name: 'Cal Student', connect: false });
    const withBen = (await amy.engine.openDm([ben.id])).id as ConversationId;
    const withCal = (await amy.engine.openDm([cal.id])).id as ConversationId;
    await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, {
      studentDmPolicy: 'supervised',
      dmSupervisorId: jones.id,
    });
    const store = ts.server.internals.conversations;
    const supervised = (dm: string) => ({
      member: store.isMember(dm, jones.id),
      supervisor: store.get(dm)?.supervisorId ?? null,
    });
    const yes = { member: true, supervisor: jones.id };
    const no = { member: false, supervisor: null };
    expect([supervised(withBen), supervised(withCal)]).toEqual([yes, yes]);
    const audited = (action: string) =>
      ts.server.internals.audit
        .list(200, action)
        .filter((e) => e.target === withBen || e.target === withCal)
        .map((e) => e.target);

    // The roster makes Ben a tutor: Amy and Ben's DM is no longer students-only, so supervision leaves it.
    await importRoster(`name,email,role\nBen Student,${ben.email},tutor\n`);
    expect([supervised(withBen), supervised(withCal)]).toEqual([no, yes]);
    expect(audited('dm.supervisor-removed')).toEqual([withBen]);
    // And back to student by the roster: supervised again.
    await importRoster(`name,email,role\nBen Student,${ben.email},student\n`);
    expect(supervised(withBen)).toEqual(yes);

    // The People screen does the same, through the same function.
    await setRole(cal.id, 'tutor');
    expect(supervised(withCal)).toEqual(no);
    await setRole(cal.id, 'student');
    expect(supervised(withCal)).toEqual(yes);
    expect(audited('dm.supervisor-removed').sort()).toEqual([withBen, withCal].sort());
    expect(audited('dm.supervisor-added').filter((t) => t === withBen)).toHaveLength(2);

    await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, {
      studentDmPolicy: 'anyone',
    });
    amy.engine.disconnect();
  });
});
