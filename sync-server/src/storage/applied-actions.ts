import type { Db } from './db.ts';

/**
 * Which of a user's actions the server has stored (P14). Keyed per user: ids are random per device and a
 * user can only ever name their own, so one person's ids cannot block another's actions.
 *
 * A record matters only while a device may still hold that action in its outbox after a rebuild: minutes
 * as a rule, days for a phone that went offline in that moment. Records older than `APPLIED_ACTIONS_KEEP_MS`
 * are pruned, so the table (one row per reaction, edit or read mark) does not grow for ever.
 */
export const APPLIED_ACTIONS_KEEP_MS = 60 * 24 * 3_600_000;

export type AppliedActions = ReturnType<typeof createAppliedActions>;

export function createAppliedActions(db: Db) {
  const has = db.prepare<[string, string], { n: number }>(
    'SELECT 1 AS n FROM applied_actions WHERE user_id = ? AND action_id = ?',
  );
  const insert = db.prepare(
    'INSERT OR IGNORE INTO applied_actions (user_id, action_id, at) VALUES (?, ?, ?)',
  );
  const prune = db.prepare('DELETE FROM applied_actions WHERE at < ?');
  return {
    /** The ids among `ids` already stored for this user. */
    storedOf(userId: string, ids: readonly string[]): string[] {
      return ids.filter((id) => has.get(userId, id) !== undefined);
    },
    /** Runs inside the commit's transaction, with the updates that carry these actions. */
    record(userId: string, ids: readonly string[], at: number): void {
      for (const id of ids) insert.run(userId, id, at);
    },
    /** Forgets records made before `before`; returns how many. */
    prune(before: number): number {
      return prune.run(before).changes;
    },
  };
}
