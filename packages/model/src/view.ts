import type * as Y from 'yjs';
import { authorRoots, idxRoots, modRoots, type IndexTuple } from './author-doc.ts';
import { mentionsPerson, type Mentionable } from './mentions.ts';
import {
  SEGMENT_STRIDE,
  messageKey,
  splitReactionKey,
  type FileRef,
  type GoneRecord,
  type ModRecord,
} from './records.ts';

/** Shared by every message without files, so a conversation's view allocates nothing for them. */
const NO_FILES: readonly FileRef[] = Object.freeze([]);

/**
 * The merged read of one conversation: per loaded segment, the server's arrival order (idx), every author's
 * document and the moderation document. A pure function of the documents, so every replica holding the same
 * documents shows the same list in the same order (docs/PROTOCOL.md P7).
 */

export type Reaction = { emoji: string; userIds: string[] };

export type MessageView = {
  key: string;
  authorId: string;
  localId: string;
  /** The segment whose documents hold this message (edits, reactions, pins go there too). */
  segment: number;
  /** Arrival order assigned by the server (segment · stride + place); null until indexed. */
  seq: number | null;
  text: string;
  /** Attached files (issue 17), oldest first as the author attached them; empty for most messages. */
  files: readonly FileRef[];
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

export type SegmentDocs = {
  segment: number;
  idx: Y.Doc | null;
  mod: Y.Doc | null;
  authors: ReadonlyMap<string, Y.Doc>;
};

export type ConversationState = {
  /** Top-level messages (and replies sent to the channel too), oldest first. */
  messages: MessageView[];
  /** Every message by key, replies included. */
  byKey: Map<string, MessageView>;
  /** The newest arrival position known. */
  lastSeq: number;
  /** Each author's read mark (the maximum over their devices and segments). */
  readSeqs: Map<string, number>;
  /** When each author's read mark last moved (0 when not known), for "Seen" receipts. */
  readTimes: Map<string, number>;
  /** The oldest segment loaded; older history exists when it is above 0. */
  oldestSegment: number;
  /**
   * Whether a segment between the oldest and the newest loaded is not here (one loaded alone for a search
   * hit, or rollovers missed while away): more history to load even when `oldestSegment` is 0.
   */
  missingBetween: boolean;
  /**
   * The author documents read, as `heldDoc(segment, authorId)`: a message missing from `byKey` whose
   * author's document of its segment is here is gone from it; one whose document is not loaded (an older
   * segment, P13) is only out of sight. The device search index keeps the second (client search/feed.ts).
   */
  authorDocs: ReadonlySet<string>;
};

/** How `ConversationState.authorDocs` names one author's document of one segment. */
export const heldDoc = (segment: number, authorId: string): string => `${segment} ${authorId}`;

export function readConversation(segments: readonly SegmentDocs[]): ConversationState {
  const byKey = new Map<string, MessageView>();
  const reactions: ReactionsByMessage = new Map();
  const readSeqs = new Map<string, number>();
  const readTimes = new Map<string, number>();
  /** Position in its author's list: the order that author wrote in. */
  const written = new Map<string, number>();
  const sorted = [...segments].sort((a, b) => a.segment - b.segment);
  const authorDocs = new Set<string>();

  for (const seg of sorted) {
    const mod = seg.mod ? modRoots(seg.mod) : null;
    for (const [authorId, doc] of seg.authors) {
      authorDocs.add(heldDoc(seg.segment, authorId));
      const roots = authorRoots(doc);
      readMessages(seg.segment, authorId, roots, mod, byKey, written);
      gatherReactions(authorId, roots.react, reactions);
      readMarks(authorId, roots, readSeqs, readTimes);
    }
  }

  let lastSeq = 0;
  const ordered: MessageView[] = [];
  for (const seg of sorted) lastSeq = Math.max(lastSeq, placeIndexed(seg, byKey, ordered));
  appendUnindexed(byKey, written, ordered);
  applyReactions(reactions, byKey);
  countReplies(ordered, byKey);
  // A removed message's content never reaches the UI: the placeholder is all anyone sees (issue 14 §3).
  for (const v of ordered)
    if (v.removed) {
      v.text = '';
      v.reactions = [];
      v.editedAt = null;
    }
  const messages = ordered.filter((v) => (v.parent === null || v.alsoChannel) && isVisible(v));
  const oldestSegment = sorted[0]?.segment ?? 0;
  const newestSegment = sorted[sorted.length - 1]?.segment ?? 0;
  const missingBetween = sorted.length > 0 && newestSegment - oldestSegment + 1 > sorted.length;
  return {
    messages,
    byKey,
    lastSeq,
    readSeqs,
    readTimes,
    oldestSegment,
    missingBetween,
    authorDocs,
  };
}

type AuthorRoots = ReturnType<typeof authorRoots>;
type ModRoots = ReturnType<typeof modRoots>;
/** Message key → emoji → the users who reacted with it. */
type ReactionsByMessage = Map<string, Map<string, string[]>>;

/** One author's messages in one segment, as views (the first copy of a message wins). */
function readMessages(
  segment: number,
  authorId: string,
  { msgs, edits, del }: AuthorRoots,
  mod: ModRoots | null,
  byKey: Map<string, MessageView>,
  written: Map<string, number>,
): void {
  for (const m of msgs.toArray()) {
    const key = messageKey(authorId, m.id);
    if (byKey.has(key)) continue;
    const edit = edits.get(m.id);
    written.set(key, written.size);
    byKey.set(key, {
      key,
      authorId,
      localId: m.id,
      segment,
      seq: null,
      text: edit?.text ?? m.text,
      files: m.files ?? NO_FILES,
      ts: m.ts,
      editedAt: edit?.ts ?? null,
      deleted: del.has(m.id),
      removed: mod?.removed.get(key) ?? null,
      pinned: mod?.pins.get(key) ?? null,
      parent: m.parent ?? null,
      alsoChannel: m.alsoChannel === true,
      replyCount: 0,
      lastReplyTs: null,
      replyAuthors: [],
      reactions: [],
    });
  }
}

function gatherReactions(authorId: string, react: AuthorRoots['react'], reactions: ReactionsByMessage): void {
  for (const k of react.keys()) {
    const r = splitReactionKey(k);
    if (!r) continue;
    let perEmoji = reactions.get(r.key);
    if (!perEmoji) reactions.set(r.key, (perEmoji = new Map()));
    const users = perEmoji.get(r.emoji) ?? [];
    if (!users.includes(authorId)) users.push(authorId);
    perEmoji.set(r.emoji, users);
  }
}

/** Raises the author's read mark to the highest of this document's devices, with when it last moved. */
function readMarks(
  authorId: string,
  { read, readAt }: AuthorRoots,
  readSeqs: Map<string, number>,
  readTimes: Map<string, number>,
): void {
  let mark = readSeqs.get(authorId) ?? 0;
  let at = readTimes.get(authorId) ?? 0;
  for (const [device, v] of read.entries()) {
    if (v < mark) continue;
    const t = readAt.get(device) ?? 0;
    at = v > mark ? t : Math.max(at, t);
    mark = v;
  }
  readSeqs.set(authorId, mark);
  readTimes.set(authorId, at);
}

/**
 * Gives the segment's indexed messages their arrival positions and appends them to `ordered`, in the
 * server's order. Returns the highest position in the segment (0 when it has no index).
 */
function placeIndexed(seg: SegmentDocs, byKey: Map<string, MessageView>, ordered: MessageView[]): number {
  if (!seg.idx) return 0;
  const base = seg.segment * SEGMENT_STRIDE;
  const { order, gone } = idxRoots(seg.idx);
  const mod = seg.mod ? modRoots(seg.mod) : null;
  const entries = order.toArray();
  for (let i = 0; i < entries.length; i++) {
    const [authorId, localId] = entries[i] as IndexTuple;
    const key = messageKey(authorId, localId);
    const g = gone.get(key);
    let v = byKey.get(key);
    // Content the server took out (P16) keeps its place from the tombstone: a placeholder for a removal,
    // "message deleted" above replies. A replica still holding the words until the deletion reaches it
    // shows the same.
    if (!v && g) byKey.set(key, (v = tombstoneView(key, authorId, localId, seg.segment, g, mod)));
    if (v && g) {
      if (g.why === 'removed') v.removed ??= { by: '', ts: g.ts };
      else v.deleted = true;
      // Removed first and deleted by its author afterwards (a device that had not heard): both hold.
      const own = seg.authors.get(authorId);
      if (own && authorRoots(own).del.has(localId)) v.deleted = true;
    }
    if (v && v.seq === null) {
      v.seq = base + i + 1;
      ordered.push(v);
    }
  }
  return entries.length > 0 ? base + entries.length : 0;
}

function tombstoneView(
  key: string,
  authorId: string,
  localId: string,
  segment: number,
  g: GoneRecord,
  mod: ModRoots | null,
): MessageView {
  return {
    key,
    authorId,
    localId,
    segment,
    seq: null,
    text: '',
    files: NO_FILES,
    ts: g.ts,
    editedAt: null,
    deleted: false,
    removed: mod?.removed.get(key) ?? null,
    pinned: mod?.pins.get(key) ?? null,
    parent: g.parent ?? null,
    alsoChannel: g.alsoChannel === true,
    replyCount: 0,
    lastReplyTs: null,
    replyAuthors: [],
    reactions: [],
  };
}

/** Not yet indexed (own messages waiting for the server): after everything indexed, in writing order. */
function appendUnindexed(
  byKey: Map<string, MessageView>,
  written: Map<string, number>,
  ordered: MessageView[],
): void {
  const unindexed = [...byKey.values()]
    .filter((v) => v.seq === null)
    .sort(
      (a, b) =>
        a.ts - b.ts ||
        (a.authorId < b.authorId
          ? -1
          : a.authorId > b.authorId
            ? 1
            : (written.get(a.key) ?? 0) - (written.get(b.key) ?? 0)),
    );
  ordered.push(...unindexed);
}

function applyReactions(reactions: ReactionsByMessage, byKey: Map<string, MessageView>): void {
  for (const [key, perEmoji] of reactions) {
    const v = byKey.get(key);
    if (!v) continue;
    v.reactions = [...perEmoji]
      .map(([emoji, userIds]) => ({ emoji, userIds: userIds.sort() }))
      .sort((a, b) => (a.emoji < b.emoji ? -1 : 1));
  }
}

function countReplies(ordered: readonly MessageView[], byKey: Map<string, MessageView>): void {
  for (const v of ordered) {
    if (v.parent === null) continue;
    const p = byKey.get(v.parent);
    // A removed reply keeps its place in the thread as a placeholder, so it counts; a deleted one is gone.
    if (!p || (v.deleted && !v.removed)) continue;
    p.replyCount++;
    p.lastReplyTs = Math.max(p.lastReplyTs ?? 0, v.ts);
    if (!p.replyAuthors.includes(v.authorId)) p.replyAuthors.push(v.authorId);
  }
}

/**
 * A message a moderator removed stays in its place as "Removed by a moderator" for everyone, its author
 * included: the remove dialog promises that readers see a moderator acted, so it must not silently vanish.
 * A message its author deleted stays as "message deleted" while it has replies; otherwise it is gone.
 */
function isVisible(v: MessageView): boolean {
  if (v.removed) return true;
  if (v.deleted) return v.replyCount > 0;
  return true;
}

export function threadReplies(state: ConversationState, parentKey: string): MessageView[] {
  const out: MessageView[] = [];
  for (const v of state.byKey.values()) if (v.parent === parentKey && isVisible(v)) out.push(v);
  return out.sort((a, b) => (a.seq ?? Infinity) - (b.seq ?? Infinity) || a.ts - b.ts);
}

/** Messages from others that arrived after `readSeq`: late offline messages count, whatever their timestamp. */
export function unreadCount(state: ConversationState, me: string): number {
  const mine = state.readSeqs.get(me) ?? 0;
  let n = 0;
  for (const v of state.messages)
    if (v.seq !== null && v.seq > mine && v.authorId !== me && !v.deleted && !v.removed) n++;
  return n;
}

/** Unread messages that notify this person (their @handle, @channel, @here), thread replies included. */
export function mentionCount(state: ConversationState, me: Mentionable & { id: string }): number {
  const mine = state.readSeqs.get(me.id) ?? 0;
  let n = 0;
  for (const v of state.byKey.values())
    if (
      v.seq !== null &&
      v.seq > mine &&
      v.authorId !== me.id &&
      !v.deleted &&
      !v.removed &&
      mentionsPerson(v.text, me)
    )
      n++;
  return n;
}

/**
 * Receipts show in DMs and in channels of at most this many members; the server lists readers in the index
 * (so others follow their documents) only there. Larger channels show none: "seen by 140" helps nobody.
 */
export const RECEIPT_MAX_MEMBERS = 20;

/** Who (other than its author) has read up to this message, with when their mark last moved. */
export function seenBy(state: ConversationState, m: MessageView): { userId: string; at: number }[] {
  if (m.seq === null) return [];
  const out: { userId: string; at: number }[] = [];
  for (const [userId, seq] of state.readSeqs)
    if (userId !== m.authorId && seq >= m.seq) out.push({ userId, at: state.readTimes.get(userId) ?? 0 });
  return out.sort((a, b) => a.at - b.at || (a.userId < b.userId ? -1 : 1));
}

/** Pinned messages that are still there, newest pin first. */
export function pinnedMessages(state: ConversationState): MessageView[] {
  return [...state.byKey.values()]
    .filter((m) => m.pinned && !m.deleted && !m.removed)
    .sort((a, b) => (b.pinned?.ts ?? 0) - (a.pinned?.ts ?? 0));
}
