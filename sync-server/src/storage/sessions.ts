import { createHash, randomBytes } from 'node:crypto';
import { SESSION_END, type SessionEndReason } from '@commonroom/protocol';
import type { Db } from './db.ts';

/** Sessions are stored by the hash of their token, so a leaked database does not leak live sessions. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * How long a revoked session's row (and its reason) is kept after its revocation: a device that was off for
 * this long still learns, at its next contact, that it must wipe itself (T10). A year covers a summer break
 * with the app closed; a row is a hundred bytes.
 */
export const REVOKED_KEPT_MS = 365 * 24 * 3_600_000;

/** Why sessions are revoked; the first two make the device wipe itself (SESSION_END in the protocol). */
export type RevokeReason =
  | typeof SESSION_END.deactivated
  | typeof SESSION_END.signedOutEverywhere
  | 'password-reset'
  | 'password-changed';

export type SessionStore = ReturnType<typeof createSessionStore>;

type Row = { user_id: string; created_at: number; expires_at: number; revoked_reason: string | null };

/**
 * When a stored session ends now, or null when it has (revoked, or past its expiry or the workspace's
 * session length). Shared with the PostgreSQL store (storage/pg/session-store.ts), so both end alike.
 */
export function liveUntil(
  r: { created_at: number; expires_at: number; revoked_reason: string | null },
  maxAgeMs: number,
  t: number,
): number | null {
  if (r.revoked_reason !== null) return null;
  const expiresAt = Math.min(r.expires_at, r.created_at + maxAgeMs);
  return expiresAt <= t ? null : expiresAt;
}

/** What a device is told about its ended session, from the stored revocation reason (null: not revoked). */
export function endReasonOf(revokedReason: string | null): SessionEndReason {
  const why = revokedReason;
  return why === SESSION_END.deactivated || why === SESSION_END.signedOutEverywhere
    ? why
    : why !== null
      ? SESSION_END.revoked
      : SESSION_END.notLoggedIn;
}

/**
 * `maxAgeMs` is the workspace's session length now (issue 13 §4): a session also ends once it is that old,
 * so shortening the length applies to sessions already given out, while lengthening it does not stretch
 * them past the expiry they were given (they were promised no more).
 */
export function createSessionStore(
  db: Db,
  now: () => number,
  maxAgeMs: () => number = () => Number.POSITIVE_INFINITY,
) {
  const insert = db.prepare(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const get = db.prepare<[string], Row>(
    'SELECT user_id, created_at, expires_at, revoked_reason FROM sessions WHERE token_hash = ?',
  );
  // A wiping reason replaces a milder one already there: a phone reported stolen is usually reset first
  // (session-revoked), then signed out everywhere, and it must still wipe itself when it comes back (T10).
  const revokeAll = db.prepare(
    `UPDATE sessions SET revoked_reason = ?, revoked_at = ?
     WHERE user_id = ? AND (revoked_reason IS NULL
       OR (? IN ('account-deactivated', 'signed-out-everywhere')
           AND revoked_reason NOT IN ('account-deactivated', 'signed-out-everywhere')))`,
  );
  const revokeOthers = db.prepare(
    `UPDATE sessions SET revoked_reason = ?, revoked_at = ?
     WHERE user_id = ? AND token_hash != ? AND revoked_reason IS NULL`,
  );
  return {
    create(userId: string, ttlMs: number): { token: string; expiresAt: number } {
      const token = randomBytes(32).toString('base64url');
      const t = now();
      insert.run(hashToken(token), userId, t, t + ttlMs);
      return { token, expiresAt: t + ttlMs };
    },
    /** The session's user and expiry, or null when unknown, expired or revoked. */
    lookup(token: string): { userId: string; expiresAt: number; tokenHash: string } | null {
      const h = hashToken(token);
      const r = get.get(h);
      const expiresAt = r ? liveUntil(r, maxAgeMs(), now()) : null;
      return r && expiresAt !== null ? { userId: r.user_id, expiresAt, tokenHash: h } : null;
    },
    /** When the session stored under this hash ends now, or null when it has ended (T10, open sockets). */
    expiryOfHash(tokenHash: string): number | null {
      const r = get.get(tokenHash);
      return r ? liveUntil(r, maxAgeMs(), now()) : null;
    },
    /**
     * Why a token has no live session: its revocation reason, kept for REVOKED_KEPT_MS (a wiping one wins
     * over expiry: the device has not heard it yet), or plain `not-logged-in`. `userId` is known when the
     * row is, so the caller can also tell a deactivated account by its flag.
     */
    ended(token: string): { reason: SessionEndReason; userId: string | null } {
      const r = get.get(hashToken(token));
      if (!r) return { reason: SESSION_END.notLoggedIn, userId: null };
      return { reason: endReasonOf(r.revoked_reason), userId: r.user_id };
    },
    /** Logout: this device said goodbye itself, so nothing needs remembering. */
    revoke(tokenHash: string): void {
      db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
    },
    revokeAllFor(userId: string, reason: RevokeReason): void {
      revokeAll.run(reason, now(), userId, reason);
    },
    /** Every session of `userId` but `keepHash` (a password change keeps the device that made it). */
    revokeOthersOf(userId: string, keepHash: string, reason: RevokeReason): void {
      revokeOthers.run(reason, now(), userId, keepHash);
    },
    /** Live sessions end at expiry; revoked ones are kept REVOKED_KEPT_MS after revocation to say why. */
    purgeExpired(): void {
      db.prepare(
        `DELETE FROM sessions WHERE (revoked_reason IS NULL AND expires_at <= ?)
         OR (revoked_reason IS NOT NULL AND revoked_at <= ?)`,
      ).run(now(), now() - REVOKED_KEPT_MS);
    },
  };
}
