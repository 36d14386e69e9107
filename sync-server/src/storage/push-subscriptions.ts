import type { Db } from './db.ts';

/**
 * Web Push subscriptions (issue 15 §1), one row per device: the push service's endpoint and the keys the
 * browser made for it (RFC 8291). Each belongs to the session that registered it, so a device that signs
 * out (or whose session is revoked or ends) gets nothing more; the rows cascade with the session.
 */

export type PushSubscriptionRow = {
  endpoint: string;
  userId: string;
  tokenHash: string;
  p256dh: string;
  auth: string;
};

type Raw = { endpoint: string; user_id: string; token_hash: string; p256dh: string; auth: string };

const fromRaw = (r: Raw): PushSubscriptionRow => ({
  endpoint: r.endpoint,
  userId: r.user_id,
  tokenHash: r.token_hash,
  p256dh: r.p256dh,
  auth: r.auth,
});

/** A push service that keeps failing (not "gone", just failing) is dropped after this many in a row. */
export const MAX_FAILURES = 20;

export type PushSubscriptionStore = ReturnType<typeof createPushSubscriptionStore>;

export function createPushSubscriptionStore(db: Db, now: () => number) {
  // One endpoint is one browser profile: registering it again (another person signed in on that browser,
  // or a new session) moves it, so a device never gets two people's pushes.
  const upsert = db.prepare(
    `INSERT INTO push_subscriptions (endpoint, user_id, token_hash, p256dh, auth, created_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, token_hash = excluded.token_hash,
       p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at, failures = 0`,
  );
  const removeOwn = db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ?');
  const remove = db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?');
  const removeUser = db.prepare('DELETE FROM push_subscriptions WHERE user_id = ?');
  // Only devices whose session is still good: not revoked (deactivation, a password change) and not over.
  const live = db.prepare<[string, number], Raw>(
    `SELECT p.endpoint, p.user_id, p.token_hash, p.p256dh, p.auth
       FROM push_subscriptions p JOIN sessions s ON s.token_hash = p.token_hash
      WHERE p.user_id = ? AND s.revoked_reason IS NULL AND s.expires_at > ?`,
  );
  const failed = db.prepare(
    'UPDATE push_subscriptions SET failures = failures + 1 WHERE endpoint = ? RETURNING failures',
  );
  const ok = db.prepare('UPDATE push_subscriptions SET failures = 0 WHERE endpoint = ? AND failures > 0');
  const count = db.prepare<[string], { n: number }>(
    'SELECT count(*) AS n FROM push_subscriptions WHERE user_id = ?',
  );

  return {
    put(s: PushSubscriptionRow): void {
      upsert.run(s.endpoint, s.userId, s.tokenHash, s.p256dh, s.auth, now());
    },
    /** A person removing their own device's subscription; someone else's endpoint is left alone. */
    removeOwn(endpoint: string, userId: string): boolean {
      return removeOwn.run(endpoint, userId).changes > 0;
    },
    /** The push service said the subscription is gone (404 or 410). */
    gone(endpoint: string): void {
      remove.run(endpoint);
    },
    removeUser(userId: string): void {
      removeUser.run(userId);
    },
    liveOf(userId: string): PushSubscriptionRow[] {
      return live.all(userId, now()).map(fromRaw);
    },
    /** Counts a failed delivery; a subscription failing too long is dropped. */
    failed(endpoint: string): void {
      const r = failed.get(endpoint) as { failures: number } | undefined;
      if (r && r.failures >= MAX_FAILURES) remove.run(endpoint);
    },
    delivered(endpoint: string): void {
      ok.run(endpoint);
    },
    countOf(userId: string): number {
      return count.get(userId)?.n ?? 0;
    },
  };
}
