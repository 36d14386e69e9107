import { liftSync } from './lift-sync.ts';
import type { SetupTokenStore } from './setup-tokens.ts';

/**
 * The first-admin setup tokens (setup-tokens.ts) with Promises: what PostgreSQL
 * (storage/pg/setup-token-store.ts) can offer (docs/SCALE-OUT.md §3). `consume` is true for exactly one
 * caller per token, across processes too. One conformance suite (test/setup-tokens-async.suite.ts) runs
 * against every implementation.
 */
export interface AsyncSetupTokenStore {
  issue(ttlMs: number): Promise<string>;
  consume(token: string): Promise<boolean>;
}

/** The synchronous SQLite store behind the async interface. */
export function adaptSqliteSetupTokenStore(store: SetupTokenStore): AsyncSetupTokenStore {
  return {
    issue: (ttlMs) => liftSync(() => store.issue(ttlMs)),
    consume: (token) => liftSync(() => store.consume(token)),
  };
}
