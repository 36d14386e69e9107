import type { Engine, SessionEnded } from '@commonroom/engine';
import { CLOSE, SESSION_END } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashToken } from '../src/storage/sessions.ts';
import { addUser, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, login } from './raw-client.ts';

/**
 * T10: the server says why a session is gone, in words a device can act on: 4002 with a SESSION_END reason on
 * the socket, and the same word as the `error` of an HTTP 401. Only deactivation and "sign out everywhere"
 * make a device wipe itself; a password reset or an expiry only asks for a new sign-in.
 */
const post = (url: string, path: string, cookie: string) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: '{}',
  });
const errorOf = async (res: Response): Promise<string> => ((await res.json()) as { error: string }).error;
const apiCode = async (url: string, cookie: string): Promise<[number, string | null]> => {
  const res = await fetch(`${url}/api/conversations`, { headers: { cookie } });
  return [res.status, res.ok ? null : await errorOf(res)];
};

describe('T10: why a session ended', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('T10: deactivation closes open sockets with 4002 account-deactivated; the old cookie then gets 401 account-deactivated and a socket closed with the same words', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const raw = await connectRaw(ts.url, cookie);
    await admin.api.request('POST', `/api/admin/users/${s.id}/deactivate`, z.unknown());
    await eventually(() =>
      expect(raw.closed).toEqual({ code: CLOSE.sessionRevoked, reason: SESSION_END.deactivated }),
    );
    expect(await apiCode(ts.url, cookie)).toEqual([401, SESSION_END.deactivated]);
    // A device coming back later: upgraded only to be told, so a browser (which cannot read a refused
    // upgrade's body) learns it too.
    const later = await connectRaw(ts.url, cookie);
    expect(later.closed).toEqual({ code: CLOSE.sessionRevoked, reason: SESSION_END.deactivated });
    expect(later.frames).toEqual([]);
  });

  it('T10: an old token of a deactivated account is told so after a server restart, and after it expired', async () => {
    const dataDir = ts.dataDir;
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    await admin.api.request('POST', `/api/admin/users/${s.id}/deactivate`, z.unknown());
    admin.disconnect();
    await ts.stop();
    ts = await startServer({ dataDir });
    admin = await loginAdmin(ts);
    expect(await apiCode(ts.url, cookie)).toEqual([401, SESSION_END.deactivated]);
    expect((await connectRaw(ts.url, cookie)).closed).toEqual({
      code: CLOSE.sessionRevoked,
      reason: SESSION_END.deactivated,
    });
    // The device was off for longer than the session lasts: still a wipe, and the hourly purge keeps it.
    const token = cookie.slice('cr_session='.length);
    ts.server.db.prepare('UPDATE sessions SET expires_at = 1 WHERE token_hash = ?').run(hashToken(token));
    ts.server.internals.sessions.purgeExpired();
    expect(await apiCode(ts.url, cookie)).toEqual([401, SESSION_END.deactivated]);
  });

  it('T10: signing out everywhere (oneself) ends every session with signed-out-everywhere, audited', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const phone = await login(ts.url, s.email, s.password);
    const pc = await login(ts.url, s.email, s.password);
    const phoneRaw = await connectRaw(ts.url, phone);
    const res = await post(ts.url, '/api/auth/sign-out-everywhere', pc);
    expect(res.status).toBe(200);
    await eventually(() =>
      expect(phoneRaw.closed).toEqual({
        code: CLOSE.sessionRevoked,
        reason: SESSION_END.signedOutEverywhere,
      }),
    );
    expect(await apiCode(ts.url, phone)).toEqual([401, SESSION_END.signedOutEverywhere]);
    expect(await apiCode(ts.url, pc)).toEqual([401, SESSION_END.signedOutEverywhere]);
    expect(
      ts.server.internals.audit
        .list(50, 'user.signed-out-everywhere')
        .some((e) => e.target === s.id && e.actorId === s.id),
    ).toBe(true);
    // Signing in again works: it is not a deactivation.
    const again = await login(ts.url, s.email, s.password);
    expect((await apiCode(ts.url, again))[0]).toBe(200);
  });

  it('T10: an admin signs a person out everywhere; a student or tutor may not do it to someone else (403)', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const t = await addUser(ts, admin, 'tutor', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const tutorCookie = await login(ts.url, t.email, t.password);
    const raw = await connectRaw(ts.url, cookie);
    const refused = await post(ts.url, `/api/admin/users/${s.id}/sign-out-everywhere`, tutorCookie);
    expect(refused.status).toBe(403);
    expect(raw.closed).toBeNull();
    await admin.api.request('POST', `/api/admin/users/${s.id}/sign-out-everywhere`, z.unknown());
    await eventually(() =>
      expect(raw.closed).toEqual({ code: CLOSE.sessionRevoked, reason: SESSION_END.signedOutEverywhere }),
    );
    expect(await apiCode(ts.url, cookie)).toEqual([401, SESSION_END.signedOutEverywhere]);
    expect(
      ts.server.internals.audit
        .list(50, 'user.signed-out-everywhere')
        .some((e) => e.target === s.id && e.actorId === admin.me()?.id),
    ).toBe(true);
  });

  it('T10: a stolen phone reset first, then signed out everywhere, still wipes itself when it comes back', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const phone = await login(ts.url, s.email, s.password);
    await admin.api.request('POST', `/api/admin/users/${s.id}/password`, z.unknown(), {
      password: 'a brand new password',
    });
    expect(await apiCode(ts.url, phone)).toEqual([401, SESSION_END.revoked]);
    await admin.api.request('POST', `/api/admin/users/${s.id}/sign-out-everywhere`, z.unknown());
    expect(await apiCode(ts.url, phone)).toEqual([401, SESSION_END.signedOutEverywhere]);
    // A milder end afterwards does not take the wipe back.
    await admin.api.request('POST', `/api/admin/users/${s.id}/password`, z.unknown(), {
      password: 'another new password',
    });
    expect(await apiCode(ts.url, phone)).toEqual([401, SESSION_END.signedOutEverywhere]);
  });

  it('T10: a password reset, a garbage cookie or an expiry is not a wipe: 401 session-revoked / not-logged-in, the upgrade refused', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const cookie = await login(ts.url, s.email, s.password);
    const raw = await connectRaw(ts.url, cookie);
    await admin.api.request('POST', `/api/admin/users/${s.id}/password`, z.unknown(), {
      password: 'a brand new password',
    });
    await eventually(() => expect(raw.closed?.code).toBe(CLOSE.sessionRevoked));
    expect(raw.closed?.reason.startsWith(`${SESSION_END.revoked}:`)).toBe(true);
    expect(await apiCode(ts.url, cookie)).toEqual([401, SESSION_END.revoked]);
    await expect(connectRaw(ts.url, cookie)).rejects.toThrow(/401/);

    expect(await apiCode(ts.url, 'cr_session=nonsense')).toEqual([401, SESSION_END.notLoggedIn]);
    const fresh = await login(ts.url, s.email, 'a brand new password');
    ts.server.db
      .prepare('UPDATE sessions SET expires_at = 1 WHERE token_hash = ?')
      .run(hashToken(fresh.slice('cr_session='.length)));
    expect(await apiCode(ts.url, fresh)).toEqual([401, SESSION_END.notLoggedIn]);
    await expect(connectRaw(ts.url, fresh)).rejects.toThrow(/401/);
  });
});

