import { createEngine, createMemoryStorage, type Engine } from '@commonroom/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  ADMIN,
  addUser,
  eventually,
  loginAdmin,
  nodeSocket,
  startServer,
  type TestServer,
} from './harness.ts';
import { login } from './raw-client.ts';

/**
 * The directory (GET /api/users) is served from memory with an ETag, dropped on every user write; every
 * reconnecting engine asks with the version it holds and gets 304 when nothing changed (BENCHMARKS.md,
 * reconnect storm).
 */

type Directory = { users: { id: string; displayName: string; role: string; active: boolean }[] };

const getUsers = async (
  ts: TestServer,
  cookie: string,
  etag?: string,
): Promise<{ status: number; etag: string | null; text: string }> => {
  const res = await fetch(`${ts.url}/api/users`, {
    headers: { cookie, ...(etag ? { 'if-none-match': etag } : {}) },
  });
  return { status: res.status, etag: res.headers.get('etag'), text: await res.text() };
};

describe('the directory with an ETag', () => {
  let ts: TestServer;
  let admin: Engine;
  let cookie: string;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    cookie = await login(ts.url, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    admin.disconnect();
    await ts.destroy();
  });

  it('answers 304 with no body to the version held, and 200 with the body to anything else', async () => {
    const first = await getUsers(ts, cookie);
    expect(first.status).toBe(200);
    expect(first.etag).toMatch(/^"[\w-]+"$/);
    const body = JSON.parse(first.text) as Directory;
    expect(body.users.some((u) => u.displayName === 'Administrator')).toBe(true);
    expect(first.text).not.toContain('@college.test');

    const again = await getUsers(ts, cookie, first.etag ?? '');
    expect(again).toEqual({ status: 304, etag: first.etag, text: '' });
    // Weak form and lists, as caches send them (RFC 9110 weak comparison).
    expect((await getUsers(ts, cookie, `"other", W/${first.etag ?? ''}`)).status).toBe(304);
    const stale = await getUsers(ts, cookie, '"not-this-one"');
    expect(stale.status).toBe(200);
    expect(stale.text).toBe(first.text);
  });

  it('still needs a live session: a matching ETag without one is 401', async () => {
    const { etag } = await getUsers(ts, cookie);
    const res = await fetch(`${ts.url}/api/users`, { headers: { 'if-none-match': etag ?? '' } });
    expect(res.status).toBe(401);
    const bad = await fetch(`${ts.url}/api/users`, {
      headers: { cookie: 'cr_session=nope', 'if-none-match': etag ?? '' },
    });
    expect(bad.status).toBe(401);
  });

  it('changes with every user write: a new person, a role change, a deactivation, a reactivation', async () => {
    const v0 = await getUsers(ts, cookie);
    const added = await addUser(ts, admin, 'student', { name: 'Directory Newcomer', connect: false });
    const v1 = await getUsers(ts, cookie, v0.etag ?? '');
    expect(v1.status).toBe(200);
    expect(v1.etag).not.toBe(v0.etag);
    expect((JSON.parse(v1.text) as Directory).users.find((u) => u.id === added.id)?.role).toBe('student');

    await admin.api.request('PATCH', `/api/admin/users/${added.id}/role`, z.unknown(), {
      role: 'tutor',
    });
    const v2 = await getUsers(ts, cookie, v1.etag ?? '');
    expect(v2.status).toBe(200);
    expect((JSON.parse(v2.text) as Directory).users.find((u) => u.id === added.id)?.role).toBe('tutor');

    await admin.api.request('POST', `/api/admin/users/${added.id}/deactivate`, z.unknown());
    const v3 = await getUsers(ts, cookie, v2.etag ?? '');
    expect(v3.status).toBe(200);
    expect((JSON.parse(v3.text) as Directory).users.some((u) => u.id === added.id)).toBe(false);

    await admin.api.request('POST', `/api/admin/users/${added.id}/reactivate`, z.unknown());
    const v4 = await getUsers(ts, cookie, v3.etag ?? '');
    expect(v4.status).toBe(200);
    // The same content as before the deactivation: the same version.
    expect(v4.etag).toBe(v2.etag);
    expect((await getUsers(ts, cookie, v4.etag ?? '')).status).toBe(304);
  });

  it('the engine asks with the version it holds: 304 on reconnect, the new directory after a change', async () => {
    const statuses: number[] = [];
    const person = await addUser(ts, admin, 'student', { connect: false });
    const engine = createEngine({
      baseUrl: ts.url,
      storage: createMemoryStorage(),
      socketFactory: nodeSocket,
      manualCookies: true,
      backoff: { minMs: 20, maxMs: 200 },
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (res.url.endsWith('/api/users')) statuses.push(res.status);
        return res;
      },
    });
    await engine.init();
    await engine.login(person.email, person.password);
    try {
      const all = await engine.users();
      expect(statuses).toEqual([200]);
      expect(all.some((u) => u.id === person.id)).toBe(true);

      // Every WELCOME refreshes the directory; the device already holds this version.
      engine.connect();
      await engine.settled();
      await eventually(() => expect(statuses).toEqual([200, 304]));
      expect(engine.directory().length).toBe(all.length);
      expect(engine.user(person.id)?.displayName).toBe(all.find((u) => u.id === person.id)?.displayName);

      const later = await addUser(ts, admin, 'tutor', { name: 'Arrived Later', connect: false });
      engine.dropConnection();
      await eventually(() => expect(statuses).toEqual([200, 304, 200]));
      await eventually(() => expect(engine.user(later.id)?.displayName).toBe('Arrived Later'));
      expect(engine.directory().length).toBe(all.length + 1);

      engine.dropConnection();
      await eventually(() => expect(statuses).toEqual([200, 304, 200, 304]));
      expect(engine.user(later.id)?.displayName).toBe('Arrived Later');
    } finally {
      engine.disconnect();
    }
  });

  it('keeps the same version across a restart (derived from the content)', async () => {
    const before = await getUsers(ts, cookie);
    await ts.stop();
    const again = await startServer({ dataDir: ts.dataDir });
    try {
      const fresh = await login(again.url, ADMIN.email, ADMIN.password);
      const r = await getUsers(again, fresh, before.etag ?? '');
      expect(r.status).toBe(304);
      expect(r.etag).toBe(before.etag);
    } finally {
      await again.stop();
    }
  });
});
