import type * as Y from 'yjs';
import { authorRoots, idxRoots } from './author-doc.ts';
import { messageKey, type GoneRecord, type GoneWhy } from './records.ts';

/**
 * Server only: takes messages' content out of their author's document (docs/PROTOCOL.md P16).
 *
 * Why deleting the Yjs items works: a deletion travels as a delete set (no new items, no client id of the
 * server's inside the author's document), every replica applies it, and a Y.Doc with `gc` on (the default)
 * replaces a deleted item's content by its length. The text is then in no replica's state and in no update
 * encoded from it; what remains is a tombstone Yjs needs to place later items, and the index's `gone`
 * record for readers. Stored update logs still hold the old bytes until they are compacted: the server
 * compacts the document after the commit, and each device compacts its stored copy when such a deletion
 * reaches it.
 *
 * Returns what was taken out (the message's place, never its words), in the order of `localIds`; ids the
 * document does not hold (already redacted, or never there) are skipped.
 */
export function redactMessages(
  doc: Y.Doc,
  localIds: readonly string[],
  why: GoneWhy,
): { localId: string; gone: GoneRecord }[] {
  const { msgs, edits } = authorRoots(doc);
  const wanted = new Set(localIds);
  const out: { localId: string; gone: GoneRecord }[] = [];
  doc.transact(() => {
    // From the end, so earlier positions stay valid as elements go.
    const all = msgs.toArray();
    for (let i = all.length - 1; i >= 0; i--) {
      const m = all[i];
      if (!m || !wanted.has(m.id)) continue;
      msgs.delete(i, 1);
      const gone: GoneRecord = { ts: m.ts, why };
      if (m.parent !== undefined) gone.parent = m.parent;
      if (m.alsoChannel === true) gone.alsoChannel = true;
      out.push({ localId: m.id, gone });
    }
    for (const id of wanted) if (edits.has(id)) edits.delete(id);
  });
  const order = new Map(localIds.map((id, i) => [id, i]));
  return out.sort((a, b) => (order.get(a.localId) ?? 0) - (order.get(b.localId) ?? 0));
}

/** Server only: records in the segment's index that `author`'s messages were taken out (for readers). */
export function recordGone(
  idx: Y.Doc,
  authorId: string,
  gone: readonly { localId: string; gone: GoneRecord }[],
): void {
  if (gone.length === 0) return;
  const map = idxRoots(idx).gone;
  idx.transact(() => {
    for (const g of gone) map.set(messageKey(authorId, g.localId), g.gone);
  });
}

/** The message ids of `authorId` the index records as taken out. */
export function goneIdsOf(idx: Y.Doc, authorId: string): string[] {
  const prefix = `${authorId}:`;
  const out: string[] = [];
  for (const k of idxRoots(idx).gone.keys()) if (k.startsWith(prefix)) out.push(k.slice(prefix.length));
  return out;
}
