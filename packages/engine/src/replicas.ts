import { parseDocName, type DocName } from '@commonroom/protocol';
import * as Y from 'yjs';
import { UNFOLLOWED, WHOLE, isIncomplete, type Follow, type Phase } from './doc-state.ts';
import type { EngineStorage, OutboxEntry } from './storage.ts';

/**
 * The device's copies of documents: loaded from storage on first use, every change written back, compacted
 * when the update list grows. Knows nothing of the network.
 */

export type Replica = {
  name: string;
  parsed: DocName;
  doc: Y.Doc;
  /** With the server on the current connection (doc-state.ts). */
  follow: Follow;
  /** After refusals of its own actions: whole, or being rebuilt from the server (doc-state.ts, P12). */
  phase: Phase;
  storedUpdates: number;
  /** Goes up with every change to the document (or its replacement): views are cached against it. */
  version: number;
  /**
   * The server took message content out of this document (P16) and the stored rows still hold it: the
   * next compaction that can run clears this (one skipped while a local action is being stored runs when
   * that action is stored).
   */
  purgeWanted: boolean;
};

export const REMOTE = Symbol('remote');
/** A change another tab already stored: applied here, neither stored again nor passed on. */
export const PEER = Symbol('peer');
/** Stored rows (server changes and local actions alike) a document may gather before it is compacted. */
export const COMPACT_AFTER = 200;

/** The prefix every document of one segment of a conversation shares (see `formatDocName`). */
export const segmentPrefix = (conversationId: string, segment: number): string =>
  `c/${conversationId}/${segment}/`;

export type Replicas = ReturnType<typeof createReplicas>;

/** Whether transaction `tr` deleted a message or an edit's text (not a read mark or a reaction). */
function removesContent(doc: Y.Doc, tr: Y.Transaction): boolean {
  const msgs = doc.getArray('msgs');
  const edits = doc.getMap('edits');
  let found = false;
  Y.iterateDeletedStructs(tr, tr.deleteSet, (s) => {
    if (!found && s instanceof Y.Item && (s.parent === msgs || s.parent === edits)) found = true;
  });
  return found;
}

