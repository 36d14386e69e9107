import { splitMessageKey, type MessageRecord } from '@commonroom/model';
import type { AuditLog } from '../storage/audit.ts';
import type { MessageStore } from '../storage/messages.ts';
import type { Projection } from './judges.ts';
import type { ReadMoved, StoredMessage } from './stored-message.ts';

/**
 * The new messages an accepted update stored, for those told after the commit (pushes, issue 15); `seqs`
 * are the places the index gave them, in order.
 */
export function storedMessages(p: Projection, seqs: readonly number[]): StoredMessage[] {
  if (p.kind !== 'author') return [];
  return p.sum.messages.map((m, i) => ({
    conversationId: p.conversationId,
    authorId: p.authorId,
    localId: m.id,
    text: m.text,
    files: m.files?.map((f) => f.name) ?? [],
    parent: m.parent ?? null,
    seq: seqs[i] ?? 0,
  }));
}

/** The read mark an accepted update moved, if any (a read elsewhere clears pushed notifications, issue 15). */
export function readMoved(p: Projection): ReadMoved | null {
  if (p.kind !== 'author' || p.sum.maxReadSeq <= 0) return null;
  return { conversationId: p.conversationId, userId: p.authorId, seq: p.sum.maxReadSeq };
}

/** A message or an edit as the keyword watch sees it once accepted (issue 14 §5). */
export type Watched = {
  conversationId: string;
  authorId: string;
  localId: string;
  text: string;
  writtenAt: number;
  receivedAt: number;
  kind: 'message' | 'edit';
};

/**
 * Writes what an accepted update did into the safeguarding store, inside the transaction that stores the
 * update (P4): messages with the places the index gave them, edits, deletes, a moderator's removals with
 * their audit rows; and shows new words to the keyword watch.
 */
export function createProjection(d: {
  messages: MessageStore;
  audit: AuditLog;
  /** Ties new messages' files to them (issue 17), in the same transaction. */
  attach: (messages: readonly MessageRecord[], authorId: string) => void;
  /** Sees every message and edit once accepted. It cannot refuse or change anything, and must not throw. */
  watch?: (e: Watched) => void;
}) {
  const author = (p: Extract<Projection, { kind: 'author' }>, seqs: readonly number[]): void => {
    const { conversationId, authorId, at, sum } = p;
    sum.messages.forEach((m, i) =>
      d.messages.insert({
        conversationId,
        authorId,
        localId: m.id,
        seq: seqs[i] ?? 0,
        parentKey: m.parent ?? null,
        text: m.text,
        clientTs: m.ts,
        receivedAt: at,
      }),
    );
    if (sum.messages.some((m) => m.files !== undefined)) d.attach(sum.messages, authorId);
    for (const e of sum.edits) d.messages.recordEdit(conversationId, authorId, e.localId, e.text, at);
    for (const x of sum.deletes) d.messages.recordDelete(conversationId, authorId, x.localId, at);
    const watch = d.watch;
    if (watch) {
      const base = { conversationId, authorId, receivedAt: at };
      for (const m of sum.messages)
        watch({ ...base, localId: m.id, text: m.text, writtenAt: m.ts, kind: 'message' });
      for (const e of sum.edits)
        watch({ ...base, localId: e.localId, text: e.text, writtenAt: e.ts, kind: 'edit' });
    }
  };

  const mod = (p: Extract<Projection, { kind: 'mod' }>): void => {
    for (const r of p.sum.removals) {
      const { authorId, localId } = splitMessageKey(r.key);
      d.messages.recordRemoval(p.conversationId, authorId, localId, p.by, p.at);
      d.audit.record(p.by, 'message.removed', `${p.conversationId}/${r.key}`, { reason: r.reason ?? '' });
    }
  };

  /** Records `p`; `seqs` are the places the index gave the update's new messages, in order. */
  return (p: Projection, seqs: readonly number[]): void => {
    switch (p.kind) {
      case 'author':
        return author(p, seqs);
      case 'mod':
        return mod(p);
    }
  };
}
