import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Engine } from '@commonroom/engine';
import { AuditVerifyReply, WorkspaceSettings } from '@commonroom/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/storage/audit-chain.ts';
import { openDatabase } from '../src/storage/db.ts';
import { addUser, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');

/** `npm run audit:verify` as an operator runs it: the real script, in its own process, on the data dir. */
async function auditVerifyCli(dataDir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('npm', ['run', '--silent', 'audit:verify', '--', dataDir], {
      cwd: repoRoot,
    });
    return { code: 0, out: stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

/**
 * Issue 14 §6 against a real server and SQLite file: the audit log is hash-chained and append-only. A chain
 * of real entries verifies (route and script); UPDATE and DELETE through SQL are refused by the triggers; a
 * row altered, removed or cut off by someone who dropped the triggers is found at the right entry.
 */
describe('audit log: hash chain and append-only', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  const verify = () => admin.api.request('GET', '/api/admin/audit/verify', AuditVerifyReply);

  it('a chain of real entries verifies, through the route and `npm run audit:verify`; each row links to the one before', async () => {
    await addUser(ts, admin, 'student', { connect: false });
    await addUser(ts, admin, 'tutor', { connect: false });
    await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, {
      workspaceName: 'Chain College',
    });
    const report = await verify();
    expect(report.ok).toBe(true);
    const rows = ts.server.db
      .prepare<[], { id: number; prev_hash: string; hash: string }>(
        'SELECT id, prev_hash, hash FROM audit_log ORDER BY id',
      )
      .all();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    // The check's own entry (the last row) came after it.
    if (report.ok) {
      expect(report.count).toBe(rows.length - 1);
      expect(report.head).toBe(rows[rows.length - 2]?.hash);
    }
    expect(rows[0]?.prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash).toBe(rows[i - 1]?.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(rows.length);
    // The check is itself recorded, with its answer.
    expect(ts.server.internals.audit.list(1)[0]).toMatchObject({
      action: 'audit.verified',
      detail: { ok: true },
    });

    // Checked a few rows at a time, as the server does between pauses: the same chain, intact.
    expect(verifyAuditChain(ts.server.db, 3)).toMatchObject({ ok: true, count: rows.length });
    const cli = await auditVerifyCli(ts.dataDir);
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(/^OK: \d+ audit entries, chain intact/);
  }, 120_000);

  it('T9: only admins run the check', async () => {
    for (const role of ['student', 'tutor', 'staff'] as const) {
      const p = await addUser(ts, admin, role, { connect: false });
      const cookie = await login(ts.url, p.email, p.password);
      const res = await fetch(`${ts.url}/api/admin/audit/verify`, { headers: { cookie } });
      expect(res.status, role).toBe(403);
    }
  });

  it('UPDATE, DELETE and a hashless INSERT through SQL are refused by the triggers', () => {
    const db = ts.server.db;
    const before = db.prepare('SELECT COUNT(*) AS n FROM audit_log').get();
    expect(() => db.prepare("UPDATE audit_log SET action = 'nothing' WHERE id = 1").run()).toThrow(
      /append-only/,
    );
    expect(() =>
      db.prepare('UPDATE audit_log SET detail = ? WHERE id = (SELECT MAX(id) FROM audit_log)').run('{}'),
    ).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE id = 2').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() =>
      db.prepare("INSERT INTO audit_log (at, action, detail) VALUES (1, 'forged', '{}')").run(),
    ).toThrow(/written with their hashes/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual(before);
  });

  it('a row altered with the triggers dropped (someone with the file) is found at that row, by the check and the script', async () => {
    // A copy of the live file, so the server's own log stays whole for the other tests.
    const copyDir = mkdtempSync(join(tmpdir(), 'commonroom-audit-tamper-'));
    try {
      // The WAL folded into the file first, so the copy holds every entry.
      ts.server.db.pragma('wal_checkpoint(TRUNCATE)');
      copyFileSync(join(ts.dataDir, 'commonroom.sqlite'), join(copyDir, 'commonroom.sqlite'));
      const db = new Database(join(copyDir, 'commonroom.sqlite'));
      const ids = db
        .prepare<[], { id: number }>('SELECT id FROM audit_log ORDER BY id')
        .all()
        .map((r) => r.id);
      const victim = ids[Math.floor(ids.length / 2)] ?? 0;
      db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
      db.prepare('UPDATE audit_log SET detail = \'{"role":"student"}\' WHERE id = ?').run(victim);
      expect(verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: victim, reason: /changed/ });
      db.close();
      const cli = await auditVerifyCli(copyDir);
      expect(cli.code).toBe(1);
      expect(cli.out).toContain(`BROKEN at audit entry ${victim}: this entry was changed`);
    } finally {
      rmSync(copyDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a row recomputed to hide a change, one removed, and rows cut off the end are each found', () => {
    const copyDir = mkdtempSync(join(tmpdir(), 'commonroom-audit-tamper-'));
    try {
      ts.server.db.pragma('wal_checkpoint(TRUNCATE)');
      const file = join(copyDir, 'commonroom.sqlite');
      const fresh = () => {
        copyFileSync(join(ts.dataDir, 'commonroom.sqlite'), file);
        const db = new Database(file);
        db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
        return db;
      };
      let db = fresh();
      const ids = db
        .prepare<[], { id: number }>('SELECT id FROM audit_log ORDER BY id')
        .all()
        .map((r) => r.id);
      const [, second, third] = ids;
      // Removed from the middle: the next row no longer follows the one before it.
      db.prepare('DELETE FROM audit_log WHERE id = ?').run(second);
      expect(verifyAuditChain(db)).toMatchObject({
        ok: false,
        brokenAt: third,
        reason: /removed or inserted/,
      });
      // The same answer checked two rows at a time (the server pauses between batches): links hold across them.
      expect(verifyAuditChain(db, 2)).toMatchObject({ ok: false, brokenAt: third });
      db.close();
      // Cut off the end: every remaining link holds, but the id counter remembers.
      db = fresh();
      const last = ids[ids.length - 1] ?? 0;
      db.prepare('DELETE FROM audit_log WHERE id >= ?').run(last - 1);
      expect(verifyAuditChain(db)).toMatchObject({ ok: false, brokenAt: last - 2, reason: /removed/ });
      expect(verifyAuditChain(db, 3)).toMatchObject({ ok: false, brokenAt: last - 2, reason: /removed/ });
      db.close();
    } finally {
      rmSync(copyDir, { recursive: true, force: true });
    }
  });

  it('entries written before the chain existed are sealed in order at start-up (a version-1 database)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'commonroom-audit-legacy-'));
    copyFileSync(
      join(import.meta.dirname, 'fixtures', 'schema-v1.sqlite'),
      join(dataDir, 'commonroom.sqlite'),
    );
    // Migrated only (as `audit:verify` might meet it before any start): the old rows have no hashes yet.
    const migrated = openDatabase(join(dataDir, 'commonroom.sqlite'));
    const legacy = migrated.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number };
    expect(legacy.n).toBe(4);
    expect(verifyAuditChain(migrated)).toMatchObject({ ok: false, brokenAt: 1, reason: /no hash/ });
    migrated.close();
    const old = await startServer({ dataDir });
    try {
      // The sealed rows and a new one chained after them.
      old.server.internals.audit.record(null, 'test.after-upgrade', null);
      expect(await old.server.internals.audit.verify()).toMatchObject({ ok: true, count: 5 });
    } finally {
      await old.destroy();
    }
  });
});
