import type { Engine } from '@commonroom/engine';
import {
  CLOSE,
  SESSION_END,
  WorkspaceSettings,
  authorDoc,
  type ConversationId,
  type UserId,
} from '@commonroom/protocol';
import { authorRoots } from '@commonroom/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/storage/sessions.ts';
import { addUser, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, craftUpdate, login } from './raw-client.ts';

/**
 * Issue 13 §4 over HTTP against a real server: workspace settings (who may change them, that each change
 * applies at once and is audited old → new), one's own profile, and a password change that ends one's
 * other sessions and closes their sockets.
 */
const request = (url: string, method: string, path: string, cookie: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('admin: workspace settings, profile and password', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const patchSettings = (body: unknown) =>
    admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, body);

  it('T9: settings are read and changed by admins and super admins only; students, tutors and teachers get 403', async () => {
    for (const role of ['student', 'tutor', 'teacher', 'staff'] as const) {
      const p = await addUser(ts, admin, role, { connect: false });
      const cookie = await login(ts.url, p.email, p.password);
      expect((await request(ts.url, 'GET', '/api/admin/settings', cookie)).status, role).toBe(403);
      const res = await request(ts.url, 'PATCH', '/api/admin/settings', cookie, { workspaceName: 'Mine' });
      expect(res.status, role).toBe(403);
      // Everyone reads the workspace's public settings (its name for the header).
      expect((await request(ts.url, 'GET', '/api/workspace', cookie)).status, role).toBe(200);
    }
    const a = await addUser(ts, admin, 'admin', { connect: false });
    const cookie = await login(ts.url, a.email, a.password);
    expect((await request(ts.url, 'GET', '/api/admin/settings', cookie)).status).toBe(200);
    const ok = await request(ts.url, 'PATCH', '/api/admin/settings', cookie, { workspaceName: 'Riverside' });
    expect(ok.status).toBe(200);
    expect(ts.server.internals.settings.read().workspaceName).toBe('Riverside');
    expect(ts.server.internals.audit.list(5, 'settings.changed')[0]?.actorId).toBe(a.id);
    expect((await patchSettings({ workspaceName: 'Commonroom' })).workspaceName).toBe('Commonroom');
  });

  it('T9: a settings change is audited with its old and new values, applies at once, and bad values are refused in words', async () => {
    const before = ts.server.internals.audit.list(1000, 'settings.changed').length;
    const s = await patchSettings({ workspaceName: '  Northfield College  ', studentDmPolicy: 'staff_only' });
    expect(s).toMatchObject({ workspaceName: 'Northfield College', studentDmPolicy: 'staff_only' });
    const entry = ts.server.internals.audit.list(1, 'settings.changed')[0];
    expect(entry?.detail).toEqual({
      workspaceName: { from: 'Commonroom', to: 'Northfield College' },
      studentDmPolicy: { from: 'anyone', to: 'staff_only' },
    });
    // Nothing changed: nothing recorded.
    await patchSettings({ workspaceName: 'Northfield College' });
    expect(ts.server.internals.audit.list(1000, 'settings.changed').length).toBe(before + 1);
    // Everyone sees the new name on their next read of the workspace.
    const student = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, student.email, student.password);
    const w = (await (await request(ts.url, 'GET', '/api/workspace', cookie)).json()) as WorkspaceSettings;
    expect(w.workspaceName).toBe('Northfield College');

    for (const bad of [
      { workspaceName: '   ' },
      { studentDmPolicy: 'everyone' },
      { sessionLengthDays: 0 },
      { sessionLengthDays: 91 },
      { sessionLengthDays: 1.5 },
    ])
      await expect(patchSettings(bad), JSON.stringify(bad)).rejects.toMatchObject({
        status: 400,
        code: 'invalid-request',
      });
    await expect(patchSettings({ sessionLengthDays: 0 })).rejects.toThrow(/at least 1 day/);
    await patchSettings({ workspaceName: 'Commonroom', studentDmPolicy: 'anyone' });
  });

  it('T9: DM policy "nobody": no DM with a student opens, whoever asks; staff still message staff; an older DM takes no more from its student', async () => {
    const a = await addUser(ts, admin, 'student');
    const b = await addUser(ts, admin, 'student');
    const t = await addUser(ts, admin, 'teacher');
    const u = await addUser(ts, admin, 'tutor');
    const earlier = (await a.engine.openDm([t.id])).id as ConversationId;
    await patchSettings({ studentDmPolicy: 'nobody' });
    try {
      await expect(a.engine.openDm([b.id])).rejects.toMatchObject({ status: 403, code: 'dm-policy' });
      await expect(a.engine.openDm([t.id])).rejects.toThrow(/turned off/);
      await expect(t.engine.openDm([a.id])).rejects.toMatchObject({ status: 403, code: 'dm-policy' });
      await expect(t.engine.openDm([u.id])).resolves.toMatchObject({ kind: 'dm' });
      // The DM opened before the change: the student's next write is refused, checked on that write.
      const raw = await connectRaw(ts.url, await login(ts.url, a.email, a.password));
      expect(
        await raw.write(
          authorDoc(earlier, a.id as UserId),
          craftUpdate((d) => authorRoots(d).msgs.push([{ id: 'n1', text: 'hello?', ts: 1 }])),
        ),
      ).toEqual({ kind: 'reject', code: 'dm-policy' });
      raw.close();
    } finally {
      await patchSettings({ studentDmPolicy: 'anyone' });
    }
    // Applied at once the other way too.
    await expect(a.engine.openDm([b.id])).resolves.toMatchObject({ kind: 'dm' });
  });

  it('T10: the session length applies to new sessions (cookie) and, when shortened, to existing ones at once', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    // Make this session three days old (the clock of a real server cannot be moved from here).
    const token = cookie.slice('cr_session='.length);
    ts.server.db
      .prepare('UPDATE sessions SET created_at = created_at - ? WHERE token_hash = ?')
      .run(3 * 86_400_000, hashToken(token));
    expect((await request(ts.url, 'GET', '/api/auth/me', cookie)).status).toBe(200);
    await patchSettings({ sessionLengthDays: 2 });
    try {
      const me = await request(ts.url, 'GET', '/api/auth/me', cookie);
      expect(me.status).toBe(401);
      await expect(connectRaw(ts.url, cookie)).rejects.toThrow(/401/);
      const res = await fetch(`${ts.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: s.email, password: s.password }),
      });
      expect(res.headers.getSetCookie().find((c) => c.startsWith('cr_session='))).toMatch(/Max-Age=172800/);
      const entry = ts.server.internals.audit.list(1, 'settings.changed')[0];
      expect(entry?.detail).toEqual({ sessionLengthDays: { from: 14, to: 2 } });
    } finally {
      await patchSettings({ sessionLengthDays: 14 });
    }
  });

  it('T9: a profile change is validated, saved, audited old → new, and reaches other devices (directory)', async () => {
    const s = await addUser(ts, admin, 'student', { name: 'Sam Okafor' });
    const other = await addUser(ts, admin, 'tutor');
    const cookie = await login(ts.url, s.email, s.password);
    for (const bad of [
      { displayName: '  ' },
      { pronouns: 'x'.repeat(31) },
      { avatarColour: 'chartreuse' },
      { displayName: 'y'.repeat(200) },
    ]) {
      const res = await request(ts.url, 'PATCH', '/api/profile', cookie, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const me = await s.engine.updateProfile({
      displayName: 'Samuel Okafor',
      pronouns: 'he/him',
      avatarColour: 'teal',
    });
    expect(me).toMatchObject({ displayName: 'Samuel Okafor', pronouns: 'he/him', avatarColour: 'teal' });
    expect(ts.server.internals.users.get(s.id)).toMatchObject({
      displayName: 'Samuel Okafor',
      pronouns: 'he/him',
      avatarColour: 'teal',
    });
    const entry = ts.server.internals.audit.list(1, 'profile.updated')[0];
    expect(entry).toMatchObject({ actorId: s.id, target: s.id });
    expect(entry?.detail).toEqual({
      displayName: { from: 'Sam Okafor', to: 'Samuel Okafor' },
      pronouns: { from: '', to: 'he/him' },
      avatarColour: { from: null, to: 'teal' },
    });
    // Another person's device hears of it and shows the new name, pronouns and colour.
    await eventually(() =>
      expect(other.engine.user(s.id)).toMatchObject({
        displayName: 'Samuel Okafor',
        pronouns: 'he/him',
        avatarColour: 'teal',
      }),
    );
    // Nobody changes another's profile: the route is one's own, whatever the body says.
    const res = await request(ts.url, 'PATCH', '/api/profile', cookie, { id: other.id, displayName: 'X' });
    expect(res.status).toBe(200);
    expect(ts.server.internals.users.get(other.id)?.displayName).not.toBe('X');
    expect(ts.server.internals.users.get(s.id)?.displayName).toBe('X');
  });

  it("T10: changing one's password closes the other session's socket with session-revoked, that device must sign in, and this one stays", async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const here = await login(ts.url, s.email, s.password);
    const phone = await login(ts.url, s.email, s.password);
    const hereRaw = await connectRaw(ts.url, here);
    const phoneRaw = await connectRaw(ts.url, phone);
    const wrong = await request(ts.url, 'POST', '/api/auth/password', here, {
      currentPassword: 'not my password',
      newPassword: 'a much longer new password',
    });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { message: string }).message).toBe('Your current password is not right.');
    expect(phoneRaw.closed).toBeNull();
    const short = await request(ts.url, 'POST', '/api/auth/password', here, {
      currentPassword: s.password,
      newPassword: 'short',
    });
    expect(short.status).toBe(400);
    const ok = await request(ts.url, 'POST', '/api/auth/password', here, {
      currentPassword: s.password,
      newPassword: 'a much longer new password',
    });
    expect(ok.status).toBe(200);
    await eventually(() =>
      expect(phoneRaw.closed).toEqual({
        code: CLOSE.sessionRevoked,
        reason: `${SESSION_END.revoked}: password was changed`,
      }),
    );
    // The phone is told to sign in again (not to wipe itself: nothing was wrong with the device).
    const phoneMe = await request(ts.url, 'GET', '/api/auth/me', phone);
    expect(phoneMe.status).toBe(401);
    expect(((await phoneMe.json()) as { error: string }).error).toBe(SESSION_END.revoked);
    expect((await request(ts.url, 'GET', '/api/auth/me', here)).status).toBe(200);
    expect(hereRaw.closed).toBeNull();
    hereRaw.close();
    expect(await login(ts.url, s.email, 'a much longer new password')).toMatch(/^cr_session=/);
    expect(
      ts.server.internals.audit
        .list(50, 'password.change-failed')
        .some((e) => e.actorId === s.id && e.target === s.id),
    ).toBe(true);
  });
});
