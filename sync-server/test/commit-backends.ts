import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { openDatabase, type Db } from '../src/storage/db.ts';
import { adaptSqliteDocStore, type AsyncDocStore } from '../src/storage/doc-store-async.ts';
import { createSqliteDocStore } from '../src/storage/doc-store.ts';
import { createPgDocStore } from '../src/storage/pg/doc-store.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool, type PgClient, type PgPool } from '../src/storage/pg/pool.ts';
import { createMigratedDatabase } from './pg-test-db.ts';

/**
 * The two places the stores written in a commit (message projection, applied actions, doc clients) run
 * their conformance suites: a SQLite file behind `adaptSqliteDocStore`, and a fresh PostgreSQL database
 * behind `createPgDocStore`. Each gives the document store whose `appendBatch(…, alongside)` is the commit
 * the stores' writes join, as rooms/commit-queue.ts will use it (docs/SCALE-OUT.md §2).
 */
export type CommitBackend<Tx, Conn> = {
  /** The connection the store under test is made on (the database, or a pool). */
  conn: Conn;
  docs: AsyncDocStore<Tx>;
  /**
   * Resolves once some transaction on the database waits for a row lock (a second commit that reached the
   * row a first one holds). SQLite runs one batch at a time (`adaptSqliteDocStore`): a second waits in the
   * adapter without touching the database, so this resolves at once.
   */
  lockWaited: () => Promise<void>;
  close: () => Promise<void>;
};

export function sqliteBackend(name: string): CommitBackend<Db, Db> {
  const dir = mkdtempSync(join(tmpdir(), `commonroom-${name}-`));
  const db = openDatabase(join(dir, 'test.sqlite'));
  const store = createSqliteDocStore(db);
  return {
    conn: db,
    docs: adaptSqliteDocStore(store, db),
    lockWaited: () => Promise.resolve(),
    close: async () => {
      store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function pgBackend(): Promise<CommitBackend<PgClient, PgPool>> {
  const db = await createMigratedDatabase(
    (pool) => migratePg(pool, PG_MIGRATIONS),
    // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
    (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
  );
  return {
    conn: db.pool,
    docs: createPgDocStore(db.pool),
    lockWaited: async () => {
      const admin = db.another();
      for (let i = 0; i < 500; i++) {
        const r = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if ((r.rows[0]?.n ?? 0) > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('no transaction came to wait for a lock within 5 s');
    },
    close: db.close,
  };
}

/** A small real Yjs update, so the document half of a batch is what the server stores. */
export function someUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}
