import type * as Y from 'yjs';
import { authorRoots, idxRoots, modRoots } from './author-doc.ts';
import { messageKey, splitReactionKey, type MessageRecord, type ModRecord } from './records.ts';

/**
 * The merged read of one conversation: the server's arrival order (idx), every author's document and the
 * moderation document. Pure function of the documents, so every replica with the same documents shows the
 * same list in the same order (docs/PROTOCOL.md P7).
 */

export type Reaction = { emoji: string; userIds: string[] };

export type MessageView = {
  key: string;
  authorId: string;
  localId: string;
  /** Arrival order assigned by the server; null until the server has indexed it. */
  seq: number | null;
  text: string;
  ts: number;
  editedAt: number | null;
  deleted: boolean;
  removed: ModRecord | null;
  pinned: ModRecord | null;
  parent: string | null;
  alsoChannel: boolean;
  replyCount: number;
  lastReplyTs: number | null;
  replyAuthors: string[];
  reactions: Reaction[];
};

export type ConversationDocs = {
  idx: Y.Doc | null;
  mod: Y.Doc | null;
  authors: ReadonlyMap<string, Y.Doc>;
};

export type ConversationState = {
  /** Top-level messages (and replies sent to the channel too), oldest first. */
  messages: MessageView[];
  /** Every message by key, replies included. */
  byKey: Map<string, MessageView>;
  lastSeq: number;
  readSeqs: Map<string, number>;
};

export function readConversation(docs: ConversationDocs): ConversationState {
  const byKey = new Map<string, MessageView>();
  const reactions = new Map<string, Map<string, string[]>>();
  const readSeqs = new Map<string, number>();
  const removed = docs.mod ? modRoots(docs.mod).removed : null;
  const pins = docs.mod ? modRoots(docs.mod).pins : null;

  /** Position in its author's list: the order that author wrote in. */
  const written = new Map<string, number>();
  for (const [authorId, doc] of docs.authors) {
    const { msgs, edits, del, react, read } = authorRoots(doc);
    for (const m of msgs.toArray() as MessageRecord[]) {
      const key = messageKey(authorId, m.id);
      if (byKey.has(key)) continue;
      const edit = edits.get(m.id);
      written.set(key, written.size);
      byKey.set(key, {
        key,
        authorId,
        localId: m.id,
        seq: null,
        text: edit?.text ?? m.text,
        ts: m.ts,
        editedAt: edit?.ts ?? null,
        deleted: del.has(m.id),
        removed: removed?.get(key) ?? null,
        pinned: pins?.get(key) ?? null,
        parent: m.parent ?? null,
        alsoChannel: m.alsoChannel === true,
        replyCount: 0,
        lastReplyTs: null,
        replyAuthors: [],
        reactions: [],
      });
    }
    for (const k of react.keys()) {
      const r = splitReactionKey(k);
      if (!r) continue;
      let perEmoji = reactions.get(r.key);
      if (!perEmoji) reactions.set(r.key, (perEmoji = new Map()));
      const users = perEmoji.get(r.emoji) ?? [];
      users.push(authorId);
      perEmoji.set(r.emoji, users);
    }
    let mark = 0;
    for (const v of read.values()) if (v > mark) mark = v;
    readSeqs.set(authorId, mark);
  }

  let lastSeq = 0;
  const ordered: MessageView[] = [];
  if (docs.idx) {
    const order = idxRoots(docs.idx).order.toArray();
    order.forEach(([authorId, localId], i) => {
      const v = byKey.get(messageKey(authorId, localId));
      lastSeq = i + 1;
      if (v) {
        v.seq = i + 1;
        ordered.push(v);
      }
    });
  }
  // Not yet indexed (own messages waiting for the server): after everything indexed, in writing order.
  const unindexed = [...byKey.values()]
    .filter((v) => v.seq === null)
    .sort((a, b) => a.ts - b.ts || (a.authorId < b.authorId ? -1 : a.authorId > b.authorId ? 1 : (written.get(a.key) ?? 0) - (written.get(b.key) ?? 0)));
  ordered.push(...unindexed);

  for (const [key, perEmoji] of reactions) {
    const v = byKey.get(key);
    if (!v) continue;
    v.reactions = [...perEmoji].map(([emoji, userIds]) => ({ emoji, userIds: userIds.sort() })).sort((a, b) => (a.emoji < b.emoji ? -1 : 1));
  }
  for (const v of ordered) {
    if (v.parent === null) continue;
    const p = byKey.get(v.parent);
    if (!p || v.deleted || v.removed) continue;
    p.replyCount++;
    p.lastReplyTs = Math.max(p.lastReplyTs ?? 0, v.ts);
    if (!p.replyAuthors.includes(v.authorId)) p.replyAuthors.push(v.authorId);
  }
  const messages = ordered.filter((v) => (v.parent === null || v.alsoChannel) && isVisible(v));
  return { messages, byKey, lastSeq, readSeqs };
}

/** A deleted message stays as "message deleted" while it has replies; otherwise it is gone. */
function isVisible(v: MessageView): boolean {
  if (v.deleted || v.removed) return v.replyCount > 0;
  return true;
}

export function threadReplies(state: ConversationState, parentKey: string): MessageView[] {
  const out: MessageView[] = [];
  for (const v of state.byKey.values()) if (v.parent === parentKey && !v.deleted && !v.removed) out.push(v);
  return out.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || a.ts - b.ts);
}

/** Messages from others that arrived after `readSeq`: late offline messages count, whatever their timestamp. */
export function unreadCount(state: ConversationState, me: string): number {
  const mine = state.readSeqs.get(me) ?? 0;
  let n = 0;
  for (const v of state.messages) if (v.seq !== null && v.seq > mine && v.authorId !== me && !v.deleted && !v.removed) n++;
  return n;
}