export function createReplicas(deps: {
  storage: EngineStorage;
  onChange: (r: Replica) => void;
  onError: (err: unknown) => void;
  /** A change from the server was stored (other tabs apply the same bytes). */
  onStored?: (r: Replica, update: Uint8Array) => void;
  /** Tests lower it; `COMPACT_AFTER` otherwise. */
  compactAfter?: number;
  /**
   * Whether a local action on this document, other than `except`, is applied but still being stored (no
   * compaction then).
   */
  isSaving?: (doc: string, except?: string) => boolean;
  /** Yjs client ids for new documents (a simulation's seeded ones); Yjs draws its own otherwise. */
  clientIds?: () => number;
}) {
  const newDoc = (): Y.Doc => {
    const doc = new Y.Doc();
    if (deps.clientIds) doc.clientID = deps.clientIds();
    return doc;
  };
  const compactAfter = deps.compactAfter ?? COMPACT_AFTER;
  const replicas = new Map<string, Replica>();
  const loading = new Map<string, Promise<Replica>>();
  /** Storage writes run one after another, in the order changes happened. */
  let writes: Promise<void> = Promise.resolve();

  /**
   * Replaces the document's stored rows by one state update, on the write queue. The merge runs inside the
   * storage write (see `compactDoc`): rows stored meanwhile by another tab are applied here first, so
   * nothing stored is lost; a local change is in the document before it is stored (commitLocal), so every
   * stored row is in the state written. Skipped if the document was replaced (rebuilt) in between.
   */
  /** `storing`: the outbox entry whose commit triggered this one (stored by now, so not "still saving"). */
  const compact = (r: Replica, storing?: string): void => {
    r.storedUpdates = 1;
    const doc = r.doc;
    writes = writes
      .then(() =>
        deps.storage.compactDoc(r.name, (stored) => {
          // A local action applied but not yet stored with its outbox entry would be written here without
          // one: were the app closed now, the device would hold a change it never sends. Later, then.
          if (r.doc !== doc || isIncomplete(r.phase) || deps.isSaving?.(r.name, storing)) return null;
          if (stored.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(stored), PEER);
          // The state of a garbage-collecting Y.Doc: deleted items' content is not in it (P16).
          r.purgeWanted = false;
          return Y.encodeStateAsUpdate(doc);
        }),
      )
      .catch(deps.onError);
  };

  /** Runs `write` on the write queue; its failure is the caller's (the queue goes on). */
  const queued = (write: () => Promise<void>): Promise<void> => {
    const run = writes.then(write);
    writes = run.catch(() => undefined);
    return run;
  };

  const persist = (r: Replica, update: Uint8Array): void => {
    r.storedUpdates++;
    if (r.storedUpdates > compactAfter) {
      compact(r);
      return;
    }
    writes = writes.then(() => deps.storage.appendDocUpdate(r.name, update)).catch(deps.onError);
  };

  const attach = (r: Replica): void => {
    const doc = r.doc;
    r.doc.on('update', (update: Uint8Array, origin: unknown, _d: Y.Doc, tr: Y.Transaction) => {
      // Local actions are stored with their outbox entry (commitLocal); only remote changes are stored here.
      if (origin === REMOTE) {
        persist(r, update);
        deps.onStored?.(r, update);
        // The server took a message's words out (P16): the rows stored before still hold them. Compacted
        // now, the device's storage holds only the state, where Yjs kept no deleted content.
        if (r.parsed.kind === 'author' && removesContent(doc, tr)) {
          r.purgeWanted = true;
          compact(r);
        }
      }
    });
    r.version++;
    r.doc.on('afterTransaction', () => {
      r.version++;
      deps.onChange(r);
    });
  };

  const create = (name: string, parsed: DocName, updates: readonly Uint8Array[]): Replica => {
    const doc = newDoc();
    for (const u of updates) Y.applyUpdate(doc, u, 'storage');
    const r: Replica = {
      name,
      parsed,
      doc,
      follow: UNFOLLOWED,
      phase: WHOLE,
      storedUpdates: updates.length,
      version: 0,
      purgeWanted: false,
    };
    attach(r);
    replicas.set(name, r);
    return r;
  };

  const load = async (name: string): Promise<Replica> => {
    const parsed = parseDocName(name);
    if (!parsed) throw new Error(`not a document name: ${name}`);
    const updates = await deps.storage.loadDoc(name);
    return replicas.get(name) ?? create(name, parsed, updates);
  };

  return {
    get: (name: string): Replica | undefined => replicas.get(name),
    async open(name: string): Promise<Replica> {
      const r = replicas.get(name);
      if (r) return r;
      let p = loading.get(name);
      if (!p) {
        p = load(name).finally(() => loading.delete(name));
        loading.set(name, p);
      }
      return p;
    },
    /**
     * Opens `names` and every other document stored under `prefix` (one segment's: `segmentPrefix`) with
     * one storage read; a name with nothing stored opens empty. Returns the replicas of `names`, in order.
     */
    async openSegment(prefix: string, names: readonly string[]): Promise<Replica[]> {
      const parsed = names.map((name) => {
        const p = parseDocName(name);
        if (!p || !name.startsWith(prefix)) throw new Error(`not a document of ${prefix}: ${name}`);
        return p;
      });
      if (names.every((n) => replicas.has(n))) return names.map((n) => replicas.get(n) as Replica);
      const stored = await deps.storage.loadDocsWithPrefix(prefix);
      // Opened meanwhile (or being loaded by `open`, which then finds this one): the first copy stays.
      for (const [name, updates] of stored) {
        const p = replicas.has(name) ? null : parseDocName(name);
        if (p) create(name, p, updates);
      }
      return names.map((n, i) => replicas.get(n) ?? create(n, parsed[i] as DocName, []));
    },
    /**
     * Commits a local change with its outbox entry (atomically), counted toward compaction like any row. On
     * the write queue like every other write of a document: issued straight to storage, a replay's commit
     * could run before the clearing of the copy it replaced (`reset`), queued earlier, and be deleted by it.
     */
    async commitLocal(r: Replica, update: Uint8Array, entry: OutboxEntry): Promise<void> {
      await queued(() => deps.storage.commitLocal(r.name, update, entry));
      r.storedUpdates++;
      if (r.storedUpdates > compactAfter || r.purgeWanted) compact(r, entry.id);
    },
    /** Stores a replay's change and outbox entries with one write (see `EngineStorage.commitReplay`). */
    async commitReplay(
      r: Replica,
      update: Uint8Array | null,
      entries: readonly OutboxEntry[],
      done: readonly string[],
    ): Promise<void> {
      await queued(() => deps.storage.commitReplay(r.name, update, entries, done));
      if (update === null) return;
      r.storedUpdates++;
      if (r.storedUpdates > compactAfter || r.purgeWanted) compact(r);
    },
    /** Compacts, on the write queue, the open documents that were loaded with too many rows. */
    compactOversized(): void {
      for (const r of replicas.values()) if (r.storedUpdates > compactAfter) compact(r);
    },
    all: (): IterableIterator<Replica> => replicas.values(),
    applyRemote(r: Replica, update: Uint8Array): void {
      Y.applyUpdate(r.doc, update, REMOTE);
    },
    applyPeer(r: Replica, update: Uint8Array): void {
      Y.applyUpdate(r.doc, update, PEER);
    },
    /** Another tab rebuilt this document: take its state, in memory only (that tab stored it). */
    replaceFromPeer(r: Replica, state: Uint8Array): void {
      r.doc.destroy();
      r.doc = newDoc();
      attach(r);
      Y.applyUpdate(r.doc, state, PEER);
    },
    /**
     * Replaces the document with an empty one and forgets what was stored; the server's copy comes next.
     * The stored entries of the document lose their updates in the same write (`resetDoc`), so an app
     * closed before the replay stores new ones starts by rebuilding the document again; the entries here
     * keep theirs, which the replay compares with the server's copy.
     */
    async reset(r: Replica): Promise<void> {
      r.doc.destroy();
      r.doc = newDoc();
      attach(r);
      r.storedUpdates = 0;
      await (writes = writes.then(() => deps.storage.resetDoc(r.name)).catch(deps.onError));
    },
    async forget(name: string): Promise<void> {
      const r = replicas.get(name);
      replicas.delete(name);
      r?.doc.destroy();
      await (writes = writes.then(() => deps.storage.deleteDoc(name)).catch(deps.onError));
    },
    flushWrites: (): Promise<void> => writes,
    /** Runs `write` on the write queue: after every clearing and commit queued before it. */
    afterWrites: (write: () => Promise<void>): Promise<void> => queued(write),
    clear(): void {
      for (const r of replicas.values()) r.doc.destroy();
      replicas.clear();
    },
  };
}
