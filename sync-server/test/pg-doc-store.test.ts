import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createPgDocStore } from '../src/storage/pg/doc-store.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool, type PgClient, type PgPool } from '../src/storage/pg/pool.ts';
import { asyncDocStoreSuite } from './doc-store-async.suite.ts';
import { createTestDatabase, postgresReachable, type TestDatabase } from './pg-test-db.ts';

/**
 * PostgreSQL: the async DocStore conformance suite, the migrations runner, and what the per-document ids
 * promise (docs/SCALE-OUT.md §3). Each case gets its own database, dropped after.
 */
const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL tests: ${reachable.why}`);

const pools = (db: TestDatabase) => {
  const opened: PgPool[] = [];
  const open = (max = 4): PgPool => {
    const p = createPgPool(db.url, {
      max,
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      onError: (err) => void Promise.reject(err),
    });
    opened.push(p);
    return p;
  };
  return { open, end: () => Promise.all(opened.map((p) => p.end())) };
};

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncDocStoreSuite<PgClient>('PostgreSQL', async () => {
    const db = await createTestDatabase();
    const ps = pools(db);
    try {
      const pool = ps.open();
      await migratePg(pool, PG_MIGRATIONS);
      return {
        store: createPgDocStore(pool),
        second: async () => createPgDocStore(ps.open()),
        close: async () => {
          await ps.end();
          await db.drop();
        },
      };
    } catch (err) {
      await ps.end();
      await db.drop();
      throw err;
    }
  });

  describe('each on a fresh database', () => {
    let db: TestDatabase;
    let ps: ReturnType<typeof pools>;
    beforeEach(async () => {
      db = await createTestDatabase();
      ps = pools(db);
    });
    afterEach(async () => {
      try {
        await ps.end();
      } finally {
        await db.drop();
      }
    });

    it('migrations: several processes starting together apply each version once', async () => {
      const results = await Promise.all([0, 1, 2].map(() => migratePg(ps.open(1), PG_MIGRATIONS)));
      expect(results.flat().sort((a, b) => a - b)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
      const pool = ps.open(1);
      const r = await pool.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(r.rows.map((x) => x.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
      expect(await migratePg(pool, PG_MIGRATIONS)).toEqual([]);
    });

    it('migrations: a failing one leaves the versions before it applied and says which failed', async () => {
      const pool = ps.open(1);
      await migratePg(pool, PG_MIGRATIONS);
      const broken = [
        ...PG_MIGRATIONS,
        'CREATE TABLE half_done (x INT);',
        'CREATE TABLE oops (x NOSUCHTYPE);',
      ];
      await expect(migratePg(pool, broken)).rejects.toThrow(`migration ${broken.length} failed`);
      const r = await pool.query<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations');
      expect(r.rows[0]?.v).toBe(broken.length - 1);
      await expect(pool.query('SELECT * FROM oops')).rejects.toThrow('does not exist');
      // A newer database than the server knows is refused by name.
      await expect(migratePg(pool, PG_MIGRATIONS)).rejects.toThrow('newer than this server knows');
    });

    it('alongside writes in the commit transaction: kept with the updates, rolled back with them', async () => {
      const pool = ps.open();
      await migratePg(pool, PG_MIGRATIONS);
      await pool.query('CREATE TABLE IF NOT EXISTS projection (doc TEXT, note TEXT)');
      const store = createPgDocStore(pool);
      const u = (t: string): Uint8Array => {
        const d = new Y.Doc();
        d.getArray('m').push([t]);
        return Y.encodeStateAsUpdate(d);
      };
      await store.appendBatch([{ doc: 'P', data: u('kept') }], async (tx) => {
        await tx.query("INSERT INTO projection VALUES ('P', 'kept')");
      });
      await expect(
        store.appendBatch([{ doc: 'P', data: u('gone') }], async (tx) => {
          await tx.query("INSERT INTO projection VALUES ('P', 'gone')");
          await tx.query('SELECT * FROM no_such_table');
        }),
      ).rejects.toThrow('no_such_table');
      const rows = await pool.query<{ note: string }>("SELECT note FROM projection WHERE doc = 'P'");
      expect(rows.rows.map((r) => r.note)).toEqual(['kept']);
      expect(await store.count('P')).toBe(1);
    });

    it('a batch waits for another one holding the same document, then takes the next id (commit order)', async () => {
      const poolA = ps.open();
      const poolB = ps.open();
      await migratePg(poolA, PG_MIGRATIONS);
      const [a, b] = [createPgDocStore(poolA), createPgDocStore(poolB)];
      const doc = 'race';
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      // A has taken its id (alongside runs after the rows) and holds the document's row until the gate…
      const first = a.appendBatch([{ doc, data: new Uint8Array([1]) }], async () => {
        entered();
        await gate;
      });
      await inside;
      // …so B, started after A took its id, blocks on that row lock rather than drawing an id beside it.
      let bDone = false;
      const second = b.appendBatch([{ doc, data: new Uint8Array([2]) }]).then(() => (bDone = true));
      try {
        await waitFor(async () => {
          const r = await poolA.query<{ n: string }>(
            `SELECT COUNT(*) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return Number(r.rows[0]?.n) > 0;
        });
        expect(bDone).toBe(false);
      } finally {
        // Whatever happened, A commits, so no connection is left waiting (the pools can end).
        open();
        await Promise.all([first, second]);
      }
      const rows = await poolA.query<{ id: string; data: Buffer }>(
        'SELECT id, data FROM doc_updates WHERE doc = $1 ORDER BY id',
        [doc],
      );
      expect(rows.rows.map((r) => [Number(r.id), [...r.data]])).toEqual([
        [1, [1]],
        [2, [2]],
      ]);
    });
  });
});

/** Polls `ready` (a database state another connection reaches) until it holds; fails after about 5 s. */
async function waitFor(ready: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the database never reached the state waited for');
}
