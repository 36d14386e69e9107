import type { DocName, EncodedFrames } from '@commonroom/protocol';
import { SYNC_STEP1, encodeFrames, parseDocName } from '@commonroom/protocol';
import * as Y from 'yjs';
import type { DocStore } from '../storage/doc-store.ts';
import type { Session } from './session.ts';

/**
 * Documents held in memory while someone uses them. Loading replays the stored updates; a document with many
 * updates is compacted right after loading, one document at a time, off the request path. Idle documents
 * leave memory.
 */
export type LoadedDoc = {
  name: string;
  parsed: DocName;
  doc: Y.Doc;
  subscribers: Set<Session>;
  /** Updates applied in memory whose commit has not finished. While > 0 the document stays loaded. */
  inFlight: number;
  /** Updates applied but not yet durable, so a reload after a refused update can put them back. */
  uncommitted: Uint8Array[];
  idleTimer: ReturnType<typeof setTimeout> | null;
  /** Answers computed from the current state, dropped after every transaction on `doc` (see `answers`). */
  cached: Answers;
  /**
   * `doc` holds a refused update and must be read again before any use (`invalidate`): done when it is
   * next needed or right after the turn, whichever comes first.
   */
  stale: boolean;
  /** Author documents: the message ids `doc` holds, built on the first write, dropped on reload. */
  messageIds: Set<string> | null;
  /** Author documents past segment 0: this author's message ids in the conversation's older segments. */
  olderIds: Set<string> | null;
};

type Answers = {
  /** The server's step 1 for this document, encoded as a frame. */
  step1: EncodedFrames | null;
  /** Step 2 payloads by the client's state vector (its bytes as a latin1 string). */
  diffs: Map<string, Uint8Array>;
};

/** A reconnecting college sends the same state vectors for the same documents; a few answers are kept. */
const MAX_CACHED_DIFFS = 4;
const MAX_CACHED_DIFF_BYTES = 128 * 1024;

export type Timers = {
  setTimeout: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimeout: (t: ReturnType<typeof setTimeout>) => void;
};

export type LoadedDocs = ReturnType<typeof createLoadedDocs>;

