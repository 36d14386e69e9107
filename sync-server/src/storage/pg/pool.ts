import pg from 'pg';
import { z } from 'zod';

/** A `DATABASE_URL`: PostgreSQL only, so a typo'd scheme stops start-up by name instead of hanging. */
export const DatabaseUrlSchema = z
  .string()
  .url()
  .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must start with postgres:// or postgresql://');

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/**
 * A connection pool for `url`. `onError` hears errors of idle clients (the server restarting, a network
 * cut): node-postgres emits them on the pool, and an unheard 'error' event would end the process. The
 * client in use when that happens gets its own error through the query that fails.
 */
export function createPgPool(
  url: string,
  opts: { max?: number; onError: (err: Error) => void; connectTimeoutMs?: number },
): PgPool {
  const pool = new pg.Pool({
    connectionString: DatabaseUrlSchema.parse(url),
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    // A lost machine's connections (and its advisory locks, docs/SCALE-OUT.md §4.1) are noticed in seconds.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  pool.on('error', opts.onError);
  return pool;
}

/** Runs `f` in one transaction on one client: COMMIT when it resolves, ROLLBACK (and rethrow) when not. */
export async function inTransaction<T>(pool: PgPool, f: (tx: PgClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    // synchronous_commit=on is PostgreSQL's default; stated so a server configured otherwise cannot make
    // an acknowledgement promise less than a WAL flush (docs/PROTOCOL.md P4).
    await tx.query('BEGIN; SET LOCAL synchronous_commit TO on');
    const out = await f(tx);
    await tx.query('COMMIT');
    tx.release();
    return out;
  } catch (err) {
    // A client whose ROLLBACK fails is broken: released with the error, the pool discards it.
    const broken = await tx.query('ROLLBACK').then(
      () => undefined,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    tx.release(broken);
    throw err;
  }
}
