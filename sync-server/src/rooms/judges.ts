import {
  RECEIPT_MAX_MEMBERS,
  SEGMENT_STRIDE,
  hasBroadcastMention,
  splitMessageKey,
  summariseAuthorChanges,
  summariseModChanges,
  type AuthorSummary,
  type Changes,
  type GoneWhy,
  type IndexTuple,
  type MessageRecord,
  type ModSummary,
} from '@commonroom/model';
import { LIMITS, type RefusalCode } from '@commonroom/protocol';
import type { Actor, Policy } from '../auth/policy.ts';
import type { ConversationRow } from '../storage/conversations.ts';

/**
 * The judges: what an update would do to a document (`inspectUpdate`'s `Changes`, read before it is
 * applied) held against that document kind's rules (docs/THREAT_MODEL.md T2–T5, T14; docs/PROTOCOL.md P8,
 * P10, P11, P13, P16). Pure functions of the changes and the facts they are given: what they need of the
 * server's state comes in as values or as functions they call only when the rule needs them (some load a
 * document or query the database). They decide and store nothing: an accepted verdict says what to index,
 * what to take out and what to record (`record`, written by projection.ts with the commit).
 */

export type Refusal = { ok: false; code: RefusalCode; message: string };

/** Messages whose content leaves the author's document in the same commit (P16). */
export type Gone = { authorId: string; ids: string[]; why: GoneWhy };

/** The rows an accepted update adds to the safeguarding store, with the commit that stores it. */
export type Projection =
  | { kind: 'author'; conversationId: string; authorId: string; at: number; sum: AuthorSummary }
  | { kind: 'mod'; conversationId: string; by: string; at: number; sum: ModSummary };

export type Accepted = {
  ok: true;
  /** New messages, in order, for the segment's index. */
  index: IndexTuple[];
  /** Whether the writer is listed in the index as someone whose document readers follow. */
  listAuthor: boolean;
  gone: Gone[];
  record: Projection;
};

export type Verdict = Refusal | Accepted;

const refuse = (code: RefusalCode, message: string): Refusal => ({ ok: false, code, message });

/** What the author judge knows of the writer, the conversation and the document before the update. */
export type AuthorFacts = {
  actor: Actor;
  conv: ConversationRow;
  /** The segment of the document written to. */
  segment: number;
  at: number;
  policy: Pick<Policy, 'canPost' | 'notMuted' | 'canReact' | 'mayBroadcastMention'>;
  /** New messages one update may add (P10). */
  maxNewMessages: number;
  /** The message ids the document holds before the update, those whose content was taken out included. */
  known: ReadonlySet<string>;
  /** Ids of this author's messages whose content was taken out (P16). */
  goneIds: () => Iterable<string>;
  /** Whether a message id not in `known` is used already: still committing, or in an older segment (P11). */
  idTaken: (id: string) => boolean;
  /** How many messages the conversation's current segment's index holds (P8: read marks name what exists). */
  indexLength: () => number;
  memberCount: () => number;
  /** Takes `n` new messages from the writer's allowance (P10): 0, or the milliseconds to wait. */
  takeAllowance: (n: number) => number;
  /** Whether new messages' files are the author's own ready uploads here (T20, attachment-refs.ts). */
  checkFiles: (messages: readonly MessageRecord[]) => Refusal | null;
};

/**
 * Read marks name what exists (P8, issue 12 D17): a place no further than the conversation's newest
 * message (its current segment's base plus that index's length, the in-memory index counting what is still
 * committing), and a time no later than now plus `LIMITS.readTimeSkewMs`. The index is looked at only when
 * a mark moves past the base of the current segment.
 */
export function judgeReadMarks(sum: AuthorSummary, f: AuthorFacts): Refusal | null {
  if (sum.maxReadAt > f.at + LIMITS.readTimeSkewMs)
    return refuse('bad-read', 'a read time cannot be in the future');
  const base = f.conv.segment * SEGMENT_STRIDE;
  if (sum.maxReadSeq <= base) return null;
  return sum.maxReadSeq > base + f.indexLength()
    ? refuse('bad-read', 'a read mark cannot reach past the newest message')
    : null;
}

/** Who may post, react and stay within the per-update count (T3, T14, P10), from what the update does. */
function judgePermissions(sum: AuthorSummary, f: AuthorFacts): Refusal | null {
  const { actor, conv, policy } = f;
  if (sum.messages.length > 0 || sum.edits.length > 0 || sum.deletes.length > 0) {
    const post = policy.canPost(actor, conv);
    if (!post.ok) return post;
  }
  // A muted person may still delete their own words; new words, changed words and reactions wait.
  if (sum.messages.length > 0 || sum.edits.length > 0 || sum.reactions.length > 0) {
    const mute = policy.notMuted(actor, conv);
    if (!mute.ok) return mute;
  }
  if (sum.messages.length > f.maxNewMessages)
    return refuse('too-many-messages', `at most ${f.maxNewMessages} new messages in one update`);
  if (sum.reactions.length > 0) {
    const react = policy.canReact(actor, conv);
    if (!react.ok) return react;
  }
  return null;
}

