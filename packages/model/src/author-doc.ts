import type * as Y from 'yjs';
import {
  messageKey,
  reactionKey,
  type EditRecord,
  type GoneRecord,
  type MessageKey,
  type MessageRecord,
  type ModRecord,
} from './records.ts';

/**
 * Typed access to the three document kinds. A flat Y.Array of plain objects for messages (parsing is 2–8×
 * faster than a Y.Map per message) and small Y.Maps for last-writer-wins state keyed by message.
 */

export function authorRoots(doc: Y.Doc) {
  return {
    msgs: doc.getArray<MessageRecord>('msgs'),
    edits: doc.getMap<EditRecord>('edits'),
    del: doc.getMap<number>('del'),
    react: doc.getMap<number>('react'),
    read: doc.getMap<number>('read'),
    /** When each device last moved its read mark, for "Seen" receipts. */
    readAt: doc.getMap<number>('readAt'),
  };
}

export function modRoots(doc: Y.Doc) {
  return { pins: doc.getMap<ModRecord>('pins'), removed: doc.getMap<ModRecord>('removed') };
}

export type IndexTuple = [authorId: string, localId: string];

export function idxRoots(doc: Y.Doc) {
  return {
    order: doc.getArray<IndexTuple>('order'),
    authors: doc.getMap<number>('authors'),
    /** Tombstones of messages whose content the server took out of their author's document (P16). */
    gone: doc.getMap<GoneRecord>('gone'),
  };
}

export function hasMessage(doc: Y.Doc, localId: string): boolean {
  return authorRoots(doc)
    .msgs.toArray()
    .some((m) => m.id === localId);
}

export function sendMessage(doc: Y.Doc, m: MessageRecord): void {
  authorRoots(doc).msgs.push([m]);
}

export function editMessage(doc: Y.Doc, localId: string, text: string, ts: number): void {
  authorRoots(doc).edits.set(localId, { text, ts });
}

export function deleteMessage(doc: Y.Doc, localId: string, ts: number): void {
  authorRoots(doc).del.set(localId, ts);
}

export function setReaction(doc: Y.Doc, key: MessageKey, emoji: string, on: boolean, ts: number): void {
  const react = authorRoots(doc).react;
  const k = reactionKey(key, emoji);
  if (on) react.set(k, ts);
  else if (react.has(k)) react.delete(k);
}

/** Read marks are kept per device and merged by max, so a phone and a desktop never move each other back. */
export function markRead(doc: Y.Doc, deviceId: string, seq: number, ts?: number): void {
  const { read, readAt } = authorRoots(doc);
  if ((read.get(deviceId) ?? 0) >= seq) return;
  doc.transact(() => {
    read.set(deviceId, seq);
    if (ts !== undefined) readAt.set(deviceId, ts);
  });
}

/**
 * "Mark unread from here": every device's mark that reaches `seq` moves back to just before it. The one
 * place a mark goes down; a device reading on concurrently may win its own key, and all replicas agree.
 *
 * `seen` is each device's mark when the person asked (readMarksOf then). An action waiting to send is
 * applied again after a rebuild, maybe long after: a device (this one too) that has read further since
 * made a newer choice, which a replayed "unread" must not undo. Without `seen` (taken before the copy was there) every
 * mark past `seq` moves back.
 */
export function markUnreadFrom(
  doc: Y.Doc,
  deviceId: string,
  seq: number,
  seen?: Readonly<Record<string, number>>,
): void {
  const read = authorRoots(doc).read;
  const to = Math.max(0, seq - 1);
  const since = (k: string, v: number): boolean =>
    seen !== undefined && (seen[k] === undefined || v > seen[k]);
  doc.transact(() => {
    for (const [k, v] of read.entries()) if (typeof v === 'number' && v > to && !since(k, v)) read.set(k, to);
  });
}

/** Each device's read mark in this document. */
export function readMarksOf(doc: Y.Doc): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of authorRoots(doc).read.entries()) if (typeof v === 'number') out[k] = v;
  return out;
}

export function readSeqOf(doc: Y.Doc): number {
  let max = 0;
  for (const v of authorRoots(doc).read.values()) if (typeof v === 'number' && v > max) max = v;
  return max;
}

export function setPin(doc: Y.Doc, key: MessageKey, by: string, ts: number, on: boolean): void {
  const pins = modRoots(doc).pins;
  if (on) pins.set(key, { by, ts });
  else if (pins.has(key)) pins.delete(key);
}

export function removeMessage(doc: Y.Doc, key: MessageKey, by: string, ts: number, reason?: string): void {
  modRoots(doc).removed.set(key, reason === undefined ? { by, ts } : { by, ts, reason });
}

/** Server only: lists an author whose document readers should load (someone who reacted but never posted). */
export function registerAuthor(doc: Y.Doc, author: string): boolean {
  const { order, authors } = idxRoots(doc);
  if (authors.has(author)) return false;
  authors.set(author, order.length + 1);
  return true;
}

/** Server only: records arrival order. Returns each entry's place in this segment (1-based), in order. */
export function appendToIndex(doc: Y.Doc, entries: readonly IndexTuple[]): number[] {
  const { order, authors } = idxRoots(doc);
  const start = order.length;
  doc.transact(() => {
    for (const [author] of entries) if (!authors.has(author)) authors.set(author, start + 1);
    order.push(entries.map((e) => [e[0], e[1]] as IndexTuple));
  });
  return entries.map((_, i) => start + i + 1);
}

export { messageKey };
