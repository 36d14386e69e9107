import type { Engine } from '@commonroom/engine';
import { AdminUserPage, Me } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';

/** The admin console's People table over HTTP (issue 13 §2): server-side search, filters, sort and pages. */
describe('admin: the People query', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const page = (qs: string) => admin.api.request('GET', `/api/admin/users?${qs}`, AdminUserPage);

  it('T9: search as typed (name, email or username), filter by role and status, sort, and page by cursor', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++)
      made.push((await addUser(ts, admin, 'student', { name: `Zeta Pupil ${i}`, connect: false })).id);
    const tutor = await addUser(ts, admin, 'tutor', { name: 'Zeta Teacher', connect: false });
    await admin.api.request('POST', `/api/admin/users/${made[0]}/deactivate`, z.unknown());

    const all = await page('query=zeta&sort=name&limit=3');
    expect(all.total).toBe(8);
    expect(all.users.map((u) => u.displayName)).toEqual(['Zeta Pupil 0', 'Zeta Pupil 1', 'Zeta Pupil 2']);
    const next = await page(`query=zeta&sort=name&limit=3&cursor=${all.nextCursor}`);
    expect(next.users.map((u) => u.displayName)).toEqual(['Zeta Pupil 3', 'Zeta Pupil 4', 'Zeta Pupil 5']);
    const last = await page(`query=zeta&sort=name&limit=3&cursor=${next.nextCursor}`);
    expect(last.users.map((u) => u.displayName)).toEqual(['Zeta Pupil 6', 'Zeta Teacher']);
    expect(last.nextCursor).toBeNull();

    expect((await page('query=ZETA&role=tutor')).users.map((u) => u.id)).toEqual([tutor.id]);
    expect((await page('query=zeta&status=deactivated')).users.map((u) => u.id)).toEqual([made[0]]);
    expect((await page('query=zeta&status=active')).total).toBe(7);
    expect((await page('query=zeta&sort=name&dir=desc&limit=1')).users[0]?.displayName).toBe('Zeta Teacher');
    // By email, and wildcards are searched as themselves.
    expect((await page(`query=${encodeURIComponent(tutor.email)}`)).users.map((u) => u.id)).toEqual([
      tutor.id,
    ]);
    expect((await page('query=%25')).total).toBe(0);
    const row = (await page('query=zeta&role=tutor')).users[0];
    expect(row?.createdAt).toBeGreaterThan(0);
    // Last seen comes from presence: the connected admin is online, a person never connected is unknown.
    expect(row?.lastSeenAt).toBeNull();
    expect(row?.online).toBe(false);
    expect((await page('query=administrator')).users[0]?.online).toBe(true);
    await expect(page('role=wizard')).rejects.toMatchObject({ status: 400, code: 'bad-query' });
    // The old route, with no query, still lists everyone (scripts use it).
    const old = await admin.api.request('GET', '/api/admin/users', z.object({ users: z.array(Me) }));
    expect(old.users.length).toBeGreaterThanOrEqual(9);
  });

  it('T9: 20,000 accounts: a page holds 50 of them, and the total counts all', async () => {
    const users = ts.server.internals.users;
    ts.server.db.transaction(() => {
      for (let i = 0; i < 20_000; i++)
        users.insert({
          id: `bulk${String(i).padStart(6, '0')}`,
          email: `bulk${i}@college.test`,
          username: null,
          displayName: `Bulk Person ${i}`,
          role: 'student',
          passwordHash: 'x',
          cohort: null,
        });
    })();
    const first = await page('query=bulk');
    expect(first.users).toHaveLength(50);
    expect(first.total).toBe(20_000);
    const second = await page(`query=bulk&cursor=${first.nextCursor}`);
    expect(second.users).toHaveLength(50);
    const seen = new Set(first.users.map((u) => u.id));
    expect(second.users.some((u) => seen.has(u.id))).toBe(false);
    const names = [...first.users, ...second.users].map((u) => u.displayName.toLowerCase());
    expect(names).toEqual([...names].sort());
    const found = await page('query=bulk person 19999');
    expect(found.users.map((u) => u.displayName)).toEqual(['Bulk Person 19999']);
  });

  it('T9: students and tutors get 403 from the admin routes', async () => {
    for (const role of ['student', 'tutor'] as const) {
      const p = await addUser(ts, admin, role, { connect: false });
      const cookie = await login(ts.url, p.email, p.password);
      for (const path of ['/api/admin/users', '/api/admin/users?query=a', `/api/admin/users/${p.id}`]) {
        const res = await fetch(`${ts.url}${path}`, { headers: { cookie } });
        expect(res.status, `${role} ${path}`).toBe(403);
      }
    }
  });
});