/** New messages' ids and words: unused ids (P11), in the newest segment (P13), no broadcast from students. */
function judgeNewWords(sum: AuthorSummary, f: AuthorFacts): Refusal | null {
  // New messages go to the newest segment only; a device that missed a rollover resends there (P13).
  if (sum.messages.length > 0 && f.segment !== f.conv.segment)
    return refuse('segment-closed', 'this conversation moved on to a new part; resend there');
  const seen = new Set<string>();
  for (const m of sum.messages) {
    if (seen.has(m.id) || f.known.has(m.id) || f.idTaken(m.id))
      return refuse('duplicate-id', `message id ${m.id} is already used`);
    seen.add(m.id);
  }
  const broadcastOk = f.policy.mayBroadcastMention(f.actor);
  for (const text of [...sum.messages.map((m) => m.text), ...sum.edits.map((e) => e.text)])
    if (!broadcastOk && hasBroadcastMention(text))
      return refuse('broadcast-mention', 'only staff can notify everyone with @channel or @here');
  return null;
}

/** An update to the writer's own author document (T2, T3, T14; P8, P10, P11, P13, P16). */
export function judgeAuthor(changes: Changes, f: AuthorFacts): Verdict {
  const sum = summariseAuthorChanges(changes);
  if (!sum.ok) return sum;
  const refused = judgePermissions(sum, f) ?? judgeReadMarks(sum, f);
  if (refused) return refused;
  // Edits and deletes name a message by its id in this same document: one's own, by construction (T2):
  // one it held already, or one this update adds (and does not take back). The list itself cannot lose
  // a message (summariseAuthorChanges refuses that), so these are the ids it holds once applied.
  const adds = sum.messages.length === 0 ? null : new Set(sum.messages.map((m) => m.id));
  for (const t of [...sum.edits, ...sum.deletes])
    if (!f.known.has(t.localId) && !adds?.has(t.localId))
      return refuse('not-your-message', 'you can only change your own messages');
  // Edits of messages whose content was already taken out (deleted on another device meanwhile, removed
  // by a moderator, expired: P16; `known` counts their ids). Accepted, so a race between two of one's
  // devices is no error, and taken out again in the same commit: the words never stay in the document.
  const gone = sum.edits.length === 0 ? null : new Set(f.goneIds());
  const editsOfGone = sum.edits.filter((e) => gone?.has(e.localId)).map((e) => e.localId);
  const words = judgeNewWords(sum, f);
  if (words) return words;
  const files = sum.messages.some((m) => m.files !== undefined) ? f.checkFiles(sum.messages) : null;
  if (files) return files;
  // Last, once everything else passed: only messages that would be stored use up the allowance.
  const wait = f.takeAllowance(sum.messages.length);
  if (wait > 0) return refuse('slow-down', `sending too fast; try again in ${Math.ceil(wait / 1000)} s`);
  const takenOut = [...sum.deletes.map((x) => x.localId), ...editsOfGone];
  return {
    ok: true,
    gone: takenOut.length > 0 ? [{ authorId: f.actor.id, ids: takenOut, why: 'deleted' }] : [],
    index: sum.messages.map((m) => [f.actor.id, m.id]),
    // Where receipts show (RECEIPT_MAX_MEMBERS), a reader is listed like an author so others follow
    // their document and see their read marks; in larger channels nobody follows thousands for nothing.
    listAuthor:
      sum.reactions.some((r) => r.on) ||
      (sum.readMarks > 0 && (f.conv.kind === 'dm' || f.memberCount() <= RECEIPT_MAX_MEMBERS)),
    record: { kind: 'author', conversationId: f.conv.id, authorId: f.actor.id, at: f.at, sum },
  };
}

/** What the moderation judge knows: the writer (a moderator here, write-authorisation.ts) and where. */
export type ModFacts = {
  actor: Actor;
  conv: ConversationRow;
  at: number;
};

/** An update to a segment's moderation document: pins and removals that name their author (T4, P16). */
export function judgeMod(changes: Changes, f: ModFacts): Verdict {
  const sum = summariseModChanges(changes);
  if (!sum.ok) return sum;
  // Both people in a DM may pin; removing someone else's words there is not theirs to do.
  if (sum.removals.length > 0 && f.conv.kind === 'dm')
    return refuse('not-a-moderator', 'messages in a direct message are deleted by their author');
  const named = [...sum.pins.map((p) => p.by), ...sum.removals.map((r) => r.by)];
  if (named.some((by) => by !== null && by !== f.actor.id))
    return refuse('forged-moderator', 'moderation entries must name their author');
  const byAuthor = new Map<string, string[]>();
  for (const r of sum.removals) {
    const { authorId, localId } = splitMessageKey(r.key);
    byAuthor.set(authorId, [...(byAuthor.get(authorId) ?? []), localId]);
  }
  return {
    ok: true,
    gone: [...byAuthor].map(([authorId, ids]) => ({ authorId, ids, why: 'removed' as const })),
    index: [],
    listAuthor: false,
    record: { kind: 'mod', conversationId: f.conv.id, by: f.actor.id, at: f.at, sum },
  };
}

/** The index is the server's to write (T5). */
export function judgeIndex(): Refusal {
  return refuse('server-only', 'the index is written by the server only');
}
