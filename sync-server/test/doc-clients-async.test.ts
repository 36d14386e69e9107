import { describe } from 'vitest';
import type { Db } from '../src/storage/db.ts';
import { adaptSqliteDocClients } from '../src/storage/doc-clients-async.ts';
import { createDocClients } from '../src/storage/doc-clients.ts';
import { createPgDocClients } from '../src/storage/pg/doc-client-store.ts';
import type { PgClient } from '../src/storage/pg/pool.ts';
import { pgBackend, sqliteBackend } from './commit-backends.ts';
import { asyncDocClientsSuite } from './doc-clients-async.suite.ts';
import { postgresReachable } from './pg-test-db.ts';

/** The doc clients' conformance suite on a SQLite file (through the adapter) and on PostgreSQL. */

asyncDocClientsSuite<Db>('SQLite file through the async adapter', async () => {
  const b = sqliteBackend('doc-clients');
  return { store: adaptSqliteDocClients(createDocClients(b.conn)), docs: b.docs, close: b.close };
});

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the PostgreSQL doc clients tests: ${reachable.why}`);

describe.skipIf(!reachable.ok)('PostgreSQL', () => {
  asyncDocClientsSuite<PgClient>('PostgreSQL', async () => {
    const b = await pgBackend();
    return { store: createPgDocClients(b.conn), docs: b.docs, close: b.close };
  });
});