export function createLoadedDocs(deps: {
  store: DocStore;
  idleMs: number;
  compactAfter: number;
  timers: Timers;
  onError: (err: unknown, doc: string) => void;
}) {
  const docs = new Map<string, LoadedDoc>();
  const compactQueue: string[] = [];
  let compacting = false;

  const readStored = (name: string): { doc: Y.Doc; count: number; lastId: number } => {
    const { updates, lastId } = deps.store.load(name);
    // A guid of our own: Yjs's default draws 31 random numbers, one getRandomValues call each, which was
    // a tenth of the server's CPU when a restarted server loaded every document of a reconnect storm.
    const doc = new Y.Doc({ gc: true, guid: name });
    doc.transact(() => {
      for (const u of updates) Y.applyUpdate(doc, u);
    });
    return { doc, count: updates.length, lastId };
  };

  const compactNext = (): void => {
    const name = compactQueue.shift();
    if (name === undefined) {
      compacting = false;
      return;
    }
    try {
      const { doc, count, lastId } = readStored(name);
      if (count > 1) deps.store.compact(name, lastId, Y.encodeStateAsUpdate(doc));
      doc.destroy();
    } catch (err) {
      deps.onError(err, name);
    }
    setImmediate(compactNext);
  };

  const scheduleCompaction = (name: string): void => {
    if (compactQueue.includes(name)) return;
    compactQueue.push(name);
    if (!compacting) {
      compacting = true;
      setImmediate(compactNext);
    }
  };

  /** Any transaction (an applied update, an index append, a reload) may change what the answers hold. */
  const watch = (l: LoadedDoc): void => {
    l.doc.on('afterTransaction', () => {
      l.cached.step1 = null;
      l.cached.diffs.clear();
    });
  };

  const get = (name: string): LoadedDoc => {
    const existing = docs.get(name);
    if (existing) {
      if (existing.idleTimer) deps.timers.clearTimeout(existing.idleTimer);
      existing.idleTimer = null;
      return fresh(existing);
    }
    const parsed = parseDocName(name);
    if (!parsed) throw new Error(`not a document name: ${name}`);
    const { doc, count } = readStored(name);
    const loaded: LoadedDoc = {
      name,
      parsed,
      doc,
      subscribers: new Set(),
      inFlight: 0,
      uncommitted: [],
      idleTimer: null,
      cached: { step1: null, diffs: new Map() },
      messageIds: null,
      olderIds: null,
      stale: false,
    };
    watch(loaded);
    docs.set(name, loaded);
    if (count > deps.compactAfter) scheduleCompaction(name);
    return loaded;
  };

  const maybeIdle = (l: LoadedDoc): void => {
    if (l.subscribers.size > 0 || l.inFlight > 0 || l.idleTimer) return;
    l.idleTimer = deps.timers.setTimeout(() => {
      l.idleTimer = null;
      if (l.subscribers.size === 0 && l.inFlight === 0 && docs.get(l.name) === l) {
        docs.delete(l.name);
        l.doc.destroy();
      }
    }, deps.idleMs);
  };

  /**
   * Throws away the in-memory document and reads it again: durable state plus updates still committing.
   * Used after an update was refused, because Yjs cannot un-apply one (docs/THREAT_MODEL.md T12).
   */
  const reload = (l: LoadedDoc): void => {
    const { doc } = readStored(l.name);
    for (const u of l.uncommitted) Y.applyUpdate(doc, u);
    l.doc.destroy();
    l.doc = doc;
    l.cached.step1 = null;
    l.cached.diffs.clear();
    l.messageIds = null;
    l.stale = false;
    watch(l);
  };

  /**
   * Marks `l` for a reload before its next use (see `stale`), and reloads it once the current turn is done
   * if nothing needed it before: the refusals of one turn cost one reload, and whoever subscribes next
   * (a reader catching up) does not wait for it.
   */
  const invalidate = (l: LoadedDoc): void => {
    l.cached.step1 = null;
    l.cached.diffs.clear();
    l.messageIds = null;
    if (l.stale) return;
    l.stale = true;
    setImmediate(() => {
      if (l.stale && docs.get(l.name) === l) reload(l);
    });
  };
  function fresh(l: LoadedDoc): LoadedDoc {
    if (l.stale) reload(l);
    return l;
  }

  /**
   * What a client with state vector `sv` lacks (sync step 2): exactly `Y.encodeStateAsUpdate(doc, sv)`,
   * computed once per distinct state vector while the document is unchanged. When a college reconnects,
   * the hundred members of a channel send the same state vector for each of its documents, most of which
   * did not change at all; each answer (an empty one still carries the delete set) was encoded per socket.
   * Throws like Yjs on an unusable state vector.
   */
  const diffFor = (l: LoadedDoc, sv: Uint8Array): Uint8Array => {
    fresh(l);
    const key = Buffer.from(sv.buffer, sv.byteOffset, sv.byteLength).toString('latin1');
    const hit = l.cached.diffs.get(key);
    if (hit) return hit;
    const diff = Y.encodeStateAsUpdate(l.doc, sv);
    if (diff.length <= MAX_CACHED_DIFF_BYTES) {
      if (l.cached.diffs.size >= MAX_CACHED_DIFFS)
        l.cached.diffs.delete(l.cached.diffs.keys().next().value as string);
      l.cached.diffs.set(key, diff);
    }
    return diff;
  };

  /** The server's step 1 for `l` (its state vector), encoded once while the document is unchanged. */
  const step1Of = (l: LoadedDoc): EncodedFrames =>
    (fresh(l).cached.step1 ??= encodeFrames([
      { type: 'sync', doc: l.name, ref: 0, syncType: SYNC_STEP1, payload: Y.encodeStateVector(l.doc) },
    ]));

  return {
    get,
    peek: (name: string) => docs.get(name),
    maybeIdle,
    reload,
    invalidate,
    diffFor,
    step1Of,
    loadedCount: () => docs.size,
    all: () => docs.values(),
    dispose(): void {
      for (const l of docs.values()) {
        if (l.idleTimer) deps.timers.clearTimeout(l.idleTimer);
        l.doc.destroy();
      }
      docs.clear();
      compactQueue.length = 0;
    },
  };
}
