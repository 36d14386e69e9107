import { z } from 'zod';
import type { AsyncAppliedActions } from '../applied-actions-async.ts';
import type { PgClient, PgPool } from './pool.ts';

const ActionId = z.object({ action_id: z.string() });

/**
 * Applied actions on PostgreSQL (docs/SCALE-OUT.md §1–§3), for the projection's migration in
 * pg/migrations.ts: the SQLite store's rules (applied-actions.ts), each call one statement whatever the
 * number of ids. A record already stored keeps its first time (`DO NOTHING`, SQLite's `OR IGNORE`), so two
 * processes recording the same id (a device sending one action to both) both commit. That alone does not
 * stop both applying it: `storedOf` is read before the commit, so what keeps an action applied once is the
 * one writer per conversation (docs/SCALE-OUT.md §4), which judges every write of it.
 */
export function createPgAppliedActions(pool: PgPool): AsyncAppliedActions<PgClient> {
  return {
    async storedOf(userId, ids) {
      if (ids.length === 0) return [];
      const r = await pool.query(
        'SELECT action_id FROM applied_actions WHERE user_id = $1 AND action_id = ANY($2::text[])',
        [userId, [...ids]],
      );
      const stored = new Set(r.rows.map((raw) => ActionId.parse(raw).action_id));
      return ids.filter((id) => stored.has(id));
    },
    async record(tx, userId, ids, at) {
      if (ids.length === 0) return;
      await tx.query(
        `INSERT INTO applied_actions (user_id, action_id, at)
         SELECT $1::text, a, $3::bigint FROM unnest($2::text[]) AS t(a)
         ON CONFLICT (user_id, action_id) DO NOTHING`,
        [userId, [...ids], at],
      );
    },
    async prune(before) {
      const r = await pool.query('DELETE FROM applied_actions WHERE at < $1', [before]);
      return r.rowCount ?? 0;
    },
  };
}
