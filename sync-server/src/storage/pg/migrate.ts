import type { PgPool } from './pool.ts';

/**
 * The advisory lock key around migrating (any fixed 64-bit number; this one spells "cr-migr"): processes
 * starting together wait for the first to finish instead of running the same migration twice.
 */
const MIGRATION_LOCK = 0x63722d6d696772n;

/**
 * Brings the schema up to `migrations.length`: each pending migration in its own transaction with its
 * `schema_migrations` row, so a failure leaves the database at the last version that applied completely.
 * Returns the versions applied by this call.
 */
export async function migratePg(pool: PgPool, migrations: readonly string[]): Promise<number[]> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      // Read under the lock: another process may have migrated while this one waited for it.
      const r = await c.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
      const current = r.rows[0]?.v ?? 0;
      if (current > migrations.length)
        throw new Error(
          `the database is at schema version ${current}, newer than this server knows (${migrations.length}): run the newer server`,
        );
      const applied: number[] = [];
      for (const [i, sql] of migrations.entries()) {
        const version = i + 1;
        if (version <= current) continue;
        await c.query('BEGIN');
        try {
          await c.query(sql);
          await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
            version,
            Date.now(),
          ]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw new Error(`migration ${version} failed`, { cause: err });
        }
        applied.push(version);
      }
      return applied;
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    }
  } catch (err) {
    // The lock is the connection's: a client that failed mid-way is discarded, which frees it for sure.
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    c.release(broken);
  }
}
