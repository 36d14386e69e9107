import { LIMITS, SYNC_UPDATE, type Frame } from '@commonroom/protocol';
import * as Y from 'yjs';
import { applyAction, type ActionPayloads } from './actions.ts';
import { isFollowed, isIncomplete } from './doc-state.ts';
import type { Timers } from './connection.ts';
import type { PeerEvent } from './peers.ts';
import type { Replica, Replicas } from './replicas.ts';
import type { ActionKind, EngineStorage, OutboxEntry } from './storage.ts';

/**
 * The outbox: actions taken on this device that the server has not acknowledged. An action is stored with
 * its change before anyone hears "saved", sent in few merged frames, and leaves only when the server has it
 * or the person dismisses its refusal (P5, P10, P12).
 */

/** Unacknowledged frames per document before further actions wait and are merged. */
const WINDOW = 4;
const MAX_ACTIONS_PER_FRAME = 256;
/** Leaves room under the 64 KiB frame limit for the frame header and merge overhead. */
const MAX_FRAME_PAYLOAD = 48 * 1024;
/** The Yjs client ids an outbox update writes as (read once per update: the bytes never change). */
const writerCache = new WeakMap<Uint8Array, readonly number[]>();
const writersOf = (update: Uint8Array): readonly number[] => {
  let ids = writerCache.get(update);
  if (!ids) writerCache.set(update, (ids = [...Y.parseUpdateMeta(update).from.keys()]));
  return ids;
};

/** Applies an action to a replica and returns the update it made (null: nothing new, already there). */
export function applyCaptured(
  r: Replica,
  kind: ActionKind,
  payload: Record<string, unknown>,
): Uint8Array | null {
  const token = {};
  let update: Uint8Array | null = null;
  const capture = (u: Uint8Array, origin: unknown): void => {
    if (origin === token) update = u;
  };
  r.doc.on('update', capture);
  try {
    r.doc.transact(() => applyAction(r.doc, kind, payload), token);
  } finally {
    r.doc.off('update', capture);
  }
  return update;
}

/** One frame on its way: the entries it carried, and the rebuild generation of its document it was sent in. */
export type InflightFrame = { doc: string; ids: string[]; generation: number };

export type Outbox = ReturnType<typeof createOutbox>;

