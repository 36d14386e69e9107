import type { PushPayload } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { ReadMoved, StoredMessage } from '../rooms/stored-message.ts';

/**
 * A message read on one device clears its notification on the person's other devices (issue 15 §1). The
 * server remembers, per person and conversation, the newest message it pushed them; once their read mark
 * (any device's: marks merge by maximum, P8) reaches it, one `clear` push closes the conversation's
 * notifications (the service worker closes those with its `tag`). Nothing is sent for reads of
 * conversations nobody pushed about, which is almost every read.
 *
 * Kept in memory, bounded: after a restart, or for the least recent of more than `max` people and
 * conversations, a notification is not cleared by a read, and the next one of that conversation replaces it
 * (same tag). A clear push names nothing of the message.
 */
export function createReadClears(d: {
  send: (userId: string, payload: PushPayload) => Promise<unknown>;
  log: Logger;
  max?: number;
}) {
  const max = d.max ?? 50_000;
  /** `${userId} ${conversationId}` → the newest pushed message's place; Map order is least recent first. */
  const pushed = new Map<string, number>();
  const keyOf = (userId: string, conversationId: string) => `${userId} ${conversationId}`;

  return {
    pushed(userId: string, m: StoredMessage): void {
      const key = keyOf(userId, m.conversationId);
      const seq = Math.max(pushed.get(key) ?? 0, m.seq);
      pushed.delete(key);
      pushed.set(key, seq);
      if (pushed.size > max) {
        const oldest = pushed.keys().next().value;
        if (oldest !== undefined) pushed.delete(oldest);
      }
    },
    read(r: ReadMoved): void {
      const key = keyOf(r.userId, r.conversationId);
      const seq = pushed.get(key);
      if (seq === undefined || r.seq < seq) return;
      pushed.delete(key);
      const payload: PushPayload = {
        kind: 'clear',
        title: '',
        body: '',
        tag: `c:${r.conversationId}`,
        url: '/',
        conversationId: r.conversationId,
      };
      d.send(r.userId, payload).catch((err: unknown) =>
        d.log.warn({ err }, 'clearing a notification failed'),
      );
    },
    /** How many conversations have a push waiting to be cleared (for tests and the bench). */
    size: (): number => pushed.size,
  };
}

export type ReadClears = ReturnType<typeof createReadClears>;
