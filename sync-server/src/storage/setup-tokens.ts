import { randomBytes } from 'node:crypto';
import type { Db } from './db.ts';
import { hashToken } from './sessions.ts';

/**
 * The first-admin setup's one-time tokens (seed.ts prints the link, POST /api/auth/setup uses it). Only the
 * SHA-256 of each token is stored. Using one is a single `UPDATE … WHERE used_at IS NULL`: that, not the
 * "no accounts yet" check before it, is what lets exactly one request create the first admin, which
 * matters once two processes share the database (docs/SCALE-OUT.md §3).
 */
export type SetupTokenStore = ReturnType<typeof createSetupTokenStore>;

/** A new setup token: 192 random bits. */
export const newSetupToken = (): string => randomBytes(24).toString('base64url');

export function createSetupTokenStore(db: Db, now: () => number) {
  const insert = db.prepare('INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES (?, ?, ?)');
  const use = db.prepare(
    'UPDATE setup_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
  );
  return {
    /** Stores a new token, valid for `ttlMs`, and gives it (the only copy: the table keeps its hash). */
    issue(ttlMs: number): string {
      const token = newSetupToken();
      insert.run(hashToken(token), now(), now() + ttlMs);
      return token;
    },
    /** Uses a token once. True when it was valid and unused: for one caller only. */
    consume(token: string): boolean {
      const t = now();
      return use.run(t, hashToken(token), t).changes === 1;
    },
  };
}
