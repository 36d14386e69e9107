import type { PgClient, PgPool } from '../storage/pg/pool.ts';

/**
 * Single-writer leases on PostgreSQL (docs/SCALE-OUT.md §4.1): the index document and rollovers of a
 * conversation, and compaction, have one writer at a time.
 *
 * Holding: a session-level advisory lock on a connection kept for leases. PostgreSQL frees it when that
 * connection ends, so a process killed -9 lets go at once, and a lost machine once TCP keepalive gives up.
 * Fencing: acquiring bumps the scope's token in `leases`; every commit the holder makes checks, in its own
 * transaction, that the token is still its own (`fence`). The check takes a share lock on the row until
 * COMMIT, so a new holder's bump waits for commits in flight, and any commit after the bump fails: an old
 * holder that has not yet noticed its loss (a partition, a long pause) can never commit after the new
 * holder's first commit.
 */

export type Lease = { readonly scope: string; readonly token: number };

/** A commit refused because its lease is no longer held: the writer must stop and reload. */
export class LeaseLostError extends Error {
  constructor(readonly scope: string) {
    super(`the lease on ${scope} is no longer held by this process`);
    this.name = 'LeaseLostError';
  }
}

/** The advisory lock namespace of leases (two-key form, apart from the migration lock's one-key form). */
const LEASE_CLASS = 0x6372; // "cr"

export type Leases = ReturnType<typeof createLeases>;

export function createLeases(d: { pool: PgPool; holder: string; onError: (err: unknown) => void }) {
  let conn: Promise<PgClient> | null = null;
  /** The connected client of `conn`, so a late event from an earlier connection is told apart. */
  let current: PgClient | null = null;
  const held = new Map<string, Lease>();
  const lostListeners = new Set<(scopes: string[]) => void>();

  /** The lease connection ended or failed: every lease on it is gone, and the listeners are told. */
  const lose = (client: PgClient, err: unknown): void => {
    if (current !== client) return;
    current = null;
    conn = null;
    client.release(err instanceof Error ? err : new Error(String(err)));
    const scopes = [...held.keys()];
    held.clear();
    for (const f of lostListeners) {
      try {
        f(scopes);
      } catch (e) {
        d.onError(e);
      }
    }
  };

  const connection = (): Promise<PgClient> => {
    if (conn) return conn;
    const c = d.pool.connect().then(async (client) => {
      client.on('error', (err) => {
        d.onError(err);
        lose(client, err);
      });
      client.on('end', () => lose(client, new Error('the lease connection ended')));
      current = client;
      // It is PostgreSQL that must notice a lost machine to free its locks: its keepalive on this
      // connection, not ours. With the defaults (2 h idle) a dead holder would keep its conversations
      // unwritable for hours; with these, about 25 s (SCALE-OUT.md §4.1).
      await client.query(
        `SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3;
         SET tcp_user_timeout = 25000`,
      );
      return client;
    });
    conn = c;
    // A failed connect leaves nothing held; the next acquire tries again.
    c.catch(() => {
      if (conn === c) conn = null;
    });
    return c;
  };

  return {
    /**
     * Takes the lease on `scope` if no one holds it, with a new fencing token; null when another holds
     * it. Taking one already held here returns it as it is.
     */
    async acquire(scope: string): Promise<Lease | null> {
      const mine = held.get(scope);
      if (mine) return mine;
      const c = await connection();
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        LEASE_CLASS,
        scope,
      ]);
      if (!r.rows[0]?.ok) return null;
      const t = await c.query<{ token: string }>(
        `INSERT INTO leases (scope, holder, token) VALUES ($1, $2, 1)
         ON CONFLICT (scope) DO UPDATE SET token = leases.token + 1, holder = EXCLUDED.holder
         RETURNING token`,
        [scope, d.holder],
      );
      const lease = { scope, token: Number(t.rows[0]?.token) };
      held.set(scope, lease);
      return lease;
    },

    /** Whether `lease` is still held here, as far as this process knows (`fence` is the check that counts). */
    holds: (lease: Lease): boolean => held.get(lease.scope)?.token === lease.token,

    /**
     * In a commit transaction: throws `LeaseLostError` unless `lease` is still the scope's current one,
     * and keeps it so until the transaction ends.
     */
    async fence(tx: PgClient, lease: Lease): Promise<void> {
      if (held.get(lease.scope)?.token !== lease.token) throw new LeaseLostError(lease.scope);
      const r = await tx.query<{ token: string }>('SELECT token FROM leases WHERE scope = $1 FOR SHARE', [
        lease.scope,
      ]);
      if (Number(r.rows[0]?.token) !== lease.token) {
        // Taken over while this process did not know: no longer held here either.
        if (held.get(lease.scope)?.token === lease.token) held.delete(lease.scope);
        throw new LeaseLostError(lease.scope);
      }
    },

    /**
     * Lets go of `lease`. The token moves on first, so nothing fenced by it commits afterwards even if a
     * writer still holds on to it.
     */
    async release(lease: Lease): Promise<void> {
      if (held.get(lease.scope)?.token !== lease.token) return;
      held.delete(lease.scope);
      const c = await connection();
      await c.query('UPDATE leases SET token = token + 1 WHERE scope = $1 AND token = $2', [
        lease.scope,
        lease.token,
      ]);
      await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEASE_CLASS, lease.scope]);
    },

    /** Calls `f` with the scopes lost when the lease connection fails (they are no longer held). */
    onLost(f: (scopes: string[]) => void): () => void {
      lostListeners.add(f);
      return () => void lostListeners.delete(f);
    },

    /** Lets go of every lease (ending the connection frees the advisory locks). */
    async close(): Promise<void> {
      const c = conn;
      if (!c) return;
      held.clear();
      const client = await c.catch(() => null);
      if (client && current === client) {
        current = null;
        conn = null;
        client.release(true);
      }
    },
  };
}
