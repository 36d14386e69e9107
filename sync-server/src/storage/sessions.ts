import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.ts';

/** Sessions are stored by the hash of their token, so a leaked database does not leak live sessions. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export type SessionStore = ReturnType<typeof createSessionStore>;

export function createSessionStore(db: Db, now: () => number) {
  const insert = db.prepare(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const get = db.prepare<[string], { user_id: string; expires_at: number }>(
    'SELECT user_id, expires_at FROM sessions WHERE token_hash = ?',
  );
  return {
    create(userId: string, ttlMs: number): { token: string; expiresAt: number } {
      const token = randomBytes(32).toString('base64url');
      const t = now();
      insert.run(hashToken(token), userId, t, t + ttlMs);
      return { token, expiresAt: t + ttlMs };
    },
    /** The session's user and expiry, or null when unknown or expired. */
    lookup(token: string): { userId: string; expiresAt: number; tokenHash: string } | null {
      const h = hashToken(token);
      const r = get.get(h);
      if (!r || r.expires_at <= now()) return null;
      return { userId: r.user_id, expiresAt: r.expires_at, tokenHash: h };
    },
    revoke(tokenHash: string): void {
      db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
    },
    revokeAllFor(userId: string): void {
      db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
    },
    /** Every session of `userId` but `keepHash` (a password change keeps the device that made it). */
    revokeOthersOf(userId: string, keepHash: string): void {
      db.prepare('DELETE FROM sessions WHERE user_id = ? AND token_hash != ?').run(userId, keepHash);
    },
    purgeExpired(): void {
      db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now());
    },
  };
}
