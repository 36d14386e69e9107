import { SEGMENT_STRIDE, appendToIndex, idxRoots, registerAuthor, type IndexTuple } from '@commonroom/model';
import { encodeFrames, idxDoc, type ConversationId, type EncodedFrames } from '@commonroom/protocol';
import * as Y from 'yjs';
import type { ConversationStore } from '../storage/conversations.ts';
import type { PendingWrite } from './commit-queue.ts';
import type { LoadedDoc, LoadedDocs } from './loaded-docs.ts';
import type { Session } from './session.ts';

export type IndexBatch = ReturnType<typeof createIndexBatch>;

/**
 * The documents' side of a commit being prepared: updates held in memory until committed (`inFlight`,
 * `uncommitted`), relayed after it, reloaded if it fails; the index documents it changes, stored and relayed
 * once per commit; and the rollover of a segment that fills up in it (P4, P5, P13).
 */
export function createIndexBatch(d: {
  docs: LoadedDocs;
  conversations: Pick<ConversationStore, 'advanceSegment'>;
  segmentSize: number;
  relay: (l: LoadedDoc, update: Uint8Array, except: Session | null, when?: 'soon') => void;
  notifyConversation: (conversationId: string, frames: EncodedFrames) => void;
}) {
  const { docs } = d;
  /** Index documents changed in the commit being prepared, with their state vector before it. */
  const idxInBatch = new Map<LoadedDoc, Uint8Array>();
  /** Conversations whose current segment filled up in the commit being prepared. */
  const rollovers = new Set<string>();

  /** An update of `l` is out of the commit (stored or failed): no longer held for it. */
  const settle = (l: LoadedDoc, u: Uint8Array): void => {
    l.inFlight--;
    l.uncommitted.splice(l.uncommitted.indexOf(u), 1);
  };

  /** Holds `update` of `l` in memory until `batch` is durable, and stores it with the batch. */
  const hold = (batch: PendingWrite, l: LoadedDoc, update: Uint8Array): void => {
    l.inFlight++;
    l.uncommitted.push(update);
    batch.entries.push({ doc: l.name, data: update });
  };

  /**
   * An index document changed by the commit being prepared. However many messages the commit holds, the
   * index gets one stored update and one relay per commit, encoded when the commit is flushed: per message
   * it was a second row, a second frame to every reader and an encode each time.
   */
  const indexInBatch = (batch: PendingWrite, target: LoadedDoc, before: Uint8Array): void => {
    idxInBatch.set(target, before);
    target.inFlight++;
    let update: Uint8Array | null = null;
    batch.prepare.push(() => {
      idxInBatch.delete(target);
      update = Y.encodeStateAsUpdate(target.doc, before);
      target.uncommitted.push(update);
      batch.entries.push({ doc: target.name, data: update });
      batch.after.push(() => {
        if (update) settle(target, update);
        docs.maybeIdle(target);
      });
      // Relayed once durable, after the author updates (relayed once committed): readers get the messages,
      // then their places. What the server writes has no outbox to send it again after a power cut, so it
      // never leaves before the disk holds it ("Relaying before the disk", PROTOCOL.md, case 3). Soon, not
      // now: in a busy conversation the places ride with the next message's relay, one socket write per
      // reader instead of two (the message shows at once, placed after the indexed ones until then, P7).
      batch.durable.push(() => {
        if (update) d.relay(target, update, null, 'soon');
      });
    });
    batch.failed.push(() => {
      idxInBatch.delete(target);
      if (update) settle(target, update);
      else target.inFlight--;
      docs.reload(target);
    });
  };

  /** A server-written update of `l` in `batch`: held until committed, relayed to everyone once durable. */
  const track = (batch: PendingWrite, l: LoadedDoc, update: Uint8Array): void => {
    hold(batch, l, update);
    batch.after.push(() => {
      settle(l, update);
      docs.maybeIdle(l);
    });
    batch.durable.push(() => d.relay(l, update, null));
    batch.failed.push(() => {
      settle(l, update);
      docs.reload(l);
    });
  };

  /** Changes an index document in the commit being prepared (one stored update and relay per commit). */
  const changeIndex = (batch: PendingWrite, target: LoadedDoc, change: (doc: Y.Doc) => void): void => {
    const before = idxInBatch.has(target) ? null : Y.encodeStateVector(target.doc);
    change(target.doc);
    if (before) indexInBatch(batch, target, before);
  };

  /**
   * Gives an accepted update's new messages their places in the segment's index (and lists the writer
   * there), in `batch`. Returns the sequence numbers given, in order. A full segment rolls over in the same
   * commit: later messages start the next one (P13).
   */
  const addToIndex = (
    batch: PendingWrite,
    conversationId: ConversationId,
    segment: number,
    writer: string,
    index: readonly IndexTuple[],
  ): number[] => {
    const target = docs.get(idxDoc(conversationId, segment));
    const first = !idxInBatch.has(target);
    const before = first ? Y.encodeStateVector(target.doc) : null;
    let changed = false;
    let seqs: number[] = [];
    if (index.length > 0) {
      const base = segment * SEGMENT_STRIDE;
      seqs = appendToIndex(target.doc, index).map((place) => base + place);
      changed = true;
      if (idxRoots(target.doc).order.length >= d.segmentSize) rollovers.add(conversationId);
    }
    if (registerAuthor(target.doc, writer)) changed = true;
    if (changed && before) indexInBatch(batch, target, before);
    else if (!idxInBatch.has(target)) docs.maybeIdle(target);
    return seqs;
  };

  /**
   * If the conversation's segment filled up in this commit: moves it on with the commit and, once durable,
   * tells everyone following it (P13).
   */
  const rollOverIfFull = (batch: PendingWrite, conversationId: string, segment: number): void => {
    if (!rollovers.has(conversationId)) return;
    const next = segment + 1;
    batch.alongside.push(() => d.conversations.advanceSegment(conversationId, segment, next));
    batch.after.push(() => rollovers.delete(conversationId));
    // Told once durable, like the server's other writes (the next segment's index comes from the server).
    batch.durable.push(() => {
      const notice = encodeFrames([
        {
          type: 'notice',
          kind: 'conversation-changed',
          json: JSON.stringify({ id: conversationId, segment: next }),
        },
      ]);
      d.notifyConversation(conversationId, notice);
    });
    batch.failed.push(() => rollovers.delete(conversationId));
  };

  return { settle, hold, track, changeIndex, addToIndex, rollOverIfFull };
}
