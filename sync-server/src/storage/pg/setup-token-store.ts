import type { AsyncSetupTokenStore } from '../setup-tokens-async.ts';
import { newSetupToken } from '../setup-tokens.ts';
import { hashToken } from '../sessions.ts';
import type { PgPool } from './pool.ts';

/**
 * First-admin setup tokens on PostgreSQL (docs/SCALE-OUT.md §3), for the setup tokens migration of
 * pg/migrations.ts. Using one is one `UPDATE … WHERE used_at IS NULL`: a second process's update waits on
 * the row lock, then finds it used, so two setups racing with one token create one first admin.
 */
export function createPgSetupTokenStore(pool: PgPool, now: () => number): AsyncSetupTokenStore {
  return {
    async issue(ttlMs) {
      const token = newSetupToken();
      const t = now();
      await pool.query('INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)', [
        hashToken(token),
        t,
        t + ttlMs,
      ]);
      return token;
    },
    async consume(token) {
      const t = now();
      const r = await pool.query(
        'UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1',
        [t, hashToken(token)],
      );
      return r.rowCount === 1;
    },
  };
}
