import type { Engine } from '@commonroom/engine';
import { CLOSE, ImportResult, Me } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyPassword } from '../src/auth/passwords.ts';
import { addUser, ADMIN, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, login } from './raw-client.ts';

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('accounts, sessions and the admin API', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer({ limits: { loginFailuresPerAccount: 3 } });
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('the first super admin comes from ADMIN_EMAIL, with the default channels joined', async () => {
    expect(admin.me()).toMatchObject({ email: ADMIN.email, role: 'super_admin' });
    const names = admin
      .conversations()
      .filter((c) => c.isMember)
      .map((c) => c.name)
      .sort();
    expect(names).toEqual(['admin-team', 'announcements', 'general', 'it-support', 'tutors-only']);
    const all = admin.conversations().map((c) => c.name);
    for (const n of ['level3-adult-care', 'level2-it-skills', 'level2-customer-service'])
      expect(all).toContain(n);
  });

  it('passwords are scrypt hashes, never stored in clear', async () => {
    const u = ts.server.internals.users.findByLogin(ADMIN.email);
    expect(u?.passwordHash).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(await verifyPassword(ADMIN.password, u?.passwordHash ?? '')).toBe(true);
    expect(await verifyPassword('wrong password', u?.passwordHash ?? '')).toBe(false);
  });

  it('wrong passwords get a clear error, and login is throttled per account', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    for (let i = 0; i < 3; i++) {
      const res = await post(ts.url, '/api/auth/login', { login: s.email, password: 'nope nope nope' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: 'invalid-credentials',
        message: 'That email or username and password do not match.',
      });
    }
    const blocked = await post(ts.url, '/api/auth/login', { login: s.email, password: s.password });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await blocked.json()) as { message: string }).message).toMatch(/Too many failed logins/);
  });

  it('state-changing requests from another site are refused (CSRF)', async () => {
    const evil = await post(
      ts.url,
      '/api/auth/login',
      { login: ADMIN.email, password: ADMIN.password },
      { origin: 'https://evil.example' },
    );
    expect(evil.status).toBe(403);
    const form = await fetch(`${ts.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=a&password=b',
    });
    expect(form.status).toBe(415);
  });

  it('bad input gets a clear error naming the field', async () => {
    const res = await admin.api
      .request('POST', '/api/admin/users', z.unknown(), {
        displayName: 'X',
        email: 'not-an-email',
        role: 'student',
        password: 'long enough password',
      })
      .catch((e: unknown) => e);
    expect(res).toMatchObject({
      status: 400,
      code: 'invalid-request',
      message: 'email: not a valid email address',
    });
    const weak = await admin.api
      .request('POST', '/api/admin/users', z.unknown(), {
        displayName: 'X',
        email: 'x@y.test',
        role: 'student',
        password: 'short',
      })
      .catch((e: unknown) => e);
    expect(weak).toMatchObject({ status: 400, message: 'password: passwords need at least 10 characters' });
    const bad = await fetch(`${ts.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    // Over 4 MiB: refused as a whole with a plain error, whatever the route; GETs still answer.
    const huge = await post(ts.url, '/api/auth/login', 'x'.repeat(4 * 1024 * 1024 + 1));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'too-large', message: 'That request is too large.' });
    const me = await fetch(`${ts.url}/api/auth/me`);
    expect(me.status).toBe(401);
  });

  it('students cannot use the admin API', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    await expect(s.engine.api.request('GET', '/api/admin/users', z.unknown())).rejects.toMatchObject({
      status: 403,
    });
  });

  it('CSV import creates accounts with course channels and reports bad lines by number', async () => {
    const csv = [
      'name,email,role,password,channels',
      'Jo Bloggs,jo@college.test,student,password-jo-123,level3-adult-care',
      'Sam Smith,sam@college.test,Tutor,password-sam-123,level2-it-skills;level3-adult-care',
      'No Email,,student,password-x-123,',
      'Bad Channel,bad@college.test,student,password-b-123,no-such-channel',
      '"Quoted, Name",quoted@college.test,student,password-q-123,',
    ].join('\n');
    const result = await admin.api.request('POST', '/api/admin/users/import', ImportResult, csv, 'text/csv');
    expect(result.created.map((c) => c.displayName)).toEqual(['Jo Bloggs', 'Sam Smith', 'Quoted, Name']);
    expect(result.errors.map((e) => e.line)).toEqual([4, 5]);
    expect(result.errors[1]?.message).toBe('There is no channel called #no-such-channel.');
    const jo = ts.server.internals.users.findByLogin('jo@college.test');
    const course = ts.server.internals.conversations.byName('level3-adult-care');
    expect(jo && course && ts.server.internals.conversations.isMember(course.id, jo.id)).toBe(true);
    const sam = ts.server.internals.users.findByLogin('sam@college.test');
    const tutorsOnly = ts.server.internals.conversations.byName('tutors-only');
    expect(sam?.role).toBe('tutor');
    expect(sam && tutorsOnly && ts.server.internals.conversations.isMember(tutorsOnly.id, sam.id)).toBe(true);
  });

  it('a role change adjusts default memberships; only a super admin manages super admins', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const { user } = await admin.api.request(
      'PATCH',
      `/api/admin/users/${s.id}/role`,
      z.object({ user: Me }),
      {
        role: 'teacher',
      },
    );
    expect(user.role).toBe('teacher');
    await s.engine.refreshConversations();
    expect(s.engine.conversations().some((c) => c.name === 'tutors-only' && c.isMember)).toBe(true);
    const plainAdmin = await addUser(ts, admin, 'admin', { connect: false });
    const res = await plainAdmin.engine.api
      .request('PATCH', `/api/admin/users/${s.id}/role`, z.unknown(), { role: 'super_admin' })
      .catch((e: unknown) => e);
    expect(res).toMatchObject({ status: 403, code: 'super-admin-only' });
    expect(ts.server.internals.audit.list(100, 'user.role-changed').length).toBeGreaterThan(0);
  });

  it('a role change applies to the open socket at once: a demoted tutor can no longer pin (T4, cached users)', async () => {
    const t = await addUser(ts, admin, 'tutor', { name: 'Soon Student' });
    const general = t.engine.conversations().find((c) => c.name === 'general')?.id ?? '';
    await t.engine.open(general);
    const key = await t.engine.send(general, 'pin me');
    await t.engine.settled();
    await t.engine.pin(general, key, true);
    await t.engine.settled();
    expect(t.engine.view(general).state.byKey.get(key)?.pinned).not.toBeNull();
    await admin.api.request('PATCH', `/api/admin/users/${t.id}/role`, z.object({ user: Me }), {
      role: 'student',
    });
    await t.engine.pin(general, key, false);
    await eventually(() =>
      expect(t.engine.outbox().find((e) => e.kind === 'pin')?.error?.code).toBe('not-a-moderator'),
    );
    expect(ts.server.internals.users.get(t.id)?.role).toBe('student');
    t.engine.disconnect();
  });

  it("T10: deactivation closes that user's sockets within a second and refuses new logins", async () => {
    const s = await addUser(ts, admin, 'student');
    const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
    const t0 = Date.now();
    await admin.api.request('POST', `/api/admin/users/${s.id}/deactivate`, z.unknown());
    await eventually(() => {
      expect(raw.closed?.code).toBe(CLOSE.sessionRevoked);
      expect(s.engine.status().connection).toBe('signed-out');
    }, 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    const again = await post(ts.url, '/api/auth/login', { login: s.email, password: s.password });
    expect(again.status).toBe(403);
    expect(((await again.json()) as { message: string }).message).toMatch(/deactivated/);
    expect(ts.server.internals.audit.list(50, 'user.deactivated').some((e) => e.target === s.id)).toBe(true);
  });

  it("T10: logout closes that session's sockets within a second; the cookie stops working", async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const raw = await connectRaw(ts.url, cookie);
    const res = await post(ts.url, '/api/auth/logout', {}, { cookie });
    expect(res.status).toBe(200);
    await eventually(() => expect(raw.closed?.code).toBe(CLOSE.sessionRevoked), 1000);
    const me = await fetch(`${ts.url}/api/auth/me`, { headers: { cookie } });
    expect(me.status).toBe(401);
    await expect(connectRaw(ts.url, cookie)).rejects.toThrow(/401/);
  });

  it("T10: changing one's password ends the person's other sessions and closes their sockets, keeping this one (C12)", async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const here = await login(ts.url, s.email, s.password);
    const stolen = await login(ts.url, s.email, s.password);
    const hereRaw = await connectRaw(ts.url, here);
    const stolenRaw = await connectRaw(ts.url, stolen);
    const newPassword = 'a brand new password';
    const res = await post(
      ts.url,
      '/api/auth/password',
      { currentPassword: s.password, newPassword },
      { cookie: here },
    );
    expect(res.status).toBe(200);
    await eventually(() => expect(stolenRaw.closed?.code).toBe(CLOSE.sessionRevoked), 1000);
    expect((await fetch(`${ts.url}/api/auth/me`, { headers: { cookie: stolen } })).status).toBe(401);
    await expect(connectRaw(ts.url, stolen)).rejects.toThrow(/401/);
    // The device that changed it stays signed in, socket and all.
    expect((await fetch(`${ts.url}/api/auth/me`, { headers: { cookie: here } })).status).toBe(200);
    expect(hereRaw.closed).toBeNull();
    hereRaw.close();
    expect((await post(ts.url, '/api/auth/login', { login: s.email, password: s.password })).status).toBe(
      401,
    );
    expect((await post(ts.url, '/api/auth/login', { login: s.email, password: newPassword })).status).toBe(
      200,
    );
    expect(ts.server.internals.audit.list(50, 'password.changed').some((e) => e.target === s.id)).toBe(true);
  });

  it('T10: the current password of a password change is throttled like a login (C12)', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const change = (currentPassword: string) =>
      post(
        ts.url,
        '/api/auth/password',
        { currentPassword, newPassword: 'another long password' },
        { cookie },
      );
    for (let i = 0; i < 3; i++) expect((await change('a wrong guess')).status).toBe(400);
    const blocked = await change(s.password);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('T11: the sync socket refuses other origins and missing sessions before upgrading', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    await expect(connectRaw(ts.url, cookie, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await expect(connectRaw(ts.url, 'cr_session=forged')).rejects.toThrow(/401/);
    const ok = await connectRaw(ts.url, cookie, { origin: ts.config.publicUrl });
    expect(ok.closed).toBeNull();
    ok.close();
  });

  it('P1: a socket must say hello in time and speak our protocol version', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const wrong = await connectRaw(ts.url, cookie, { hello: false });
    wrong.send([{ type: 'hello', version: 999, client: 'future' }]);
    await eventually(() => expect(wrong.closed?.code).toBe(CLOSE.versionMismatch));
    const early = await connectRaw(ts.url, cookie, { hello: false });
    early.send([{ type: 'typingSet', conversationId: 'x', parent: '' }]);
    await eventually(() => expect(early.closed?.code).toBe(CLOSE.malformedFrame));
  });

  it('P10: an oversized message closes only that socket (1009)', async () => {
    const s = await addUser(ts, admin, 'student');
    const cookie = await login(ts.url, s.email, s.password);
    const raw = await connectRaw(ts.url, cookie);
    raw.sendBytes(new Uint8Array(70 * 1024));
    await eventually(() => expect(raw.closed?.code).toBe(1009));
    expect(s.engine.status().connection).toBe('online');
  });

  it('P10: a flood of messages is rate limited by closing that socket only', async () => {
    const s = await addUser(ts, admin, 'student');
    const raw = await connectRaw(ts.url, await login(ts.url, s.email, s.password));
    for (let i = 0; i < 300; i++) raw.send([{ type: 'typingSet', conversationId: 'x', parent: '' }]);
    await eventually(() => expect(raw.closed?.code).toBe(CLOSE.rateLimited));
    expect(s.engine.status().connection).toBe('online');
  });

  it('P10: at most 10 sockets per person', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const sockets = [];
    for (let i = 0; i < 10; i++) sockets.push(await connectRaw(ts.url, cookie));
    const eleventh = await connectRaw(ts.url, cookie, { hello: false });
    await eventually(() => expect(eleventh.closed?.code).toBe(CLOSE.tooManySockets));
    for (const x of sockets) {
      expect(x.closed).toBeNull();
      x.close();
    }
  });
});

describe('sessions expire', () => {
  it('T10: an expired session closes its socket and stops working over HTTP', async () => {
    const ts = await startServer({ env: { SESSION_TTL_HOURS: String(1.5 / 3600) } });
    try {
      const cookie = await login(ts.url, ADMIN.email, ADMIN.password);
      const raw = await connectRaw(ts.url, cookie);
      await eventually(() => expect(raw.closed?.code).toBe(CLOSE.unauthenticated), 5000);
      const me = await fetch(`${ts.url}/api/auth/me`, { headers: { cookie } });
      expect(me.status).toBe(401);
      await expect(connectRaw(ts.url, cookie)).rejects.toThrow(/401/);
    } finally {
      await ts.destroy();
    }
  });
});
