import { z } from 'zod';
import type { AsyncPushSubscriptionStore } from '../push-subscriptions-async.ts';
import { MAX_FAILURES, type PushSubscriptionRow } from '../push-subscriptions.ts';
import type { PgPool } from './pool.ts';

const Raw = z.object({
  endpoint: z.string(),
  user_id: z.string(),
  token_hash: z.string(),
  p256dh: z.string(),
  auth: z.string(),
});

const fromRaw = (raw: unknown): PushSubscriptionRow => {
  const r = Raw.parse(raw);
  return { endpoint: r.endpoint, userId: r.user_id, tokenHash: r.token_hash, p256dh: r.p256dh, auth: r.auth };
};

/**
 * Web Push subscriptions on PostgreSQL (docs/SCALE-OUT.md §3), for migration 6 of pg/migrations.ts: the same
 * rules as the SQLite store (push-subscriptions.ts). Every call is one statement but `failed`, whose two
 * are safe across processes: each increment is atomic, and whichever reaches the limit deletes the row if it
 * is still over it.
 */
export function createPgPushSubscriptionStore(pool: PgPool, now: () => number): AsyncPushSubscriptionStore {
  return {
    async put(s) {
      // One endpoint is one browser profile: registering it again moves it (push-subscriptions.ts).
      await pool.query(
        `INSERT INTO push_subscriptions (endpoint, user_id, token_hash, p256dh, auth, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, token_hash = excluded.token_hash,
           p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at, failures = 0`,
        [s.endpoint, s.userId, s.tokenHash, s.p256dh, s.auth, now()],
      );
    },
    async removeOwn(endpoint, userId) {
      const r = await pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2', [
        endpoint,
        userId,
      ]);
      return (r.rowCount ?? 0) > 0;
    },
    async gone(endpoint) {
      await pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [endpoint]);
    },
    async removeUser(userId) {
      await pool.query('DELETE FROM push_subscriptions WHERE user_id = $1', [userId]);
    },
    async liveOf(userId) {
      // Only devices whose session is still good: not revoked (deactivation, a password change) and not over.
      const r = await pool.query(
        `SELECT p.endpoint, p.user_id, p.token_hash, p.p256dh, p.auth
           FROM push_subscriptions p JOIN sessions s ON s.token_hash = p.token_hash
          WHERE p.user_id = $1 AND s.revoked_reason IS NULL AND s.expires_at > $2`,
        [userId, now()],
      );
      return r.rows.map(fromRaw);
    },
    async failed(endpoint) {
      const r = await pool.query(
        'UPDATE push_subscriptions SET failures = failures + 1 WHERE endpoint = $1 RETURNING failures',
        [endpoint],
      );
      const failures = z.number().int().optional().parse(r.rows[0]?.failures);
      // Still over the limit when deleting: a delivery another process counted in between keeps the row.
      if (failures !== undefined && failures >= MAX_FAILURES)
        await pool.query('DELETE FROM push_subscriptions WHERE endpoint = $1 AND failures >= $2', [
          endpoint,
          MAX_FAILURES,
        ]);
    },
    async delivered(endpoint) {
      await pool.query('UPDATE push_subscriptions SET failures = 0 WHERE endpoint = $1 AND failures > 0', [
        endpoint,
      ]);
    },
    async countOf(userId) {
      const r = await pool.query('SELECT count(*) AS n FROM push_subscriptions WHERE user_id = $1', [userId]);
      return z.coerce
        .number()
        .int()
        .parse(r.rows[0]?.n ?? 0);
    },
  };
}
