import { liftSync } from './lift-sync.ts';
import type { PresenceChoice, PresenceRow, PresenceStatusStore } from './presence-status.ts';

/**
 * What people chose of their presence and when they were last seen (issue 15 §3), with the operations of
 * `PresenceStatusStore` (presence-status.ts) returning Promises: what PostgreSQL
 * (storage/pg/presence-status-store.ts) can offer (docs/SCALE-OUT.md §3). Nothing is cached. Writes for an
 * id with no account (deleted meanwhile) do nothing and never fail: a disconnect records last seen for
 * whoever it was. One conformance suite (test/presence-status-async.suite.ts) runs against every
 * implementation.
 */
export interface AsyncPresenceStatusStore {
  get(userId: string): Promise<PresenceRow | null>;
  choose(userId: string, c: PresenceChoice): Promise<void>;
  /** Several people's last seen, at once (one durable write); for one id listed twice the last counts. */
  lastSeenMany(list: readonly (readonly [string, number])[]): Promise<void>;
}

/** The synchronous SQLite store behind the async interface. */
export function adaptSqlitePresenceStatusStore(store: PresenceStatusStore): AsyncPresenceStatusStore {
  return {
    get: (userId) => liftSync(() => store.get(userId)),
    choose: (userId, c) => liftSync(() => store.choose(userId, c)),
    lastSeenMany: (list) => liftSync(() => store.lastSeenMany(list)),
  };
}
