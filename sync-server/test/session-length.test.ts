import { CLOSE, WorkspaceSettings } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { connectRaw, login, type RawClient } from './raw-client.ts';

const DAY = 86_400_000;

/**
 * T10 and the close codes of docs/PROTOCOL.md: shortening the session length in Admin → Settings applies
 * to sockets that are already open, not only at their next connection. A real server on loopback with an
 * injected clock, real sockets.
 */
describe('session length and open sockets', () => {
  let ts: TestServer;
  let clock = Date.UTC(2026, 8, 1, 9);
  beforeAll(async () => {
    ts = await startServer({ now: () => clock });
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const welcomed = async (c: RawClient): Promise<RawClient> => {
    await eventually(() => expect(c.frames.some((f) => f.type === 'welcome')).toBe(true));
    return c;
  };

  it('T10: shortening the session length closes open sockets whose session is now over (4001 not-logged-in) and re-times the others', async () => {
    const start = clock;
    const first = await loginAdmin(ts);
    const old = await addUser(ts, first, 'student', { connect: false });
    const nearly = await addUser(ts, first, 'student', { connect: false });
    const fresh = await addUser(ts, first, 'student', { connect: false });
    first.disconnect();
    const change = start + 3 * DAY;
    // Three days old when the length becomes two days: over at once.
    const oldCookie = await login(ts.url, old.email, old.password);
    // Two days old but two seconds when it changes: it must end two seconds later, not in twelve days.
    clock = change - 2 * DAY + 2_000;
    const nearlyCookie = await login(ts.url, nearly.email, nearly.password);
    clock = change;
    const freshCookie = await login(ts.url, fresh.email, fresh.password);
    const admin = await loginAdmin(ts);

    // Under the fourteen days in force, all three connect.
    const sOld = await welcomed(await connectRaw(ts.url, oldCookie));
    const sNearly = await welcomed(await connectRaw(ts.url, nearlyCookie));
    const sFresh = await welcomed(await connectRaw(ts.url, freshCookie));

    const after = await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, {
      sessionLengthDays: 2,
    });
    expect(after.sessionLengthDays).toBe(2);
    await eventually(() =>
      expect(sOld.closed).toEqual({
        code: CLOSE.unauthenticated,
        reason: 'not-logged-in: the session length was shortened',
      }),
    );
    // The engine hears the same word a 401 says: a plain expiry, sign in again, nothing wiped.
    expect(sNearly.closed).toBeNull();
    await eventually(
      () =>
        expect(sNearly.closed).toEqual({
          code: CLOSE.unauthenticated,
          reason: 'not-logged-in: session expired',
        }),
      10_000,
    );
    // The fresh session, and the admin's own socket, stay open.
    expect(sFresh.closed).toBeNull();
    expect(admin.status().connection).toBe('online');
    // Lengthening it again stretches nothing and closes nobody.
    await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, { sessionLengthDays: 14 });
    expect(sFresh.closed).toBeNull();
    expect(admin.status().connection).toBe('online');
    for (const s of [sOld, sNearly, sFresh]) s.close();
    admin.disconnect();
  });
});
