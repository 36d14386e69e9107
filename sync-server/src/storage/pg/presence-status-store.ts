import { z } from 'zod';
import type { AsyncPresenceStatusStore } from '../presence-status-async.ts';
import type { PgPool } from './pool.ts';

const Raw = z.object({
  dnd: z.boolean(),
  emoji: z.string(),
  text: z.string(),
  until: z.coerce.number().int(),
  last_seen: z.coerce.number().int(),
});

/** PostgreSQL's foreign_key_violation: the account was deleted between the check and the write. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * Only for accounts that exist (presence-status.ts): the `WHERE EXISTS` skips an id with no account, and an
 * account deleted by another process between that check and the write fails the foreign key instead, which
 * is the same case and must not fail the disconnect that records it either.
 */
const isGone = (err: unknown): boolean => (err as { code?: unknown }).code === FOREIGN_KEY_VIOLATION;

const unlessGone = async (write: () => Promise<unknown>): Promise<void> => {
  try {
    await write();
  } catch (err) {
    if (!isGone(err)) throw err;
  }
};

/**
 * Presence choices and last seen on PostgreSQL (docs/SCALE-OUT.md §3), for the presence migration of
 * pg/migrations.ts, with the SQLite store's rules (presence-status.ts). Several people's last seen go in one
 * statement: duplicates keep the last (an upsert may not touch a row twice), and rows are written in id
 * order, so two processes writing overlapping lists lock them in one order and never deadlock.
 */
export function createPgPresenceStatusStore(pool: PgPool): AsyncPresenceStatusStore {
  return {
    async get(userId) {
      const r = await pool.query(
        'SELECT dnd, emoji, text, until, last_seen FROM presence_status WHERE user_id = $1',
        [userId],
      );
      if (r.rows.length === 0) return null;
      const row = Raw.parse(r.rows[0]);
      return { dnd: row.dnd, emoji: row.emoji, text: row.text, until: row.until, lastSeen: row.last_seen };
    },
    choose: (userId, c) =>
      unlessGone(() =>
        pool.query(
          `INSERT INTO presence_status (user_id, dnd, emoji, text, until)
           SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
           ON CONFLICT (user_id) DO UPDATE SET dnd = excluded.dnd, emoji = excluded.emoji,
             text = excluded.text, until = excluded.until`,
          [userId, c.dnd, c.emoji, c.text, c.until],
        ),
      ),
    async lastSeenMany(list) {
      const last = new Map<string, number>();
      for (const [userId, at] of list) last.set(userId, at);
      if (last.size === 0) return;
      const ids = [...last.keys()].sort();
      const write = () =>
        pool.query(
          `INSERT INTO presence_status (user_id, last_seen)
           SELECT u, t FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS x(u, t, n)
            WHERE EXISTS (SELECT 1 FROM users WHERE id = u) ORDER BY n
           ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen`,
          [ids, ids.map((id) => last.get(id))],
        );
      // One deleted account must not lose everyone else's: written again, it is skipped by the check.
      await unlessGone(async () => {
        try {
          await write();
        } catch (err) {
          if (!isGone(err)) throw err;
          await write();
        }
      });
    },
  };
}
