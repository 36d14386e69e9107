import type { Engine } from '@commonroom/engine';
import {
  AdminUserPage,
  AdminUserReply,
  CohortList,
  CreateUserReply,
  ResetPasswordReply,
  SetPasswordReply,
  SetPasswordState,
} from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, eventually, loginAdmin, makeEngine, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';

/**
 * Issue 13 §2: cohorts (their course channels follow them, and the role), one-time set-password links
 * (single use, 72 h, replaced by a newer one), and the People table's keyset pages. A real server with an
 * injected clock, so expiry is tested without waiting.
 */
describe('admin: cohorts, one-time links and keyset pages', () => {
  let ts: TestServer;
  let admin: Engine;
  let offset = 0;
  beforeAll(async () => {
    ts = await startServer({ now: () => Date.now() + offset });
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const token = (path: string): string => path.split('#')[1] ?? '';
  const post = (path: string, body: unknown) =>
    fetch(`${ts.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const check = async (t: string) =>
    SetPasswordState.parse(await (await post('/api/auth/set-password/check', { token: t })).json());

  it('T9: a person made with a one-time link has no password until they open it; it works once, and its use is audited', async () => {
    const made = await admin.api.request('POST', '/api/admin/users', CreateUserReply, {
      displayName: 'Link Person',
      username: 'link.person',
      role: 'student',
      link: true,
      cohorts: ['level3-adult-care'],
    });
    const path = made.link?.path ?? '';
    expect(path).toMatch(/^\/set-password#[A-Za-z0-9_-]{32}$/);
    expect(made.link?.expiresAt).toBeGreaterThan(Date.now() + 71 * 3_600_000);
    // Only the hash is stored.
    const stored = ts.server.db.prepare('SELECT token_hash FROM password_links').all() as {
      token_hash: string;
    }[];
    expect(stored.map((r) => r.token_hash)).not.toContain(token(path));
    // No password works before the link is used (not even an empty-looking one).
    await expect(login(ts.url, 'link.person', '!none')).rejects.toThrow(/401/);

    expect(await check(token(path))).toEqual({ state: 'valid', displayName: 'Link Person' });
    const set = await post('/api/auth/set-password', { token: token(path), password: 'my-own-password-1' });
    expect(set.status).toBe(200);
    expect(SetPasswordReply.parse(await set.json())).toEqual({ login: 'link.person' });
    expect(await login(ts.url, 'link.person', 'my-own-password-1')).toMatch(/^cr_session=/);

    // Used: it says so, and it cannot set a password again.
    expect(await check(token(path))).toEqual({ state: 'used' });
    const again = await post('/api/auth/set-password', { token: token(path), password: 'someone-elses-pw' });
    expect(again.status).toBe(410);
    expect(((await again.json()) as { message: string }).message).toMatch(/already been used/);
    await expect(login(ts.url, 'link.person', 'someone-elses-pw')).rejects.toThrow(/401/);
    expect(await check('x'.repeat(32))).toEqual({ state: 'invalid' });

    const id = ts.server.internals.users.findByLogin('link.person')?.id ?? '';
    const actions = ts.server.internals.audit
      .list(500)
      .filter((e) => e.target === id)
      .map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['user.created', 'user.password-link', 'password.set-by-link']),
    );
  });

  it('T9: a reset by link ends every session and the old password at once; the link expires after 72 hours; a newer link replaces an older one', async () => {
    const p = await addUser(ts, admin, 'student', { name: 'Reset Me' });
    const reply = await admin.api.request('POST', `/api/admin/users/${p.id}/password`, ResetPasswordReply, {
      link: true,
    });
    const first = token(reply.link?.path ?? '');
    await expect(login(ts.url, p.email, p.password)).rejects.toThrow(/401/);
    await eventually(() => expect(p.engine.status().connection).toBe('signed-out'));

    const second = token(
      (
        await admin.api.request('POST', `/api/admin/users/${p.id}/password`, ResetPasswordReply, {
          link: true,
        })
      ).link?.path ?? '',
    );
    expect(await check(first)).toEqual({ state: 'invalid' });
    expect((await post('/api/auth/set-password', { token: first, password: 'replaced-link-1' })).status).toBe(
      410,
    );

    offset = 72 * 3_600_000 + 1_000;
    try {
      expect(await check(second)).toEqual({ state: 'expired' });
      const late = await post('/api/auth/set-password', { token: second, password: 'too-late-password' });
      expect(late.status).toBe(410);
      expect(((await late.json()) as { message: string }).message).toBe(
        'This link has expired. Ask an admin at your college for a new one.',
      );
    } finally {
      offset = 0;
    }
    // A password reset the ordinary way still works, and needs no link.
    const plain = await admin.api.request('POST', `/api/admin/users/${p.id}/password`, ResetPasswordReply, {
      password: 'brand-new-password',
    });
    expect(plain.link).toBeUndefined();
    expect(await login(ts.url, p.email, 'brand-new-password')).toMatch(/^cr_session=/);
    const detail = ts.server.internals.audit
      .list(500, 'user.password-reset')
      .filter((e) => e.target === p.id)
      .map((e) => (e.detail as { by: string }).by);
    expect(detail).toEqual(['password', 'link', 'link']);
  });

  it('T9: cohorts: joining one joins its course channel on the open device; leaving it leaves; a role change moves staff channels; a cohort with no channel is kept', async () => {
    const s = await addUser(ts, admin, 'student', { name: 'Cohort Student' });
    const member = (name: string) => s.engine.conversations().some((c) => c.name === name && c.isMember);
    expect(member('level2-it-skills')).toBe(false);

    const patch = (body: unknown) =>
      admin.api.request('PATCH', `/api/admin/users/${s.id}`, AdminUserReply, body);
    const after = await patch({ cohorts: ['level2-it-skills', 'bio-l3'], displayName: 'Cohort Student Two' });
    expect(after.user.cohort).toBe('level2-it-skills,bio-l3');
    expect(after.user.displayName).toBe('Cohort Student Two');
    // The device hears conversations-changed and shows the course channel as joined.
    await eventually(() => expect(member('level2-it-skills')).toBe(true));

    await patch({ cohorts: ['bio-l3'] });
    await eventually(() => expect(member('level2-it-skills')).toBe(false));
    expect(member('general')).toBe(true);

    // Role: a tutor joins the staff channel; back to student leaves it.
    await admin.api.request('PATCH', `/api/admin/users/${s.id}/role`, z.unknown(), { role: 'tutor' });
    await eventually(() => expect(member('tutors-only')).toBe(true));
    await admin.api.request('PATCH', `/api/admin/users/${s.id}/role`, z.unknown(), { role: 'student' });
    await eventually(() => expect(member('tutors-only')).toBe(false));

    // The cohort list: head counts, and which cohorts have a course channel.
    const list = await admin.api.request('GET', '/api/admin/cohorts', CohortList);
    expect(list.cohorts.find((c) => c.name === 'bio-l3')).toEqual({
      name: 'bio-l3',
      people: 1,
      channel: null,
    });
    expect(list.cohorts.find((c) => c.name === 'level3-adult-care')?.channel).toBe('level3-adult-care');
    const audit = ts.server.internals.audit.list(500, 'user.updated').filter((e) => e.target === s.id);
    expect(audit.map((e) => e.detail)).toContainEqual({
      cohorts: { from: ['level2-it-skills', 'bio-l3'], to: ['bio-l3'] },
    });
    // Filter by cohort: a whole entry of the list, not a prefix.
    const page = await admin.api.request('GET', '/api/admin/users?cohort=bio-l3', AdminUserPage);
    expect(page.users.map((u) => u.id)).toEqual([s.id]);
    expect((await admin.api.request('GET', '/api/admin/users?cohort=bio', AdminUserPage)).total).toBe(0);
  });

  it('T9: keyset pages: the cursor is opaque, a page stays right while rows are added before it, and a cursor from another sort is refused', async () => {
    const names = ['Kappa Alpha', 'Kappa Bravo', 'Kappa Charlie', 'Kappa Delta', 'Kappa Echo'];
    for (const n of names) await addUser(ts, admin, 'student', { name: n, connect: false });
    const page = (qs: string) => admin.api.request('GET', `/api/admin/users?${qs}`, AdminUserPage);
    const one = await page('query=kappa&limit=2');
    expect(one.users.map((u) => u.displayName)).toEqual(['Kappa Alpha', 'Kappa Bravo']);
    expect(one.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    // Someone sorted before the cursor is added: the next page neither repeats nor skips anyone.
    await addUser(ts, admin, 'student', { name: 'Kappa Aardvark', connect: false });
    const two = await page(`query=kappa&limit=2&cursor=${one.nextCursor}`);
    expect(two.users.map((u) => u.displayName)).toEqual(['Kappa Charlie', 'Kappa Delta']);
    const three = await page(`query=kappa&limit=2&cursor=${two.nextCursor}`);
    expect(three.users.map((u) => u.displayName)).toEqual(['Kappa Echo']);
    expect(three.nextCursor).toBeNull();
    // Descending by creation, with equal keys broken by id.
    const desc = await page('query=kappa&sort=created&dir=desc&limit=3');
    const rest = await page(`query=kappa&sort=created&dir=desc&limit=3&cursor=${desc.nextCursor}`);
    expect([...desc.users, ...rest.users].map((u) => u.displayName).sort()).toEqual(
      [...names, 'Kappa Aardvark'].sort(),
    );
    await expect(page(`query=kappa&sort=login&cursor=${one.nextCursor}`)).rejects.toMatchObject({
      status: 400,
      code: 'bad-cursor',
    });
    await expect(page('cursor=bm90LWpzb24')).rejects.toMatchObject({ status: 400, code: 'bad-cursor' });
  });

  it('T9: a deactivated person cannot use a link made before', async () => {
    const made = await admin.api.request('POST', '/api/admin/users', CreateUserReply, {
      displayName: 'Gone Soon',
      email: 'gone.soon@college.test',
      role: 'student',
      link: true,
    });
    await admin.api.request('POST', `/api/admin/users/${made.user.id}/deactivate`, z.unknown());
    const t = token(made.link?.path ?? '');
    expect(await check(t)).toEqual({ state: 'invalid' });
    expect((await post('/api/auth/set-password', { token: t, password: 'still-not-allowed' })).status).toBe(
      410,
    );
    const e = makeEngine(ts.url);
    await e.init();
    await expect(e.login('gone.soon@college.test', 'still-not-allowed')).rejects.toMatchObject({
      status: 401,
    });
  });
});
