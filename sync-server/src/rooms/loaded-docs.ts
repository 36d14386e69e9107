import type { DocName, EncodedFrames } from '@commonroom/protocol';
import { SYNC_STEP1, encodeFrames, parseDocName } from '@commonroom/protocol';
import * as Y from 'yjs';
import type { DocStore } from '../storage/doc-store.ts';
import type { Timers } from '../timers.ts';
import type { Session } from './session.ts';

/**
 * Documents held in memory while someone uses them. Loading replays the stored updates; a document with many
 * updates is compacted right after loading, one document at a time, off the request path. Idle documents
 * leave memory, and a document leaving memory (idle, or the server stopping) is stored as one update
 * holding its state, so the next load reads one row and can answer a device holding nothing with it.
 */
export type LoadedDoc = {
  name: string;
  parsed: DocName;
  /**
   * The document, replayed from storage on first use: one stored with its state vector (compacted) can
   * answer a device that holds nothing without it (`get`), and a reader may never need more.
   */
  doc: Y.Doc;
  /** `doc` if it was built, without building it. */
  built(): Y.Doc | null;
  subscribers: Set<Session>;
  /** Updates applied in memory whose commit has not finished. While > 0 the document stays loaded. */
  inFlight: number;
  /** Updates applied but not yet durable, so a reload can put them back. */
  uncommitted: Uint8Array[];
  idleTimer: ReturnType<typeof setTimeout> | null;
  /** Answers computed from the current state, dropped after every transaction on `doc` (see `answers`). */
  cached: Answers;
  /**
   * `doc` cannot be trusted (an update failed to apply, say) and must be read again before any use
   * (`invalidate`): done when it is
   * next needed or right after the turn, whichever comes first.
   */
  stale: boolean;
  /** Author documents: the message ids `doc` holds, built on the first write, dropped on reload. */
  messageIds: Set<string> | null;
  /** Author documents past segment 0: this author's message ids in the conversation's older segments. */
  olderIds: Set<string> | null;
  /**
   * Shared (moderation) documents: the user each Yjs client id belongs to, stored and still committing
   * (T13). Read on the first write; dropped when a commit fails, so it is read again from storage.
   */
  clientOwners: Map<number, string> | null;
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
/**
 * The state vector of a device that holds nothing of a document (`Y.encodeStateVector` of an empty doc),
 * as `answers` keys it. A document loaded from one stored update answers it with that update.
 */
const EMPTY_SV_KEY = '\x00';
/** A stored update larger than this is not kept beside the loaded document as that answer. */
const MAX_STORED_ANSWER_BYTES = 1024 * 1024;
/** A reload that reads more rows than this stores the document compacted. */
const RELOAD_COMPACT_ROWS = 8;
/** Stopping the server stores the loaded documents compacted, the most recently loaded first, for this long. */
const SHUTDOWN_COMPACTION_MS = 2_000;

/** Re-exported for callers that take the rooms' dependencies from here (the simulation harness). */
export type { Timers };

/**
 * A LoadedDoc whose Y.Doc is built on first use. A class, with the accessor on its prototype: V8 makes an
 * object literal that defines `get doc()` / `set doc()` itself a dictionary-mode object (checked with
 * %HasFastProperties), so every property read on every entry in the write path was a hash lookup.
 */
class Entry implements LoadedDoc {
  subscribers = new Set<Session>();
  inFlight = 0;
  uncommitted: Uint8Array[] = [];
  idleTimer: ReturnType<typeof setTimeout> | null = null;
  cached: Answers = { step1: null, diffs: new Map() };
  stale = false;
  messageIds: Set<string> | null = null;
  olderIds: Set<string> | null = null;
  clientOwners: Map<number, string> | null = null;
  #doc: Y.Doc | null = null;
  #build: (() => Y.Doc) | null;
  constructor(
    readonly name: string,
    readonly parsed: DocName,
    build: () => Y.Doc,
  ) {
    this.#build = build;
  }
  get doc(): Y.Doc {
    if (this.#doc) return this.#doc;
    if (!this.#build) throw new Error(`${this.name}: no document and nothing to build it from`);
    // Kept until it succeeds: a replay that throws (an unreadable stored update) throws again next time.
    const d = this.#build();
    this.#doc = d;
    this.#build = null;
    return d;
  }
  /** A reload puts the document read again in place (it watches it itself). */
  set doc(d: Y.Doc) {
    this.#doc = d;
    this.#build = null;
  }
  built(): Y.Doc | null {
    return this.#doc;
  }
}

export type LoadedDocs = ReturnType<typeof createLoadedDocs>;

export function createLoadedDocs(deps: {
  store: DocStore;
  idleMs: number;
  compactAfter: number;
  timers: Timers;
  onError: (err: unknown, doc: string) => void;
  /** Yjs client ids for loaded documents (a simulation's seeded ones); Yjs draws its own otherwise. */
  clientIds?: () => number;
}) {
  const docs = new Map<string, LoadedDoc>();
  const compactQueue: string[] = [];
  let compacting = false;
  /** Documents read again from storage since start (`reload`): what a refusal used to cost (T12). */
  let reloads = 0;

  const replay = (name: string, updates: readonly Uint8Array[]): Y.Doc => {
    // A guid of our own: Yjs's default draws 31 random numbers, one getRandomValues call each, which was
    // a tenth of the server's CPU when a restarted server loaded every document of a reconnect storm.
    const doc = new Y.Doc({ gc: true, guid: name });
    if (deps.clientIds) doc.clientID = deps.clientIds();
    doc.transact(() => {
      for (const u of updates) Y.applyUpdate(doc, u);
    });
    return doc;
  };

  const readStored = (
    name: string,
  ): { doc: Y.Doc; count: number; lastId: number; only: Uint8Array | null } => {
    const { updates, lastId } = deps.store.load(name);
    return {
      doc: replay(name, updates),
      count: updates.length,
      lastId,
      only: updates.length === 1 ? (updates[0] ?? null) : null,
    };
  };

  /**
   * A document read from exactly one stored update: that update is the whole state, so it is the step 2
   * for a device holding nothing, until the document changes (`watch` drops it with the other answers).
   * Encoding it again was as costly as reading it, for every document a new device opens after a restart.
   */
  const keepStoredAnswer = (l: LoadedDoc, only: Uint8Array | null): void => {
    if (only && only.length <= MAX_STORED_ANSWER_BYTES) l.cached.diffs.set(EMPTY_SV_KEY, only);
  };

  /** Compacts `doc` (read or held in memory) in storage: its state and state vector replace rows ≤ `lastId`. */
  const compactStored = (name: string, lastId: number, doc: Y.Doc): void =>
    deps.store.compact(name, lastId, Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc));

  /**
   * Replaces the stored updates of a document leaving memory by one holding its state. Only when memory
   * and storage agree: nothing applied is still committing (`inFlight`), and nothing untrusted is held
   * (`stale`); every stored update up to the newest is in memory then, since all of them were either
   * read at load or applied before being committed. Synchronous, so no write can come in between.
   */
  const storeCompacted = (l: LoadedDoc): void => {
    const doc = l.built();
    // Never built: nothing changed since it was read.
    if (!doc || l.stale || l.inFlight > 0) return;
    try {
      // One update not yet stored compacted (the first ever, say) gets its state vector stored too.
      const { count, lastId, compacted } = deps.store.head(l.name);
      if (count > 1 || (count === 1 && !compacted)) compactStored(l.name, lastId, doc);
    } catch (err) {
      deps.onError(err, l.name);
    }
  };

  const compactNext = (): void => {
    const name = compactQueue.shift();
    if (name === undefined) {
      compacting = false;
      return;
    }
    try {
      const { doc, count, lastId } = readStored(name);
      if (count > 1) compactStored(name, lastId, doc);
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
  const watch = (l: LoadedDoc, doc: Y.Doc): void => {
    doc.on('afterTransaction', () => {
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
    const { updates, stateVector } = deps.store.load(name);
    const count = updates.length;
    const loaded = new Entry(name, parsed, () => {
      const d = replay(name, updates);
      // Watched after the replay, which must not drop the answers kept from the stored state.
      watch(loaded, d);
      return d;
    });
    keepStoredAnswer(loaded, count === 1 ? (updates[0] ?? null) : null);
    // Compacted with its state vector: the server's step 1 without replaying anything. Otherwise the
    // replay happens now, so a stored update that cannot be read fails here, as it always did.
    if (stateVector)
      loaded.cached.step1 = encodeFrames([
        { type: 'sync', doc: name, ref: 0, syncType: SYNC_STEP1, payload: stateVector },
      ]);
    else void loaded.doc;
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
        storeCompacted(l);
        l.built()?.destroy();
      }
    }, deps.idleMs);
  };

  /**
   * Throws away the in-memory document and reads it again: durable state plus updates still committing.
   * Used when what memory holds cannot be trusted: a commit failed, or (the safety net) an accepted update
   * failed to apply; refused updates are judged before they are applied and need none (T12).
   */
  const reload = (l: LoadedDoc): void => {
    reloads++;
    const stored = readStored(l.name);
    const { doc } = stored;
    let { only } = stored;
    // Stored compacted once it has a few rows, so the next reload reads a few: what a reload costs does not
    // grow with the updates stored since the document was loaded (docs/THREAT_MODEL.md T12). Not at every
    // reload: encoding and storing the whole state each time cost more than a few rows.
    if (stored.count > RELOAD_COMPACT_ROWS) {
      try {
        const state = Y.encodeStateAsUpdate(doc);
        deps.store.compact(l.name, stored.lastId, state, Y.encodeStateVector(doc));
        only = state;
      } catch (err) {
        deps.onError(err, l.name);
      }
    }
    for (const u of l.uncommitted) Y.applyUpdate(doc, u);
    l.built()?.destroy();
    l.doc = doc;
    l.cached.step1 = null;
    l.cached.diffs.clear();
    l.messageIds = null;
    l.stale = false;
    watch(l, doc);
    if (l.uncommitted.length === 0) keepStoredAnswer(l, only);
  };

  /**
   * Marks `l` for a reload before its next use (see `stale`), and reloads it once the current turn is done
   * if nothing needed it before: the failures of one turn cost one reload, and whoever subscribes next
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
    /**
     * Stores `name` compacted soon, from its durable rows, off the request path: after the server took
     * content out of a document (P16), its old updates, which still hold that content, are replaced.
     */
    compactSoon: (name: string): void => scheduleCompaction(name),
    loadedCount: () => docs.size,
    /** How many reloads ran (tests prove a refusal costs none: docs/THREAT_MODEL.md T12). */
    reloadCount: () => reloads,
    all: () => docs.values(),
    /**
     * Drops every document; called once commits are drained. Documents still loaded are stored compacted
     * (as if they had gone idle), the most recently loaded first, for at most SHUTDOWN_COMPACTION_MS: a
     * restart then reads one row per document it needs first. The rest keep their rows, as after a crash.
     */
    dispose(): void {
      const started = performance.now();
      for (const l of [...docs.values()].reverse()) {
        if (l.idleTimer) deps.timers.clearTimeout(l.idleTimer);
        if (performance.now() - started < SHUTDOWN_COMPACTION_MS) storeCompacted(l);
        l.built()?.destroy();
      }
      docs.clear();
      compactQueue.length = 0;
    },
  };
}
