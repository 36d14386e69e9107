import { LIMITS, type RefusalCode } from '@commonroom/protocol';
import type { Changes, Insert } from './inspect.ts';
import {
  DeviceId,
  EditRecord,
  Emoji,
  LocalId,
  MessageKey,
  MessageRecord,
  ModRecord,
  ReadSeq,
  Timestamp,
  splitReactionKey,
} from './records.ts';

/**
 * Shape rules for each document kind (docs/THREAT_MODEL.md T2–T5). They see only what an update changed and
 * say what it means; who may make the change is the server's policy, decided by document name.
 */

export type Refusal = { ok: false; code: RefusalCode; message: string };
const refuse = (code: RefusalCode, message: string): Refusal => ({ ok: false, code, message });

export type AuthorSummary = {
  ok: true;
  messages: MessageRecord[];
  edits: { localId: string; text: string; ts: number }[];
  deletes: { localId: string; ts: number }[];
  reactions: { key: string; emoji: string; on: boolean }[];
  readMarks: number;
  /** The highest read mark and read time the update sets (0 when none): the server bounds them (P8). */
  maxReadSeq: number;
  maxReadAt: number;
};

function plain(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const ID = /^[A-Za-z0-9_-]{1,40}$/;
const KEY = /^[A-Za-z0-9_-]{1,40}:[A-Za-z0-9_-]{1,40}$/;
const MAX_TS = 8_640_000_000_000_000;

/**
 * The common shape of a new message checked by hand: every server write runs this, and the schema parse
 * was a measurable share of the server's CPU under load. It accepts a strict subset of what
 * `MessageRecord` accepts (a plain object with only its keys, each as the schema demands); anything else,
 * valid or not, goes to the schema, which decides and words the refusal.
 */
function plainMessage(v: unknown): MessageRecord | null {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return null;
  const r = v as Record<string, unknown>;
  for (const k in r)
    if (k !== 'id' && k !== 'text' && k !== 'ts' && k !== 'parent' && k !== 'alsoChannel') return null;
  const { id, text, ts, parent, alsoChannel } = r;
  if (typeof id !== 'string' || !ID.test(id)) return null;
  if (typeof text !== 'string' || text.length > LIMITS.maxMessageChars || text.trim().length === 0)
    return null;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0 || ts > MAX_TS) return null;
  if ('parent' in r && (typeof parent !== 'string' || !KEY.test(parent))) return null;
  if ('alsoChannel' in r && typeof alsoChannel !== 'boolean') return null;
  const m: MessageRecord = { id, text, ts };
  if (typeof parent === 'string') m.parent = parent;
  if (typeof alsoChannel === 'boolean') m.alsoChannel = alsoChannel;
  return m;
}

export function summariseAuthorChanges(changes: Changes): AuthorSummary | Refusal {
  const out: AuthorSummary = {
    ok: true,
    messages: [],
    edits: [],
    deletes: [],
    reactions: [],
    readMarks: 0,
    maxReadSeq: 0,
    maxReadAt: 0,
  };
  for (const ins of changes.inserts) {
    let refusal: Refusal | null;
    switch (ins.root) {
      case 'msgs':
        refusal = addMessages(ins, out);
        break;
      case 'edits':
      case 'del':
      case 'react':
      case 'read':
      case 'readAt':
        if (ins.key === null || ins.values.length !== 1)
          return refuse('bad-shape', `${ins.root} holds keyed values`);
        refusal = addKeyed(ins, ins.key, ins.values[0], out);
        break;
      default:
        return refuse('bad-shape', `unknown part "${ins.root}" in an author document`);
    }
    if (refusal) return refusal;
  }
  return checkAuthorRemovals(changes, out) ?? out;
}

function addMessages(ins: Insert, out: AuthorSummary): Refusal | null {
  if (ins.key !== null) return refuse('bad-shape', 'messages are a list, not a map');
  for (const v of ins.values) {
    const quick = plainMessage(v);
    if (quick) {
      if (!ins.deleted) out.messages.push(quick);
      continue;
    }
    const m = MessageRecord.safeParse(v);
    if (!m.success) return refuse('bad-message', m.error.issues[0]?.message ?? 'invalid message');
    if (!ins.deleted) out.messages.push(m.data);
  }
  return null;
}

