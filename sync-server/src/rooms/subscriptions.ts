import {
  LIMITS,
  SYNC_STEP2,
  SYNC_UPDATE,
  encodeFrames,
  parseDocName,
  scanStateVector,
  type EncodedFrames,
} from '@commonroom/protocol';
import type { Logger } from 'pino';
import { NO_SUCH_CONVERSATION, type Policy } from '../auth/policy.ts';
import type { Answers } from './answers.ts';
import type { CommitQueue } from './commit-queue.ts';
import type { LoadedDoc, LoadedDocs } from './loaded-docs.ts';
import type { Session } from './session.ts';
import type { FoundDocument } from './write-authorisation.ts';

export type Subscriptions = ReturnType<typeof createSubscriptions>;

/**
 * Who follows which document, and delivery to them: subscribe (sync step 1, answered once what is
 * committing is durable, P2, P3), unsubscribe, revocation (T9), and the relay of committed updates (P5).
 */
export function createSubscriptions(d: {
  docs: LoadedDocs;
  queue: CommitQueue;
  policy: Pick<Policy, 'canRead'>;
  log: Logger;
  answers: Answers;
  lookup: (name: string) => FoundDocument | null;
}) {
  const { docs, answers } = d;
  /** conversation id → sessions subscribed to any of its documents (typing indicators, revocation). */
  const byConversation = new Map<string, Set<Session>>();

  const addSubscriber = (s: Session, l: LoadedDoc): void => {
    l.subscribers.add(s);
    s.subscriptions.add(l.name);
    const c = l.parsed.conversationId;
    let set = byConversation.get(c);
    if (!set) byConversation.set(c, (set = new Set()));
    set.add(s);
  };

  const removeSubscriber = (s: Session, name: string): void => {
    s.subscriptions.delete(name);
    const l = docs.peek(name);
    if (!l) return;
    l.subscribers.delete(s);
    docs.maybeIdle(l);
    const c = l.parsed.conversationId;
    const stillInConversation = [...s.subscriptions].some((n) => parseDocName(n)?.conversationId === c);
    if (!stillInConversation) byConversation.get(c)?.delete(s);
  };

  /**
   * Sends a committed update of `l` to its subscribers but `except` (its writer, answered with an ack);
   * `soon` lets it wait a few milliseconds for the sockets' next message (Session.sendEncoded).
   */
  const relay = (l: LoadedDoc, update: Uint8Array, except: Session | null, when?: 'soon'): void => {
    if (l.subscribers.size === 0) return;
    // Encoded once, the same bytes to every socket (writing per socket is ~20× slower).
    const part = encodeFrames([
      { type: 'sync', doc: l.name, ref: 0, syncType: SYNC_UPDATE, payload: update },
    ]);
    for (const s of l.subscribers) if (s !== except) s.sendEncoded(part, when);
  };

  /**
   * Step 1 from a client: subscribe and answer with what it lacks (step 2, carrying the step 1's ref) plus
   * our state vector (P2, P3).
   */
  const subscribe = (s: Session, name: string, sv: Uint8Array, ref = 0): void => {
    const found = d.lookup(name);
    // Missing (or not yet reached) and hidden are answered alike, with the same frame and words (P2).
    if (!found || !d.policy.canRead(s.actor, found.conv).ok) {
      d.log.info({ user: s.actor.id, doc: name }, 'refused subscribe');
      // In the socket's order, like every answer: after the acknowledgements of what it wrote before.
      d.queue.afterStored(() =>
        s.send([{ type: 'revoked', doc: name, reason: NO_SUCH_CONVERSATION.message }]),
      );
      return;
    }
    if (!s.subscriptions.has(name) && s.subscriptions.size >= LIMITS.maxSubscriptionsPerSocket) {
      answers.reject(
        s,
        0,
        name,
        'too-many-documents',
        `one connection follows at most ${LIMITS.maxSubscriptionsPerSocket} documents`,
      );
      return;
    }
    const svOk = scanStateVector(sv);
    if (!svOk.ok) {
      answers.closeMalformed(s, name, svOk.reason);
      return;
    }
    const l = docs.get(name);
    addSubscriber(s, l);
    // Made once nothing is pending (so it holds only what committed: never what a failed commit dropped),
    // sent once all that is durable: what the server wrote (index places) never leaves before the disk
    // holds it (P2; "Relaying before the disk", PROTOCOL.md).
    d.queue.afterPending(() => {
      if (!l.subscribers.has(s)) return;
      let diff: Uint8Array;
      try {
        diff = docs.diffFor(l, sv);
      } catch {
        answers.closeMalformed(s, name, 'unusable state vector');
        return;
      }
      const step1 = docs.step1Of(l);
      d.queue.afterDurable(() => {
        if (!l.subscribers.has(s)) return;
        s.send([{ type: 'sync', doc: name, ref, syncType: SYNC_STEP2, payload: diff }]);
        s.sendEncoded(step1);
      });
    });
  };

  /** Drops every subscription of a closing socket. */
  const dropSession = (s: Session): void => {
    // Everything at once: removing one by one scanned the remaining subscriptions each time (n²).
    const left = new Set<string>();
    for (const name of s.subscriptions) {
      const l = docs.peek(name);
      if (l) {
        l.subscribers.delete(s);
        docs.maybeIdle(l);
      }
      const c = l?.parsed.conversationId ?? parseDocName(name)?.conversationId;
      if (c !== undefined) left.add(c);
    }
    s.subscriptions.clear();
    for (const c of left) byConversation.get(c)?.delete(s);
  };

  /** Stops delivery of a conversation to one user at once: membership removed, or access lost (T9). */
  const revokeConversation = (
    conversationId: string,
    userId: string,
    sessions: Iterable<Session>,
    reason: string,
  ): void => {
    for (const s of sessions) {
      if (s.actor.id !== userId) continue;
      const names = [...s.subscriptions].filter((n) => parseDocName(n)?.conversationId === conversationId);
      for (const n of names) removeSubscriber(s, n);
      if (names.length > 0) s.send(names.map((doc) => ({ type: 'revoked' as const, doc, reason })));
    }
  };

  const sessionsIn = (conversationId: string): ReadonlySet<Session> =>
    byConversation.get(conversationId) ?? new Set();

  /** Sends frames to every session following any document of the conversation. */
  const notifyConversation = (conversationId: string, frames: EncodedFrames): void => {
    for (const s of byConversation.get(conversationId) ?? []) s.sendEncoded(frames);
  };

  return {
    subscribe,
    unsubscribe: (s: Session, name: string): void => removeSubscriber(s, name),
    relay,
    dropSession,
    revokeConversation,
    sessionsIn,
    notifyConversation,
  };
}
