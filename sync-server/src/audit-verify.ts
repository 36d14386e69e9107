import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { verifyAuditChain } from './storage/audit-chain.ts';

/**
 * `npm run audit:verify [data dir]`: checks the audit log's hash chain (issue 14 §6) in the SQLite file
 * `npm start` uses (the argument, else DATA_DIR, else ./data). Opens the file read-only, so it is safe beside
 * a running server. Prints OK with the newest entry's hash, or the first entry that does not fit; the exit
 * code is 0, 1 (broken) or 2 (no database).
 */
const dataDir = resolve(process.argv[2] ?? process.env.DATA_DIR ?? './data');
const file = join(dataDir, 'commonroom.sqlite');
if (!existsSync(file)) {
  process.stderr.write(`No Commonroom database at ${file}\n`);
  process.exit(2);
}
const db = new Database(file, { readonly: true, fileMustExist: true });
try {
  const report = verifyAuditChain(db);
  if (report.ok) {
    process.stdout.write(
      `OK: ${report.count} audit entries, chain intact. Newest entry's hash: ${report.head}\n`,
    );
  } else {
    process.stdout.write(
      `BROKEN at audit entry ${report.brokenAt}: ${report.reason} (${report.count} entries before it are intact)\n`,
    );
    process.exitCode = 1;
  }
} finally {
  db.close();
}
