import type { SessionEndReason } from '@commonroom/protocol';
import type { RevokeReason, SessionStore } from './sessions.ts';

/**
 * The session store with the operations of `SessionStore` (sessions.ts), returning Promises: what an
 * asynchronous database (PostgreSQL, storage/pg/session-store.ts) can offer (docs/SCALE-OUT.md §6). The
 * rules are the same: tokens are stored by their hash only; a session ends at its expiry or once it is as
 * old as the workspace's session length; a revoked one is never returned, but its reason is kept to tell
 * the device (T10). One conformance suite (test/sessions-async.suite.ts) runs against every implementation.
 */
export interface AsyncSessionStore {
  /** A new session of `userId` for `ttlMs`: the token (given once, never stored) and its expiry. */
  create(userId: string, ttlMs: number): Promise<{ token: string; expiresAt: number }>;
  /** The session's user and expiry, or null when unknown, expired or revoked. */
  lookup(token: string): Promise<{ userId: string; expiresAt: number; tokenHash: string } | null>;
  /** When the session stored under this hash ends now, or null when it has ended. */
  expiryOfHash(tokenHash: string): Promise<number | null>;
  /** Why a token has no live session (as `SessionStore.ended`). */
  ended(token: string): Promise<{ reason: SessionEndReason; userId: string | null }>;
  /** Logout: the row goes, nothing to remember. */
  revoke(tokenHash: string): Promise<void>;
  /** Every session of `userId`; a wiping reason replaces a milder one already there. */
  revokeAllFor(userId: string, reason: RevokeReason): Promise<void>;
  /** Every session of `userId` but `keepHash`. */
  revokeOthersOf(userId: string, keepHash: string, reason: RevokeReason): Promise<void>;
  /** Drops ended sessions, and revoked ones once their reason has been kept long enough. */
  purgeExpired(): Promise<void>;
}

/** The synchronous SQLite store behind the async interface (each call is one statement: no ordering). */
export function adaptSqliteSessionStore(store: SessionStore): AsyncSessionStore {
  const lift = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
  return {
    create: (userId, ttlMs) => lift(() => store.create(userId, ttlMs)),
    lookup: (token) => lift(() => store.lookup(token)),
    expiryOfHash: (tokenHash) => lift(() => store.expiryOfHash(tokenHash)),
    ended: (token) => lift(() => store.ended(token)),
    revoke: (tokenHash) => lift(() => store.revoke(tokenHash)),
    revokeAllFor: (userId, reason) => lift(() => store.revokeAllFor(userId, reason)),
    revokeOthersOf: (userId, keepHash, reason) => lift(() => store.revokeOthersOf(userId, keepHash, reason)),
    purgeExpired: () => lift(() => store.purgeExpired()),
  };
}
