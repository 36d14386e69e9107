import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations.ts';
import { registerSearchFunctions } from './search-marks.ts';

export type Db = Database.Database;

/**
 * Opens the one SQLite file and brings its schema up to date.
 * WAL lets readers run beside the writer; synchronous=FULL makes a commit durable across power loss, which is
 * what an acknowledgement promises (docs/PROTOCOL.md P4).
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Deleted rows are overwritten where that costs no extra I/O: a compacted document's old updates (the
  // words of a removed message, P16) do not linger in the file's free pages.
  db.pragma('secure_delete = FAST');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Brings the schema up to date; also registers the SQL functions the schema's triggers call. */
export function migrate(db: Db): void {
  registerSearchFunctions(db);
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  for (const [i, sql] of MIGRATIONS.entries()) {
    const version = i + 1;
    if (version <= current) continue;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        Date.now(),
      );
    })();
  }
}
