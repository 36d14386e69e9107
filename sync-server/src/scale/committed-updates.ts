import { ByteReader, DecodeError, LIMITS } from '@commonroom/protocol';
import * as encoding from 'lib0/encoding';

/**
 * What an owner publishes on a conversation's topic after COMMIT (docs/SCALE-OUT.md §5), and how a replica
 * decides what to do with it. The bytes come from another process through Redis: decoded with limits like
 * any frame, and a bad message is reported, never applied.
 *
 * Ids of one document rise by one per stored update, so a message carries the id before its first update
 * (`afterId`) and its updates have ids `afterId + 1 …`. A head announcement is a message with no updates: the
 * document is at `afterId`.
 */
export type CommittedUpdates = { doc: string; afterId: number; updates: Uint8Array[] };

/** Version byte first, so a rolling upgrade can tell messages of another format apart. */
const FORMAT = 1;
/** Far above a commit's updates of one document; a message claiming more is malformed. */
const MAX_UPDATES = 10_000;

export function encodeCommittedUpdates(m: CommittedUpdates): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeUint8(e, FORMAT);
  encoding.writeVarString(e, m.doc);
  encoding.writeVarUint(e, m.afterId);
  encoding.writeVarUint(e, m.updates.length);
  for (const u of m.updates) encoding.writeVarUint8Array(e, u);
  return encoding.toUint8Array(e);
}

export function decodeCommittedUpdates(
  bytes: Uint8Array,
): { ok: true; message: CommittedUpdates } | { ok: false; why: string } {
  try {
    const r = new ByteReader(bytes);
    const format = r.byte();
    if (format !== FORMAT) return { ok: false, why: `unknown format ${format}` };
    const doc = r.varString(LIMITS.maxDocNameLength);
    const afterId = r.varUint();
    const n = r.varUint();
    if (n > MAX_UPDATES) return { ok: false, why: `${n} updates in one message` };
    const updates: Uint8Array[] = [];
    for (let i = 0; i < n; i++) updates.push(r.varBytes().slice());
    if (r.remaining > 0) return { ok: false, why: `${r.remaining} bytes after the message` };
    return { ok: true, message: { doc, afterId, updates } };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, why: err.message };
    throw err;
  }
}

/**
 * What a replica holding a document up to `heldId` does with a message for it:
 * - `apply` the updates it lacks (an overlap with what it holds is cut off), then hold up to `lastId`;
 * - `duplicate`: it holds all of it already (Yjs would ignore it; skipping saves the work);
 * - `gap`: it missed ids between `heldId` and the message's: load `loadAfter(doc, heldId)` from storage
 *   instead (that includes this message's updates, committed before it was published).
 */
export type Arrival =
  { kind: 'apply'; updates: Uint8Array[]; lastId: number } | { kind: 'duplicate' } | { kind: 'gap' };

export function judgeArrival(heldId: number, m: CommittedUpdates): Arrival {
  const lastId = m.afterId + m.updates.length;
  if (m.afterId > heldId) return { kind: 'gap' };
  if (lastId <= heldId) return { kind: 'duplicate' };
  return { kind: 'apply', updates: m.updates.slice(heldId - m.afterId), lastId };
}
