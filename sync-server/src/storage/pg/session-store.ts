import { randomBytes } from 'node:crypto';
import { SESSION_END } from '@commonroom/protocol';
import { z } from 'zod';
import type { AsyncSessionStore } from '../sessions-async.ts';
import { endReasonOf, hashToken, liveUntil, REVOKED_KEPT_MS } from '../sessions.ts';
import type { PgPool } from './pool.ts';

/** A stored row: BIGINT columns come back from node-postgres as strings, so they are parsed here. */
const Row = z.object({
  user_id: z.string(),
  created_at: z.coerce.number().int(),
  expires_at: z.coerce.number().int(),
  revoked_reason: z.string().nullable(),
});

/** Reasons that make the device wipe itself: they replace a milder reason already stored (T10). */
const WIPING = [SESSION_END.deactivated, SESSION_END.signedOutEverywhere];

/**
 * Sessions on PostgreSQL (docs/SCALE-OUT.md §6), for migration 3 of pg/migrations.ts: the same rules as
 * the SQLite store (sessions.ts), sharing its hashing and its expiry and end-reason rules. Every call is
 * one statement, so processes sharing the database need no coordination: a revocation is visible to the
 * next lookup of any process once it returns.
 */
export function createPgSessionStore(
  pool: PgPool,
  now: () => number,
  maxAgeMs: () => number = () => Number.POSITIVE_INFINITY,
): AsyncSessionStore {
  const row = async (tokenHash: string): Promise<z.infer<typeof Row> | null> => {
    const r = await pool.query(
      'SELECT user_id, created_at, expires_at, revoked_reason FROM sessions WHERE token_hash = $1',
      [tokenHash],
    );
    return r.rows[0] === undefined ? null : Row.parse(r.rows[0]);
  };
  return {
    async create(userId, ttlMs) {
      const token = randomBytes(32).toString('base64url');
      const t = now();
      await pool.query(
        'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [hashToken(token), userId, t, t + ttlMs],
      );
      return { token, expiresAt: t + ttlMs };
    },
    async lookup(token) {
      const h = hashToken(token);
      const r = await row(h);
      const expiresAt = r ? liveUntil(r, maxAgeMs(), now()) : null;
      return r && expiresAt !== null ? { userId: r.user_id, expiresAt, tokenHash: h } : null;
    },
    async expiryOfHash(tokenHash) {
      const r = await row(tokenHash);
      return r ? liveUntil(r, maxAgeMs(), now()) : null;
    },
    async ended(token) {
      const r = await row(hashToken(token));
      if (!r) return { reason: SESSION_END.notLoggedIn, userId: null };
      return { reason: endReasonOf(r.revoked_reason), userId: r.user_id };
    },
    async revoke(tokenHash) {
      await pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
    },
    async revokeAllFor(userId, reason) {
      await pool.query(
        `UPDATE sessions SET revoked_reason = $1, revoked_at = $2
         WHERE user_id = $3 AND (revoked_reason IS NULL
           OR ($1 = ANY($4::text[]) AND revoked_reason <> ALL($4::text[])))`,
        [reason, now(), userId, WIPING],
      );
    },
    async revokeOthersOf(userId, keepHash, reason) {
      await pool.query(
        `UPDATE sessions SET revoked_reason = $1, revoked_at = $2
         WHERE user_id = $3 AND token_hash <> $4 AND revoked_reason IS NULL`,
        [reason, now(), userId, keepHash],
      );
    },
    async purgeExpired() {
      const t = now();
      await pool.query(
        `DELETE FROM sessions WHERE (revoked_reason IS NULL AND expires_at <= $1)
         OR (revoked_reason IS NOT NULL AND revoked_at <= $2)`,
        [t, t - REVOKED_KEPT_MS],
      );
    },
  };
}
