import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { adaptSqlitePasswordLinks } from '../src/storage/password-links-async.ts';
import { createPasswordLinks } from '../src/storage/password-links.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPasswordLinks } from '../src/storage/pg/password-link-store.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { asyncPasswordLinksSuite, USERS } from './password-links-async.suite.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';

/**
 * The set-password link conformance suite on a SQLite file (through the adapter) and on PostgreSQL, where
 * each instance has its own pool: two pools racing to use one link is two processes racing.
 */

const SEED = USERS.map(
  (id) => `INSERT INTO users (id, email, display_name, role, password_hash, created_at, updated_at)
    VALUES ('${id}', '${id}@college.test', '${id}', 'student', 'x', 0, 0)`,
);

asyncPasswordLinksSuite('SQLite file through the async adapter', async (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-links-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  for (const sql of SEED) db.exec(sql);
  return {
    open: () => adaptSqlitePasswordLinks(createPasswordLinks(db, now), (f) => db.transaction(f)()),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL password link tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncPasswordLinksSuite('PostgreSQL', async (now) => {
    const db = await createMigratedDatabase(
      async (pool) => {
        await migratePg(pool, PG_MIGRATIONS);
        for (const sql of SEED) await pool.query(sql);
      },
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    return { open: () => createPgPasswordLinks(db.another(), now), close: db.close };
  });
});
