import type { FrameOf } from '@commonroom/protocol';

/** Online/away/busy, a custom status line and last seen. Ephemeral: held in memory, never stored (P9). */
export const PRESENCE_STATUSES = new Set(['online', 'away', 'busy']);

type Entry = { sockets: number; status: string; text: string; lastSeen: number };

export type Presence = ReturnType<typeof createPresence>;

export function createPresence(now: () => number) {
  const users = new Map<string, Entry>();
  const frame = (userId: string, e: Entry): FrameOf<'presence'> => ({
    type: 'presence',
    userId,
    status: e.sockets > 0 ? e.status : 'offline',
    text: e.text,
    lastSeen: e.lastSeen,
  });
  return {
    /** Returns true when the user just came online. */
    connect(userId: string): boolean {
      const e = users.get(userId) ?? { sockets: 0, status: 'online', text: '', lastSeen: now() };
      e.sockets++;
      e.lastSeen = now();
      users.set(userId, e);
      return e.sockets === 1;
    },
    /** Returns true when the user's last socket closed. */
    disconnect(userId: string): boolean {
      const e = users.get(userId);
      if (!e) return false;
      e.sockets = Math.max(0, e.sockets - 1);
      e.lastSeen = now();
      return e.sockets === 0;
    },
    set(userId: string, status: string, text: string): void {
      const e = users.get(userId);
      if (!e) return;
      e.status = status;
      e.text = text;
      e.lastSeen = now();
    },
    frameFor(userId: string): FrameOf<'presence'> | null {
      const e = users.get(userId);
      return e ? frame(userId, e) : null;
    },
    snapshot(): FrameOf<'presence'>[] {
      return [...users].map(([id, e]) => frame(id, e));
    },
  };
}
