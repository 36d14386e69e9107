import type { Db } from './db.ts';

/**
 * What a person chose of their presence (issue 15 §3) and when they were last seen. The choice is written
 * when they change it; last seen when their last device disconnects. Nothing here is written per
 * heartbeat or per device state: that lives in memory (rooms/presence.ts).
 */

export type PresenceChoice = { dnd: boolean; emoji: string; text: string; until: number };
export type PresenceRow = PresenceChoice & { lastSeen: number };

type Raw = { user_id: string; dnd: number; emoji: string; text: string; until: number; last_seen: number };

export const NO_CHOICE: PresenceChoice = { dnd: false, emoji: '', text: '', until: 0 };

const fromRaw = (r: Raw): PresenceRow => ({
  dnd: r.dnd === 1,
  emoji: r.emoji,
  text: r.text,
  until: r.until,
  lastSeen: r.last_seen,
});

export type PresenceStatusStore = ReturnType<typeof createPresenceStatusStore>;

export function createPresenceStatusStore(db: Db) {
  const one = db.prepare<[string], Raw>('SELECT * FROM presence_status WHERE user_id = ?');
  // Only for accounts that exist: presence is kept for anyone who connects, and an id with no account
  // (deleted meanwhile) must not fail the disconnect that records it.
  const choose = db.prepare(
    `INSERT INTO presence_status (user_id, dnd, emoji, text, until)
     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)
     ON CONFLICT (user_id) DO UPDATE SET dnd = excluded.dnd, emoji = excluded.emoji, text = excluded.text,
       until = excluded.until`,
  );
  const seen = db.prepare(
    `INSERT INTO presence_status (user_id, last_seen)
     SELECT ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)
     ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen`,
  );
  return {
    get(userId: string): PresenceRow | null {
      const r = one.get(userId);
      return r ? fromRaw(r) : null;
    },
    choose(userId: string, c: PresenceChoice): void {
      choose.run(userId, c.dnd ? 1 : 0, c.emoji, c.text, c.until, userId);
    },
    /** Several people's last seen, in one transaction (one durable write for all of them). */
    lastSeenMany: db.transaction((list: readonly (readonly [string, number])[]): void => {
      for (const [userId, at] of list) seen.run(userId, at, userId);
    }),
  };
}