export function createOutbox(deps: {
  storage: EngineStorage;
  replicas: Replicas;
  now: () => number;
  timers: Timers;
  backoff: { minMs: number; maxMs: number };
  newId: () => string;
  nextRef: () => number;
  isOnline: () => boolean;
  send: (frames: Frame[]) => boolean;
  subscribe: (rs: Replica[]) => void;
  emit: () => void;
  toPeers: (e: PeerEvent) => void;
}) {
  const { storage, replicas } = deps;
  const entries = new Map<string, OutboxEntry>();
  /** The order of the latest action taken here (kept on the device; see `act`). */
  let order = 0;
  /**
   * Per-entry marks, independent of the document's state (an entry moves between documents, and one
   * document holds entries in every one of these at once):
   * `unsaved`: the device write of the entry is still running (shown as "saving", see act);
   * `deferred`: taken while its document awaited its copy, not applied yet; the replay applies it;
   * `isolated`: carried by a refused frame of several, so it goes alone in its frame until settled, to find
   * which one the server refuses. Only those: actions taken since go merged as usual (when a whole document
   * went one action per frame, a device that kept acting never merged again; issue 12 B6).
   */
  const unsaved = new Set<string>();
  const deferred = new Set<string>();
  /** id → the document it was isolated in (an entry moved since to a newer segment goes merged there). */
  const isolated = new Map<string, string>();
  /** ref → the outbox entries one frame carried. */
  const inflight = new Map<number, InflightFrame>();
  /** How many times each document was rebuilt: a frame sent before the latest rebuild is answered late. */
  const generations = new Map<string, number>();
  /**
   * After a `slow-down` refusal nothing is sent until this time (P10, P12): the server refuses the person's
   * new messages until then, and each frame refused meanwhile would cost a rebuild. The waits grow like
   * the reconnect backoff while refusals repeat, and start again small after an acknowledgement.
   */
  let slowedUntil: number | null = null;
  let slowDowns = 0;

  const generationOf = (doc: string): number => generations.get(doc) ?? 0;
  const pending = (): OutboxEntry[] => [...entries.values()].filter((e) => e.status === 'pending');

  /** The isolated entries still waiting in `doc` (the others are forgotten). */
  const suspectsOf = (doc: string): Set<string> => {
    const ids = new Set<string>();
    for (const [id, d] of isolated) {
      if (d !== doc) continue;
      const e = entries.get(id);
      if (!e || e.doc !== doc || e.status !== 'pending') isolated.delete(id);
      else ids.add(id);
    }
    return ids;
  };

  /**
   * Actions of `doc` on their way in the current form. One sent before the latest rebuild is sent again in
   * the rebuilt copy's form at once: waiting for its old frame's answer, the actions after it would be
   * refused for depending on it (`missing-history`), round after round. The server keeps one form (P14).
   */
  const inflightIds = (doc: string): Set<string> => {
    const generation = generationOf(doc);
    const ids = new Set<string>();
    for (const f of inflight.values())
      if (f.doc === doc && f.generation === generation) for (const id of f.ids) ids.add(id);
    return ids;
  };
  const inflightFramesFor = (doc: string): number => {
    let n = 0;
    for (const f of inflight.values()) if (f.doc === doc) n++;
    return n;
  };

  /** The next frame's entries from `waiting[from]` on: within every bound the server sets (P10). */
  const chunkFrom = (
    waiting: readonly OutboxEntry[],
    from: number,
    suspects: ReadonlySet<string>,
  ): OutboxEntry[] => {
    const chunk: OutboxEntry[] = [];
    let bytes = 0;
    // New messages per frame are bounded by the server too (P10): a backlog goes in several frames.
    let sends = 0;
    const writers = new Set<number>();
    for (let i = from; i < waiting.length && chunk.length < MAX_ACTIONS_PER_FRAME; i++) {
      const e = waiting[i] as OutboxEntry;
      // An isolated entry goes alone: the frame before it ends here, and the one it starts ends after it.
      if (chunk.length > 0 && (suspects.has(e.id) || suspects.has((chunk[0] as OutboxEntry).id))) break;
      const size = e.update?.length ?? 0;
      if (chunk.length > 0 && bytes + size > MAX_FRAME_PAYLOAD) break;
      if (e.kind === 'send' && sends === LIMITS.maxNewMessagesPerFrame) break;
      // Each session (and rebuild) writes as a new Yjs client id: a backlog kept over many of them goes
      // in several frames, each within the server's bound on client ids per update (P10).
      const ids = writersOf(e.update as Uint8Array);
      if (chunk.length > 0 && new Set([...writers, ...ids]).size > LIMITS.maxClientsPerUpdate) break;
      for (const c of ids) writers.add(c);
      if (e.kind === 'send') sends++;
      chunk.push(e);
      bytes += size;
    }
    return chunk;
  };

  /**
   * Sends what waits for `doc`, keeping at most WINDOW frames unacknowledged. Whatever piles up meanwhile
   * (a fast writer, an offline backlog) goes merged into few frames, each under the frame limit (P10).
   */
  const sendPendingFor = (doc: string): void => {
    const r = replicas.get(doc);
    // A resting document (another tab acted on it) is followed first; its step 2 sends what waits.
    if (r && !isFollowed(r.follow) && deps.isOnline()) return deps.subscribe([r]);
    if (!r || r.follow.kind !== 'synced' || isIncomplete(r.phase)) return;
    if (!deps.isOnline() || slowedUntil !== null) return;
    const flying = inflightIds(doc);
    const waiting = [...entries.values()]
      .filter((e) => e.doc === doc && e.status === 'pending' && e.update !== null && !flying.has(e.id))
      .sort((a, b) => a.order - b.order);
    const suspects = suspectsOf(doc);
    let frames = inflightFramesFor(doc);
    let i = 0;
    while (i < waiting.length && frames < WINDOW) {
      const chunk = chunkFrom(waiting, i, suspects);
      i += chunk.length;
      const updates = chunk.map((e) => e.update as Uint8Array);
      const payload = updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
      const ref = deps.nextRef();
      inflight.set(ref, { doc, ids: chunk.map((e) => e.id), generation: generationOf(doc) });
      // A new message is named by its own id; every other action by the entry's, so the server stores
      // each once however often a rebuild re-applies it (P14).
      const actions = chunk.filter((e) => e.kind !== 'send').map((e) => e.id);
      const frame: Frame = { type: 'sync', doc, ref, syncType: SYNC_UPDATE, payload };
      if (!deps.send([actions.length > 0 ? { ...frame, actions } : frame])) {
        inflight.delete(ref);
        return;
      }
      frames++;
    }
  };

  /**
   * Done (or given up on): out of the outbox here at once; the returned write takes them off the device and
   * out of the other tabs. Split so that a caller can order that write after another (see answers.ts).
   */
  const forget = (done: readonly OutboxEntry[]): (() => Promise<void>) => {
    // Out of memory at once, before the first (slow) device write: an entry still here while the others'
    // deletes are awaited is no longer in flight, and would be sent again, merged with whatever comes next.
    for (const e of done) entries.delete(e.id);
    return async () => {
      for (const e of done) await storage.deleteOutbox(e.id);
      if (done.length > 0) deps.toPeers({ t: 'outbox-del', ids: done.map((e) => e.id) });
    };
  };
  /** Done (or given up on): out of the outbox, here, on the device and in the other tabs. */
  const drop = (done: readonly OutboxEntry[]): Promise<void> => forget(done)();

  const act = async <K extends ActionKind>(
    conversationId: string,
    doc: string,
    kind: K,
    payload: ActionPayloads[K],
  ): Promise<OutboxEntry | null> => {
    const r = await replicas.open(doc);
    // Writing to a document not yet followed (one's own in an older segment): follow it to send.
    if (!isFollowed(r.follow) && deps.isOnline()) deps.subscribe([r]);
    // The entry is in the outbox before the change is visible, so no one ever sees it as "sent" early.
    const entry: OutboxEntry = {
      id: deps.newId(),
      // Roughly time-ordered, so actions taken in two tabs of one browser interleave in the order taken.
      order: (order = Math.max(order + 1, deps.now() * 1000)),
      conversationId,
      doc,
      kind,
      payload,
      createdAt: deps.now(),
      update: null,
      status: 'pending',
      error: null,
    };
    entries.set(entry.id, entry);
    // Until the device write finishes the person sees "saving", never "waiting to send": closing the app
    // in that moment loses it, so the promise of "waiting" must wait for the write.
    unsaved.add(entry.id);
    if (isIncomplete(r.phase)) {
      // The replica is empty until the server's copy arrives, then partly replayed (P12). Applied to it,
      // this action would be decided against nothing (a reaction not there to take off, no read mark to move
      // back) and would not follow the edit before it, so an older value could win. The replay applies it
      // to the server's copy, after the actions taken before it.
      deferred.add(entry.id);
      await storage.putOutbox(entry);
      await storage.setMeta('order', order);
      unsaved.delete(entry.id);
      deps.toPeers({ t: 'outbox-put', entry });
      deps.emit();
      return entry;
    }
    const update = applyCaptured(r, kind, payload);
    if (update === null) {
      entries.delete(entry.id);
      unsaved.delete(entry.id);
      return null;
    }
    // Durable on the device before the caller hears "saved" (the UI then shows "waiting to send").
    await replicas.commitLocal(r, update, { ...entry, update });
    await storage.setMeta('order', order);
    unsaved.delete(entry.id);
    deps.emit();
    // A rebuild's replay may have applied this action again meanwhile, to the fresh copy (or found nothing
    // left to do): that is what counts. This update belongs to the copy thrown away; sent late, it could
    // win over newer values.
    if (entry.update !== null || !entries.has(entry.id) || entry.doc !== doc) return entry;
    entry.update = update;
    deps.toPeers({ t: 'doc', doc, update });
    deps.toPeers({ t: 'outbox-put', entry });
    deps.emit();
    sendPendingFor(doc);
    return entry;
  };

  return {
    entries,
    unsaved,
    deferred,
    inflight,
    act,
    forget,
    drop,
    sendPendingFor,
    pending,
    /** Documents with actions waiting to send. */
    waitingDocs: (): Set<string> => new Set(pending().map((e) => e.doc)),
    hasPendingIn: (doc: string): boolean => pending().some((e) => e.doc === doc),
    /** The entries of a refused frame of several go alone until each is settled (P12). */
    isolate: (doc: string, refused: readonly OutboxEntry[]): void => {
      for (const e of refused) isolated.set(e.id, doc);
    },
    /** Nothing waits in `doc` any more: none of it is isolated. */
    unisolate: (doc: string): void => {
      for (const [id, d] of isolated) if (d === doc) isolated.delete(id);
    },
    generationOf,
    /** The document is rebuilt: frames sent before are answered late, and resent in the new form. */
    nextGeneration: (doc: string): void => {
      generations.set(doc, generationOf(doc) + 1);
    },
    order: (): number => order,
    /** Takes an entry stored here by another tab, or found on the device at a start. */
    adopt: (e: OutboxEntry): void => {
      entries.set(e.id, e);
      order = Math.max(order, e.order);
    },
    restoreOrder: (stored: unknown): void => {
      order = typeof stored === 'number' ? stored : 0;
    },
    slowedUntil: (): number | null => slowedUntil,
    /** `slow-down` (P10): nothing is sent for a pause, then everything waiting is (see `slowedUntil`). */
    slowDown: (): void => {
      if (slowedUntil !== null) return;
      const delay = Math.min(deps.backoff.maxMs, deps.backoff.minMs * 2 ** Math.min(slowDowns, 16));
      slowDowns++;
      slowedUntil = deps.now() + delay;
      deps.timers.setTimeout(() => {
        slowedUntil = null;
        for (const d of new Set(pending().map((e) => e.doc))) sendPendingFor(d);
        deps.emit();
      }, delay);
    },
    /** The server took a frame: the next pause starts small again. */
    acknowledged: (): void => {
      slowDowns = 0;
    },
    /** The socket dropped: no frame is on its way any more. */
    offline: (): void => {
      inflight.clear();
    },
    clear: (): void => {
      entries.clear();
    },
  };
}
