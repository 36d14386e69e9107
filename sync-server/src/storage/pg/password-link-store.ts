import { z } from 'zod';
import type { AsyncPasswordLinks } from '../password-links-async.ts';
import { linkStateOf, newLinkToken } from '../password-links.ts';
import { hashToken } from '../sessions.ts';
import { inTransaction, type PgPool } from './pool.ts';

const Row = z.object({
  user_id: z.string(),
  expires_at: z.coerce.number().int(),
  used_at: z.coerce.number().int().nullable(),
  replaced_at: z.coerce.number().int().nullable(),
});

/**
 * Set-password links on PostgreSQL (docs/SCALE-OUT.md §3), for the password links migration of
 * pg/migrations.ts, with the SQLite store's rules (password-links.ts). Using a link is one
 * `UPDATE … WHERE used_at IS NULL … RETURNING`: the row lock makes a second process's update wait for the
 * first to commit and then find the link used, so exactly one caller gets the person. Issuing replaces
 * the person's older links and inserts the new one in one transaction, under a transaction advisory lock
 * on the person, so two admins re-issuing at once leave one valid link (the later), never two.
 */
export function createPgPasswordLinks(pool: PgPool, now: () => number): AsyncPasswordLinks {
  const find = async (hash: string) => {
    const r = await pool.query(
      'SELECT user_id, expires_at, used_at, replaced_at FROM password_links WHERE token_hash = $1',
      [hash],
    );
    return r.rows.length > 0 ? Row.parse(r.rows[0]) : undefined;
  };
  const stateOf = (r: z.infer<typeof Row> | undefined, t: number) =>
    linkStateOf(r && { expiresAt: r.expires_at, usedAt: r.used_at, replacedAt: r.replaced_at }, t);

  return {
    issue: (userId, createdBy, ttlMs) =>
      inTransaction(pool, async (tx) => {
        const token = newLinkToken();
        const t = now();
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('password_links:' || $1))", [userId]);
        await tx.query(
          'UPDATE password_links SET replaced_at = $1 WHERE user_id = $2 AND used_at IS NULL AND replaced_at IS NULL',
          [t, userId],
        );
        await tx.query(
          `INSERT INTO password_links (token_hash, user_id, created_by, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5)`,
          [hashToken(token), userId, createdBy, t, t + ttlMs],
        );
        return { token, expiresAt: t + ttlMs };
      }),
    async check(token) {
      const r = await find(hashToken(token));
      return { state: stateOf(r, now()), userId: r?.user_id ?? null };
    },
    async consume(token) {
      const t = now();
      const h = hashToken(token);
      const used = await pool.query<{ user_id: string }>(
        `UPDATE password_links SET used_at = $1
         WHERE token_hash = $2 AND used_at IS NULL AND replaced_at IS NULL AND expires_at > $1
         RETURNING user_id`,
        [t, h],
      );
      const row = used.rows[0];
      if (row) return { userId: row.user_id };
      const state = stateOf(await find(h), t);
      return { state: state === 'valid' ? 'used' : state };
    },
  };
}
