import { encodeFrames } from '@commonroom/protocol';
import type { StoredMessage } from '../rooms/stored-message.ts';
import type { SyncRooms } from '../rooms/sync-rooms.ts';
import type { HubSession } from './hub-session.ts';

/**
 * How long after its last relay a typing hint still shows on the devices that heard it (the engine's
 * fade, ephemeral.ts): a message stored within it is followed by a "stopped" frame.
 */
export const TYPING_SHOWN_MS = 5_000;

/**
 * Typing hints (issue 15 §4, P9): relayed to the devices following the conversation, per conversation and
 * thread, at most one per person, conversation and thread per `intervalMs`, and only from someone who may
 * post there (announcement channels for students, muted people, archived channels relay nothing). Never
 * stored. When a person's message is stored, the devices that were shown them typing there hear at once
 * that they stopped, in the same turn as the message itself.
 */
export function createTypingRelay(d: { rooms: SyncRooms; now: () => number; intervalMs: number }) {
  /** `user\nconversation\nparent` → when a typing frame of theirs was last relayed there. */
  const relayed = new Map<string, number>();
  const keep = Math.max(d.intervalMs, TYPING_SHOWN_MS);
  const keyOf = (userId: string, conversationId: string, parent: string): string =>
    `${userId}\n${conversationId}\n${parent}`;

  const due = (key: string): boolean => {
    const t = d.now();
    const last = relayed.get(key);
    if (last !== undefined && t - last < d.intervalMs) return false;
    // Entries past what they decide (the throttle, the stop) go before the map grows large.
    if (relayed.size >= 10_000) for (const [k, at] of relayed) if (t - at >= keep) relayed.delete(k);
    relayed.set(key, t);
    return true;
  };

  const toOthers = (
    from: HubSession | null,
    conversationId: string,
    part: ReturnType<typeof encodeFrames>,
  ) => {
    for (const o of d.rooms.sessionsIn(conversationId)) if (o !== from) o.sendEncoded(part);
  };

  return {
    relay(session: HubSession, userId: string, conversationId: string, parent: string): void {
      if (!d.rooms.sessionsIn(conversationId).has(session)) return;
      // One socket message holds up to 512 frames, each relayed to every listener: the cheap throttle
      // first, so a flood is dropped without a database lookup per frame.
      if (!due(keyOf(userId, conversationId, parent))) return;
      if (!d.rooms.canPost(session.actor, conversationId)) return;
      const part = encodeFrames([{ type: 'typing', conversationId, parent, userId, active: true }]);
      toOthers(session, conversationId, part);
    },
    /** Messages just stored: their authors stopped typing there (only those shown typing now). */
    stored(list: readonly StoredMessage[]): void {
      for (const m of list) {
        const parent = m.parent ?? '';
        const key = keyOf(m.authorId, m.conversationId, parent);
        const at = relayed.get(key);
        if (at === undefined || d.now() - at >= TYPING_SHOWN_MS) continue;
        relayed.delete(key);
        const part = encodeFrames([
          { type: 'typing', conversationId: m.conversationId, parent, userId: m.authorId, active: false },
        ]);
        toOthers(null, m.conversationId, part);
      }
    },
  };
}