describe('T10: the engine hears why its session ended', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('T10: an online engine is told once, by its socket, to wipe; it stops connecting', async () => {
    const s = await addUser(ts, admin, 'student');
    const heard: SessionEnded[] = [];
    s.engine.onSessionEnded((e) => heard.push(e));
    await admin.api.request('POST', `/api/admin/users/${s.id}/deactivate`, z.unknown());
    await eventually(() => expect(heard).toEqual([{ reason: SESSION_END.deactivated, wipe: true }]));
    expect(s.engine.status().connection).toBe('signed-out');
    await expect(s.engine.refreshConversations()).rejects.toThrow();
    expect(heard).toHaveLength(1);
  });

  it('T10: an engine that was off while its person signed out everywhere learns it from its first API call or socket', async () => {
    const s = await addUser(ts, admin, 'student', { connect: false });
    const heard: SessionEnded[] = [];
    s.engine.onSessionEnded((e) => heard.push(e));
    await admin.api.request('POST', `/api/admin/users/${s.id}/sign-out-everywhere`, z.unknown());
    expect(heard).toEqual([]);
    await expect(s.engine.refreshConversations()).rejects.toThrow(/signed out on all devices/);
    expect(heard).toEqual([{ reason: SESSION_END.signedOutEverywhere, wipe: true }]);

    const t = await addUser(ts, admin, 'student', { connect: false });
    const heardT: SessionEnded[] = [];
    t.engine.onSessionEnded((e) => heardT.push(e));
    await admin.api.request('POST', `/api/admin/users/${t.id}/sign-out-everywhere`, z.unknown());
    t.engine.connect();
    await eventually(() => expect(heardT).toEqual([{ reason: SESSION_END.signedOutEverywhere, wipe: true }]));
    expect(t.engine.status().connection).toBe('signed-out');
  });

  it('T10: a password reset ends the session without a wipe; its own logout is not news', async () => {
    const s = await addUser(ts, admin, 'student');
    const heard: SessionEnded[] = [];
    s.engine.onSessionEnded((e) => heard.push(e));
    await admin.api.request('POST', `/api/admin/users/${s.id}/password`, z.unknown(), {
      password: 'another long password',
    });
    await eventually(() => expect(heard).toEqual([{ reason: SESSION_END.revoked, wipe: false }]));
    await s.engine.login(s.email, 'another long password');
    s.engine.connect();
    await s.engine.settled();
    await s.engine.logout(true);
    expect(heard).toHaveLength(1);
  });
});