/** One value set at `key` in a keyed part (edits, del, react, read, readAt). */
function addKeyed(ins: Insert, key: string, value: unknown, out: AuthorSummary): Refusal | null {
  if (ins.root === 'edits') {
    if (!LocalId.safeParse(key).success) return refuse('bad-shape', 'edit of an invalid message id');
    const e = EditRecord.safeParse(value);
    if (!e.success) return refuse('bad-edit', e.error.issues[0]?.message ?? 'invalid edit');
    if (e.data.text.trim().length === 0)
      return refuse('bad-edit', 'an edit cannot empty a message; delete it');
    if (!ins.deleted) out.edits.push({ localId: key, ...e.data });
  } else if (ins.root === 'del') {
    if (!LocalId.safeParse(key).success) return refuse('bad-shape', 'delete of an invalid message id');
    if (!Timestamp.safeParse(value).success) return refuse('bad-shape', 'delete needs a time');
    if (!ins.deleted) out.deletes.push({ localId: key, ts: value as number });
  } else if (ins.root === 'react') {
    const r = splitReactionKey(key);
    if (!r || !MessageKey.safeParse(r.key).success || !Emoji.safeParse(r.emoji).success)
      return refuse('bad-reaction', `invalid reaction "${plain(key)}"`);
    if (!Timestamp.safeParse(value).success) return refuse('bad-reaction', 'reaction needs a time');
    if (!ins.deleted) out.reactions.push({ key: r.key, emoji: r.emoji, on: true });
  } else if (ins.root === 'read') {
    if (!DeviceId.safeParse(key).success || !ReadSeq.safeParse(value).success)
      return refuse('bad-read', 'invalid read mark');
    out.readMarks++;
    out.maxReadSeq = Math.max(out.maxReadSeq, value as number);
  } else {
    if (!DeviceId.safeParse(key).success || !Timestamp.safeParse(value).success)
      return refuse('bad-read', 'invalid read time');
    out.maxReadAt = Math.max(out.maxReadAt, value as number);
  }
  return null;
}

/** What the update takes away: only reactions (noted in `out`) and replaced delete marks may go. */
function checkAuthorRemovals(changes: Changes, out: AuthorSummary): Refusal | null {
  // Marks this update leaves in place. A mark it sets and takes away again in the same update is no
  // replacement: counting it would let "set, then delete" erase the stored mark (issue 12 D13).
  const setDels = new Set(changes.inserts.filter((i) => i.root === 'del' && !i.deleted).map((i) => i.key));
  for (const r of changes.removals) {
    // Messages are never removed from the list: deletion is a mark in `del`, so the server keeps the record.
    if (r.root === 'msgs') return refuse('bad-shape', 'messages are deleted with a mark, not removed');
    // Setting a mark again replaces it (a removal with an insert of the same key); taking one away would
    // bring a deleted message back for everyone.
    if (r.root === 'del' && !setDels.has(r.key))
      return refuse('bad-delete', 'a deleted message cannot be brought back');
    if (r.root === 'react' && r.key !== null) {
      const k = splitReactionKey(r.key);
      if (k) out.reactions.push({ key: k.key, emoji: k.emoji, on: false });
    }
  }
  return null;
}

export type ModSummary = {
  ok: true;
  pins: { key: string; on: boolean; by: string | null }[];
  removals: { key: string; by: string; reason: string | undefined }[];
};

export function summariseModChanges(changes: Changes): ModSummary | Refusal {
  const out: ModSummary = { ok: true, pins: [], removals: [] };
  for (const ins of changes.inserts) {
    if (ins.root !== 'pins' && ins.root !== 'removed')
      return refuse('bad-shape', `unknown part "${ins.root}" in a moderation document`);
    if (ins.key === null || ins.values.length !== 1 || !MessageKey.safeParse(ins.key).success)
      return refuse('bad-shape', 'moderation entries are keyed by message');
    const rec = ModRecord.safeParse(ins.values[0]);
    if (!rec.success) return refuse('bad-moderation', rec.error.issues[0]?.message ?? 'invalid entry');
    if (ins.deleted) continue;
    if (ins.root === 'pins') out.pins.push({ key: ins.key, on: true, by: rec.data.by });
    else out.removals.push({ key: ins.key, by: rec.data.by, reason: rec.data.reason });
  }
  /** Messages this update (still) marks removed: a concurrent removal replacing another one is no undo. */
  const stillRemoved = new Set(
    changes.inserts.filter((i) => i.root === 'removed' && !i.deleted && i.key !== null).map((i) => i.key),
  );
  for (const r of changes.removals) {
    // A moderator removal stands: undoing it would let a later moderator silently restore a hidden message.
    // Two moderators removing the same message at once is fine: the map keeps one of the two records.
    if (r.root === 'removed' && (r.key === null || !stillRemoved.has(r.key)))
      return refuse('bad-moderation', 'a moderator removal cannot be undone by an update');
    if (r.root === 'pins' && r.key !== null) out.pins.push({ key: r.key, on: false, by: null });
  }
  return out;
}
