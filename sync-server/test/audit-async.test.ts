import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adaptSqliteAuditLog } from '../src/storage/audit-async.ts';
import type { ChainRow } from '../src/storage/audit-chain.ts';
import { createAuditLog } from '../src/storage/audit.ts';
import { openDatabase, type Db } from '../src/storage/db.ts';
import { createPgAuditLog } from '../src/storage/pg/audit-log.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool, inTransaction, type PgPool } from '../src/storage/pg/pool.ts';
import { asyncAuditLogSuite, type AuditHarness } from './audit-async.suite.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';

/** The audit log conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

const ROWS = 'SELECT id, at, actor_id, action, target, detail, prev_hash, hash FROM audit_log ORDER BY id';

/** A SQLite file; each `open` is another connection to it, as another process would have. */
async function sqliteHarness(now: () => number): Promise<AuditHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-audit-'));
  const file = join(dir, 'test.sqlite');
  const db = openDatabase(file);
  const others: Db[] = [];
  return {
    open: () => {
      const other = openDatabase(file);
      others.push(other);
      return adaptSqliteAuditLog(createAuditLog(other, now));
    },
    sql: async (statement) => {
      db.exec(statement);
    },
    dropTriggers: async () => {
      const admin = new Database(file);
      try {
        admin.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete');
      } finally {
        admin.close();
      }
    },
    rows: async () => db.prepare<[], ChainRow>(ROWS).all(),
    close: async () => {
      for (const o of others) o.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

asyncAuditLogSuite('SQLite file through the async adapter', sqliteHarness);

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL audit log tests: ${reachable.why}`);

// An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
const openPool = (url: string): PgPool =>
  createPgPool(url, { max: 4, onError: (err) => void Promise.reject(err) });

/** A fresh database; each `open` is a log on its own pool, as another process would have. */
async function pgHarness(now: () => number): Promise<AuditHarness> {
  const db = await createMigratedDatabase((pool) => migratePg(pool, PG_MIGRATIONS), openPool);
  return {
    open: () => createPgAuditLog(db.another(), now),
    sql: async (statement) => {
      await db.pool.query(statement);
    },
    dropTriggers: async () => {
      const admin = db.another();
      await admin.query('DROP TRIGGER audit_log_no_change ON audit_log');
    },
    rows: async () =>
      (await db.pool.query<ChainRow>(ROWS)).rows.map((r) => ({ ...r, id: Number(r.id), at: Number(r.at) })),
    close: db.close,
  };
}

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncAuditLogSuite('PostgreSQL', pgHarness);

  it('the chain head only moves on to the next entry: it cannot be wound back, removed or emptied', async () => {
    const h = await pgHarness(() => 1_700_000_000_000);
    try {
      const log = h.open();
      await log.record('u-ada', 'user.created', 'u-bob', {});
      await log.record('u-ada', 'user.updated', 'u-bob', {});
      // Winding the head back would let the last entries be removed unnoticed (once the log's triggers are gone).
      await expect(h.sql('UPDATE audit_chain_head SET id = 1')).rejects.toThrow(/only moves on/);
      await expect(h.sql('UPDATE audit_chain_head SET id = 5')).rejects.toThrow(/only moves on/);
      await expect(h.sql('DELETE FROM audit_chain_head')).rejects.toThrow(/only moves on/);
      await expect(h.sql('TRUNCATE audit_chain_head')).rejects.toThrow(/only moves on/);
      await expect(h.sql('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      expect(await log.verify()).toMatchObject({ ok: true, count: 2 });
    } finally {
      await h.close();
    }
  });

  it('an entry appended in a transaction that rolls back leaves neither a row nor a gap in the ids', async () => {
    const db = await createMigratedDatabase((pool) => migratePg(pool, PG_MIGRATIONS), openPool);
    try {
      const log = createPgAuditLog(db.pool, () => 1_700_000_000_000);
      await log.record('u-ada', 'user.created', 'u-bob', {});
      await expect(
        inTransaction(db.pool, async (tx) => {
          await log.recordIn(tx, 'u-ada', 'dm.opened', 'c-9', {});
          throw new Error('the change it recorded failed');
        }),
      ).rejects.toThrow(/failed/);
      await inTransaction(db.pool, (tx) => log.recordIn(tx, 'u-ada', 'dm.opened', 'c-10', {}));
      expect((await log.list()).map((e) => [e.id, e.target])).toEqual([
        [2, 'c-10'],
        [1, 'u-bob'],
      ]);
      expect(await log.verify()).toMatchObject({ ok: true, count: 2 });
    } finally {
      await db.close();
    }
  });

  it('the same entries give the same rows, hashes included, in SQLite and in PostgreSQL', async () => {
    let t = 1_700_000_000_000;
    const now = (): number => t;
    const sqlite = await sqliteHarness(now);
    const pg = await pgHarness(now);
    try {
      const logs = [sqlite.open(), pg.open()];
      const entries: [string | null, string, string | null, Record<string, unknown>][] = [
        ['u-ada', 'user.created', 'u-bob', { role: 'student', cohorts: ['12A'], line: 3 }],
        [null, 'retention.run', null, { removed: 0, settings: { days: 365 } }],
        ['u-bob', 'profile.updated', 'u-bob', { name: 'Zoë “Z” Ng', emoji: '🙂', nested: { a: [1, null] } }],
        ['u-ada', 'safeguarding.item_viewed', '42', {}],
      ];
      for (const [actor, action, target, detail] of entries) {
        t += 1234;
        for (const log of logs) await log.record(actor, action, target, detail);
      }
      const [fromSqlite, fromPg] = [await sqlite.rows(), await pg.rows()];
      expect(fromSqlite).toHaveLength(entries.length);
      expect(fromPg).toEqual(fromSqlite);
      expect(await logs[1]?.verify()).toEqual(await logs[0]?.verify());
      expect(await logs[1]?.list()).toEqual(await logs[0]?.list());
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });
});
