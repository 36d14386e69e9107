import { randomBytes } from 'node:crypto';
import type { Db } from './db.ts';
import { hashToken } from './sessions.ts';

/**
 * One-time set-password links (issue 13 §2). Only the SHA-256 of each token is stored, so a copy of the
 * database opens no account. A link works once, until it expires, and only while it is the person's newest:
 * making a new one replaces the old, so a link an admin re-issued cannot be used by whoever saw the first.
 */

export type LinkState = 'valid' | 'used' | 'expired' | 'invalid';

export type PasswordLinks = ReturnType<typeof createPasswordLinks>;

/** What a link's row says of it at time `t` (shared with PostgreSQL): the newest, unused and unexpired is valid. */
export type LinkFacts = { expiresAt: number; usedAt: number | null; replacedAt: number | null };
export const linkStateOf = (r: LinkFacts | undefined, t: number): LinkState =>
  !r || r.replacedAt !== null
    ? 'invalid'
    : r.usedAt !== null
      ? 'used'
      : r.expiresAt <= t
        ? 'expired'
        : 'valid';

/** A new link's token: 192 random bits, so asking about made-up tokens finds nothing. */
export const newLinkToken = (): string => randomBytes(24).toString('base64url');

type Raw = { user_id: string; expires_at: number; used_at: number | null; replaced_at: number | null };

const stateOf = (r: Raw | undefined, t: number): LinkState =>
  linkStateOf(r && { expiresAt: r.expires_at, usedAt: r.used_at, replacedAt: r.replaced_at }, t);

export function createPasswordLinks(db: Db, now: () => number) {
  const insert = db.prepare(
    'INSERT INTO password_links (token_hash, user_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const replace = db.prepare(
    'UPDATE password_links SET replaced_at = ? WHERE user_id = ? AND used_at IS NULL AND replaced_at IS NULL',
  );
  const find = db.prepare<[string], Raw>(
    'SELECT user_id, expires_at, used_at, replaced_at FROM password_links WHERE token_hash = ?',
  );
  const use = db.prepare(
    `UPDATE password_links SET used_at = ?
     WHERE token_hash = ? AND used_at IS NULL AND replaced_at IS NULL AND expires_at > ?`,
  );
  return {
    /** A new link for the person (their older unused ones stop working). Call inside a transaction. */
    issue(userId: string, createdBy: string | null, ttlMs: number): { token: string; expiresAt: number } {
      const token = newLinkToken();
      const t = now();
      replace.run(t, userId);
      insert.run(hashToken(token), userId, createdBy, t, t + ttlMs);
      return { token, expiresAt: t + ttlMs };
    },
    check(token: string): { state: LinkState; userId: string | null } {
      const r = find.get(hashToken(token));
      return { state: stateOf(r, now()), userId: r?.user_id ?? null };
    },
    /** Uses the link: the person's id when it was valid (only one caller ever gets it), else why not. */
    consume(token: string): { userId: string } | { state: Exclude<LinkState, 'valid'> } {
      const t = now();
      const h = hashToken(token);
      const r = find.get(h);
      if (r && use.run(t, h, t).changes === 1) return { userId: r.user_id };
      const state = stateOf(find.get(h), t);
      return { state: state === 'valid' ? 'used' : state };
    },
  };
}
