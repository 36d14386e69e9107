import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../src/storage/db.ts';
import { migratePg } from '../src/storage/pg/migrate.ts';
import { PG_MIGRATIONS } from '../src/storage/pg/migrations.ts';
import { createPgPool } from '../src/storage/pg/pool.ts';
import { createPgSettingsStore } from '../src/storage/pg/settings-store.ts';
import { adaptSqliteSettingsStore } from '../src/storage/settings-async.ts';
import { createSettingsStore } from '../src/storage/settings.ts';
import { createMigratedDatabase, postgresReachable } from './pg-test-db.ts';
import { asyncSettingsStoreSuite } from './settings-async.suite.ts';

/** The settings conformance suite on a SQLite file (through the adapter) and on a fresh PostgreSQL database. */

asyncSettingsStoreSuite('SQLite file through the async adapter', async (defaults) => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-settings-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  return {
    open: () => adaptSqliteSettingsStore(createSettingsStore(db, defaults)),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL settings tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncSettingsStoreSuite('PostgreSQL', async (defaults) => {
    const db = await createMigratedDatabase(
      (pool) => migratePg(pool, PG_MIGRATIONS),
      // An idle client's error (none is expected) fails the run through the unhandled rejection it becomes.
      (url) => createPgPool(url, { max: 3, onError: (err) => void Promise.reject(err) }),
    );
    // Each instance on its own pool, as another process would be.
    return { open: () => createPgSettingsStore(db.another(), defaults), close: db.close };
  });
});
