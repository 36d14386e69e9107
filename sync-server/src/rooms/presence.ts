import { LIMITS, encodeFrames, type EncodedFrames, type FrameOf } from '@commonroom/protocol';

/** Online/away/busy, a custom status line and last seen. Ephemeral: held in memory, never stored (P9). */
export const PRESENCE_STATUSES = new Set(['online', 'away', 'busy']);

/** `encoded`: the entry's frame as sent, kept until the entry changes (see snapshotParts). */
type Entry = { sockets: number; status: string; text: string; lastSeen: number; encoded: Uint8Array | null };

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
      const e = users.get(userId) ?? {
        sockets: 0,
        status: 'online',
        text: '',
        lastSeen: now(),
        encoded: null,
      };
      e.sockets++;
      e.encoded = null;
      e.lastSeen = now();
      users.set(userId, e);
      return e.sockets === 1;
    },
    /** Returns true when the user's last socket closed. */
    disconnect(userId: string): boolean {
      const e = users.get(userId);
      if (!e) return false;
      e.sockets = Math.max(0, e.sockets - 1);
      e.encoded = null;
      e.lastSeen = now();
      return e.sockets === 0;
    },
    set(userId: string, status: string, text: string): void {
      const e = users.get(userId);
      if (!e) return;
      e.status = status;
      e.text = text;
      e.encoded = null;
      e.lastSeen = now();
    },
    /** Whether someone is connected now, and when they were last seen since this server started. */
    seen(userId: string): { online: boolean; lastSeen: number } | null {
      const e = users.get(userId);
      return e ? { online: e.sockets > 0, lastSeen: e.lastSeen } : null;
    },
    frameFor(userId: string): FrameOf<'presence'> | null {
      const e = users.get(userId);
      return e ? frame(userId, e) : null;
    },
    /**
     * Everyone's presence as a WELCOME carries it, in parts of at most `maxFramesPerMessage` frames. Each
     * person's frame is encoded once until it changes: a college has thousands, and in a reconnect storm a
     * thousand WELCOMEs a second each encoded all of them anew.
     */
    snapshotParts(): EncodedFrames[] {
      const parts: EncodedFrames[] = [];
      let chunk: Uint8Array[] = [];
      let size = 0;
      const close = (): void => {
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const b of chunk) {
          bytes.set(b, at);
          at += b.length;
        }
        parts.push({ count: chunk.length, bytes });
        chunk = [];
        size = 0;
      };
      for (const [id, e] of users) {
        e.encoded ??= encodeFrames([frame(id, e)]).bytes;
        chunk.push(e.encoded);
        size += e.encoded.length;
        if (chunk.length === LIMITS.maxFramesPerMessage) close();
      }
      if (chunk.length > 0) close();
      return parts;
    },
  };
}
