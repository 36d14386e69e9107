import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/storage/db.ts';
import { adaptSqliteDocStore } from '../src/storage/doc-store-async.ts';
import { createSqliteDocStore } from '../src/storage/doc-store.ts';
import { asyncDocStoreSuite } from './doc-store-async.suite.ts';

/** The async conformance suite on the SQLite adapter (PostgreSQL: pg-doc-store.test.ts). */
asyncDocStoreSuite<Db>('SQLite file through the async adapter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-async-store-'));
  const path = join(dir, 'test.sqlite');
  const dbs = [openDatabase(path)];
  const open = (): ReturnType<typeof adaptSqliteDocStore> => {
    const db = dbs.at(-1) ?? openDatabase(path);
    return adaptSqliteDocStore(createSqliteDocStore(db), db);
  };
  return {
    store: open(),
    second: async () => {
      // A second connection to the same file, as a second process would have.
      dbs.push(openDatabase(path));
      return open();
    },
    close: async () => {
      for (const db of dbs) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
