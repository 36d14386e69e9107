import { liftSync } from './lift-sync.ts';
import type { PushSubscriptionRow, PushSubscriptionStore } from './push-subscriptions.ts';

/**
 * Web Push subscriptions with the operations of `PushSubscriptionStore` (push-subscriptions.ts), returning
 * Promises: what PostgreSQL (storage/pg/push-subscription-store.ts) can offer (docs/SCALE-OUT.md §3). The
 * rules are the same: one row per endpoint, moved (failures reset) when registered again; tied to the
 * session that registered it, and only sent to while that session is neither revoked nor over; dropped
 * after MAX_FAILURES failures in a row. Nothing is cached. One conformance suite
 * (test/push-subscriptions-async.suite.ts) runs against every implementation.
 */
export interface AsyncPushSubscriptionStore {
  put(s: PushSubscriptionRow): Promise<void>;
  /** A person removing their own device's subscription; someone else's endpoint is left alone. */
  removeOwn(endpoint: string, userId: string): Promise<boolean>;
  /** The push service said the subscription is gone (404 or 410). */
  gone(endpoint: string): Promise<void>;
  removeUser(userId: string): Promise<void>;
  /** The person's subscriptions whose session is still good (in no particular order). */
  liveOf(userId: string): Promise<PushSubscriptionRow[]>;
  /** Counts a failed delivery; a subscription failing too long is dropped. */
  failed(endpoint: string): Promise<void>;
  delivered(endpoint: string): Promise<void>;
  countOf(userId: string): Promise<number>;
}

/** The synchronous SQLite store behind the async interface. */
export function adaptSqlitePushSubscriptionStore(store: PushSubscriptionStore): AsyncPushSubscriptionStore {
  return {
    put: (s) => liftSync(() => store.put(s)),
    removeOwn: (endpoint, userId) => liftSync(() => store.removeOwn(endpoint, userId)),
    gone: (endpoint) => liftSync(() => store.gone(endpoint)),
    removeUser: (userId) => liftSync(() => store.removeUser(userId)),
    liveOf: (userId) => liftSync(() => store.liveOf(userId)),
    failed: (endpoint) => liftSync(() => store.failed(endpoint)),
    delivered: (endpoint) => liftSync(() => store.delivered(endpoint)),
    countOf: (userId) => liftSync(() => store.countOf(userId)),
  };
}
