import {
  messageKey,
  modRoots,
  recordGone,
  redactMessages,
  removeMessage,
  type GoneWhy,
} from '@commonroom/model';
import { authorDoc, idxDoc, modDoc, type ConversationId, type UserId } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type * as Y from 'yjs';
import type { AuditLog } from '../storage/audit.ts';
import type { MessageStore } from '../storage/messages.ts';
import type { CommitQueue, PendingWrite } from './commit-queue.ts';
import type { LoadedDoc, LoadedDocs } from './loaded-docs.ts';

/**
 * Takes the content of deleted, removed and expired messages out of their author's documents, so it
 * leaves every device on its next contact (docs/PROTOCOL.md P16, issue 14 §3 and §7).
 *
 * The server writes a deletion into the author's document (a Yjs delete set: no items of its own there)
 * and a tombstone into the segment's index, in the commit being prepared; relays both after the commit like
 * any update; and stores the author's document compacted afterwards, so its old updates no longer hold the
 * words. The original stays only in the safeguarding store (`messages`, `message_revisions`).
 */

export type RedactTarget = { conversationId: string; authorId: string; localId: string; seq: number };

/**
 * Runs a change the server itself makes to `doc` and returns the Yjs update it produced (null when it
 * changed nothing), with what `change` returned.
 */
export function serverChange<T>(doc: Y.Doc, change: () => T): { update: Uint8Array | null; result: T } {
  let update: Uint8Array | null = null;
  const capture = (u: Uint8Array): void => {
    update = u;
  };
  doc.on('update', capture);
  try {
    const result = change();
    return { update, result };
  } finally {
    doc.off('update', capture);
  }
}

/** Resolves with `value` once `batch` is durable (P4); rejects if its commit fails. */
export function committed<T>(batch: PendingWrite, value: T): Promise<T> {
  return new Promise((resolve, reject) => {
    batch.durable.push(() => resolve(value));
    batch.failed.push((err) => reject(err instanceof Error ? err : new Error(String(err))));
  });
}

export type Redaction = ReturnType<typeof createRedaction>;

export function createRedaction(d: {
  docs: LoadedDocs;
  queue: CommitQueue;
  messages: MessageStore;
  audit: AuditLog;
  now: () => number;
  log: Logger;
  segmentStride: number;
  /** Marks an update of `l` as in the commit: held in memory until durable, reloaded if the commit fails. */
  track: (batch: PendingWrite, l: LoadedDoc, update: Uint8Array) => void;
  /** Changes an index document in the commit being prepared (one stored update and relay per commit). */
  changeIndex: (batch: PendingWrite, idx: LoadedDoc, change: (doc: Y.Doc) => void) => void;
}) {
  /**
   * In `batch`: takes `localIds` of one author's document of one segment out. Messages pinned in that
   * segment are kept when `why` is `expired` (retention keeps pins, §7). Returns the ids taken out.
   */
  const inBatch = (
    batch: PendingWrite,
    conversationId: string,
    segment: number,
    authorId: string,
    localIds: readonly string[],
    why: GoneWhy,
  ): string[] => {
    const conv = conversationId as ConversationId;
    let ids = localIds;
    if (why === 'expired') {
      const mod = d.docs.get(modDoc(conv, segment));
      const pins = modRoots(mod.doc).pins;
      ids = ids.filter((id) => !pins.has(`${authorId}:${id}`));
      d.docs.maybeIdle(mod);
      if (ids.length === 0) return [];
    }
    const l = d.docs.get(authorDoc(conv, authorId as UserId, segment));
    const { update, result: gone } = serverChange(l.doc, () => redactMessages(l.doc, ids, why));
    const done = gone.map((g) => g.localId);
    if (update) d.track(batch, l, update);
    else d.docs.maybeIdle(l);
    // Ids already taken out (by an earlier commit) need no tombstone again; the projection is marked anyway.
    const idx = d.docs.get(idxDoc(conv, segment));
    if (gone.length > 0) d.changeIndex(batch, idx, (doc) => recordGone(doc, authorId, gone));
    else d.docs.maybeIdle(idx);
    const marked = why === 'expired' ? ids : localIds;
    const at = d.now();
    batch.alongside.push(() => d.messages.markRedacted(conversationId, authorId, marked, at));
    if (update) batch.after.push(() => d.docs.compactSoon(l.name));
    return done;
  };

  /** Groups targets by the author document of the segment holding each (its arrival position, P13). */
  const group = (targets: readonly RedactTarget[]) => {
    const out = new Map<string, { c: string; seg: number; author: string; ids: string[] }>();
    for (const t of targets) {
      const seg = Math.floor(t.seq / d.segmentStride);
      const k = `${t.conversationId}\u0000${seg}\u0000${t.authorId}`;
      let g = out.get(k);
      if (!g) out.set(k, (g = { c: t.conversationId, seg, author: t.authorId, ids: [] }));
      g.ids.push(t.localId);
    }
    return [...out.values()];
  };

  /**
   * Takes these messages' content out in one commit; resolves with how many were taken out once durable.
   * Used by retention (§7) and at start for deleted or removed messages not yet redacted.
   */
  const redact = (targets: readonly RedactTarget[], why: GoneWhy): Promise<number> => {
    if (targets.length === 0) return Promise.resolve(0);
    const batch = d.queue.current();
    let n = 0;
    for (const g of group(targets)) n += inBatch(batch, g.c, g.seg, g.author, g.ids, why).length;
    return committed(batch, n);
  };

  /** Deleted or removed messages left unredacted (a database from before P16), in batches of `size`. */
  const catchUp = async (size = 500): Promise<number> => {
    let total = 0;
    for (;;) {
      const rows = d.messages.toRedact(size);
      if (rows.length === 0) return total;
      const removed = rows.filter((r) => r.removed);
      const deleted = rows.filter((r) => !r.removed);
      total += await redact(removed, 'removed');
      total += await redact(deleted, 'deleted');
      d.log.info({ count: rows.length }, 'redacted deleted or removed messages left from before');
    }
  };

  /**
   * A safeguarding lead's removal (issue 14 §3), written by the server into the moderation document of the
   * segment holding the message, with its words taken out in the same commit (P16): what a moderator's
   * removal does, for a lead who is not a moderator of that conversation. Resolves once durable: false
   * when there is no such message or it was already removed.
   */
  const removeAsServer = (
    conversationId: string,
    authorId: string,
    localId: string,
    by: string,
    reason: string,
  ): Promise<boolean> => {
    const row = d.messages.get(conversationId, authorId, localId);
    if (!row || row.removedBy !== null) return Promise.resolve(false);
    const segment = Math.floor(row.seq / d.segmentStride);
    const l = d.docs.get(modDoc(conversationId as ConversationId, segment));
    const key = messageKey(authorId, localId);
    const at = d.now();
    const { update } = serverChange(l.doc, () => removeMessage(l.doc, key, by, at, reason));
    if (!update) return Promise.resolve(false);
    const batch = d.queue.current();
    d.track(batch, l, update);
    batch.alongside.push(() => {
      d.messages.recordRemoval(conversationId, authorId, localId, by, at);
      d.audit.record(by, 'message.removed', `${conversationId}/${key}`, { reason, via: 'safeguarding' });
    });
    inBatch(batch, conversationId, segment, authorId, [localId], 'removed');
    return committed(batch, true);
  };

  return { inBatch, redact, catchUp, removeAsServer };
}
