import { liftSync } from './lift-sync.ts';
import type { LinkState, PasswordLinks } from './password-links.ts';

/**
 * One-time set-password links (issue 13 §2) with the operations of `PasswordLinks` (password-links.ts)
 * returning Promises: what PostgreSQL (storage/pg/password-link-store.ts) can offer (docs/SCALE-OUT.md §3).
 * A link works once, until it expires, and only while it is the person's newest; `consume` gives the
 * person's id to exactly one caller, across processes too. One conformance suite
 * (test/password-links-async.suite.ts) runs against every implementation.
 */
export interface AsyncPasswordLinks {
  /** A new link for the person; their older unused ones stop working. */
  issue(
    userId: string,
    createdBy: string | null,
    ttlMs: number,
  ): Promise<{ token: string; expiresAt: number }>;
  check(token: string): Promise<{ state: LinkState; userId: string | null }>;
  /** Uses the link: the person's id when it was valid (only one caller ever gets it), else why not. */
  consume(token: string): Promise<{ userId: string } | { state: Exclude<LinkState, 'valid'> }>;
}

/**
 * The synchronous SQLite store behind the async interface. `issue` runs in a transaction of its own here
 * (the SQLite store leaves that to its caller, which issues alongside creating the account).
 */
export function adaptSqlitePasswordLinks(
  links: PasswordLinks,
  transaction: <T>(f: () => T) => T,
): AsyncPasswordLinks {
  return {
    issue: (userId, createdBy, ttlMs) =>
      liftSync(() => transaction(() => links.issue(userId, createdBy, ttlMs))),
    check: (token) => liftSync(() => links.check(token)),
    consume: (token) => liftSync(() => links.consume(token)),
  };
}
