import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/storage/db.ts';
import { createMemoryDocStore, createSqliteDocStore } from '../src/storage/doc-store.ts';
import { docStoreSuite } from './doc-store.suite.ts';

docStoreSuite('memory', () => ({ store: createMemoryDocStore() }));

docStoreSuite('SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-store-'));
  const db = openDatabase(join(dir, 'test.sqlite'));
  return {
    store: createSqliteDocStore(db),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
