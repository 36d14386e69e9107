import { z } from 'zod';
import type { AsyncDocClients } from '../doc-clients-async.ts';
import type { PgClient, PgPool } from './pool.ts';

// client_id is BIGINT (a Yjs client id is unsigned 32-bit), so it arrives as a string.
const Binding = z.object({ client_id: z.coerce.number().int(), user_id: z.string() });

/**
 * Doc clients on PostgreSQL (docs/SCALE-OUT.md §1–§3), for the projection's migration in pg/migrations.ts:
 * the SQLite store's rules (doc-clients.ts, T13). A client id already bound keeps its first user
 * (`DO NOTHING`, SQLite's `OR IGNORE`): when two processes bind one id at once, the first to commit wins and
 * the other's insert, waiting on the key, does nothing.
 */
export function createPgDocClients(pool: PgPool): AsyncDocClients<PgClient> {
  return {
    async ownersOf(doc) {
      const r = await pool.query('SELECT client_id, user_id FROM doc_clients WHERE doc = $1', [doc]);
      return new Map(
        r.rows.map((raw) => {
          const b = Binding.parse(raw);
          return [b.client_id, b.user_id];
        }),
      );
    },
    async bind(tx, doc, clientIds, userId) {
      if (clientIds.length === 0) return;
      await tx.query(
        `INSERT INTO doc_clients (doc, client_id, user_id)
         SELECT $1::text, c, $3::text FROM unnest($2::bigint[]) AS t(c)
         ON CONFLICT (doc, client_id) DO NOTHING`,
        [doc, [...clientIds], userId],
      );
    },
  };
}
