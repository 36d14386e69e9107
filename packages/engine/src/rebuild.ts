import { authorRoots, messageKey, readMarksOf } from '@commonroom/model';
import type { Frame } from '@commonroom/protocol';
import * as Y from 'yjs';
import { UNFOLLOWED, WHOLE, isFollowed, type Phase } from './doc-state.ts';
import { applyCaptured, type InflightFrame, type Outbox } from './outbox.ts';
import type { PeerEvent } from './peers.ts';
import type { Replica, Replicas } from './replicas.ts';
import type { OutboxEntry } from './storage.ts';

/**
 * Rebuild and replay (P12): after a refusal the replica holds a change the server will never have. It is
 * thrown away, the server's copy is taken, and the remaining actions are applied to it again, in order.
 * A document's progress through this is its `Phase` (doc-state.ts).
 */

export type ReplayScope =
  /** After a rebuild: every waiting action, onto the server's copy. */
  | 'all'
  /** Only those not applied yet (moved here from a closed segment, P13). */
  | 'unapplied'
  /** Only those deferred while the document awaited its copy (the app closed mid-rebuild). */
  | 'deferred';

const copyOf = (doc: Y.Doc): Y.Doc => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
};

/**
 * Whether `doc` already has everything `update` does (applying it there changes nothing). Applied to the
 * copy either way, so later updates that build on this one are judged against it too.
 */
const holds = (doc: Y.Doc, update: Uint8Array): boolean => {
  let changed = false;
  const onUpdate = (): void => {
    changed = true;
  };
  doc.on('update', onUpdate);
  try {
    Y.applyUpdate(doc, update);
  } catch {
    return false;
  } finally {
    doc.off('update', onUpdate);
  }
  return !changed && doc.store.pendingStructs === null && doc.store.pendingDs === null;
};

const again = (p: Phase): boolean => p.kind !== 'whole' && p.again;

export type Rebuilds = ReturnType<typeof createRebuilds>;

export function createRebuilds(deps: {
  replicas: Replicas;
  outbox: Outbox;
  send: (frames: Frame[]) => boolean;
  step1For: (r: Replica) => Frame;
  emit: () => void;
  toPeers: (e: PeerEvent) => void;
  inBackground: (work: Promise<unknown>) => void;
}) {
  const { replicas, outbox } = deps;
  /** doc → the last action order taken before its rebuild emptied it; later actions were applied to the rebuilt copy. */
  const rebuiltAfter = new Map<string, number>();
  /**
   * Per message key (`conversation key`), the segment its record lived in when its document was last
   * thrown away for a rebuild: while the server's copy is on its way the view does not hold the message,
   * and an edit or reaction must still go to the segment that holds it (P13, issue 12 B7).
   */
  const knownSegments = new Map<string, number>();

  const rebuild = async (doc: string): Promise<void> => {
    const r = replicas.get(doc);
    if (!r) return;
    if (r.phase.kind !== 'whole') {
      // A refusal (or a late acknowledgement) while a rebuild runs: the replay may already have applied
      // that action again, or the copy it works on may predate what the server just stored. Once more after.
      r.phase = { ...r.phase, again: true };
      return;
    }
    outbox.nextGeneration(doc);
    if (r.parsed.kind === 'author')
      for (const m of authorRoots(r.doc).msgs.toArray())
        knownSegments.set(
          `${r.parsed.conversationId} ${messageKey(r.parsed.userId, m.id)}`,
          r.parsed.segment,
        );
    r.phase = { kind: 'awaiting-copy', again: false };
    rebuiltAfter.set(doc, outbox.order());
    // A step 1 still unanswered (a reconnect's) carries the state vector of the copy about to be cleared:
    // its answer holds only what that copy lacked. Arriving while the device store clears the copy, before
    // this rebuild's own step 1 goes, it must not pass for the whole copy and start the replay (P2, P12).
    if (isFollowed(r.follow)) r.follow = { kind: 'asked', ref: null };
    await replicas.reset(r);
    // Offline now (the socket may have dropped while the copy was cleared): the next WELCOME subscribes it.
    if (!deps.send([deps.step1For(r)])) r.follow = UNFOLLOWED;
  };

  /** One round of a replay: actions applied again in memory, then stored with one device write (P12). */
  const round = (r: Replica, scope: ReplayScope, serverCopy: Y.Doc | null) => {
    const applied: OutboxEntry[] = [];
    const done: OutboxEntry[] = [];
    const reapply = (e: OutboxEntry): void => {
      const wasDeferred = outbox.deferred.delete(e.id);
      if (serverCopy && e.update !== null && !wasDeferred && holds(serverCopy, e.update)) {
        // The server stored this one (its acknowledgement was lost or is still on the way). Applying the
        // action again would make a new change, undoing whatever came after it: a reaction someone took off
        // on another device back on, a newer edit overwritten, a pin another tutor removed back.
        done.push(e);
        return;
      }
      if (e.kind === 'unread' && e.payload.seen === undefined)
        // Taken while the copy was on its way: decided now, against the server's copy, and from now on it
        // spares the marks moved since (like an unread taken on a whole copy), however often it is replayed.
        e.payload = { ...e.payload, seen: readMarksOf(r.doc) };
      const update = applyCaptured(r, e.kind, e.payload);
      if (update !== null) {
        e.update = update;
        applied.push(e);
      } else if (scope !== 'all' || wasDeferred || e.order <= (rebuiltAfter.get(r.name) ?? Infinity)) {
        done.push(e);
      }
      // Otherwise taken during the rebuild: already in the rebuilt copy, never sent (sending waits for the
      // replay).
    };
    /** Stores the round's changes and entries with one write, then tells the other tabs. */
    const store = async (): Promise<void> => {
      const entries = applied.splice(0);
      const finished = done.splice(0);
      // Out of memory at once, like `drop`: an entry still here while the write runs would be sent.
      for (const e of finished) outbox.entries.delete(e.id);
      const updates = entries.map((e) => e.update as Uint8Array);
      const update = updates.length <= 1 ? (updates[0] ?? null) : Y.mergeUpdates(updates);
      if (update === null && finished.length === 0) return;
      const ids = finished.map((e) => e.id);
      await replicas.commitReplay(r, update, entries, ids);
      for (const entry of entries) deps.toPeers({ t: 'outbox-put', entry });
      if (ids.length > 0) deps.toPeers({ t: 'outbox-del', ids });
    };
    return { reapply, store };
  };

  /** The waiting entries of `r`, in the order taken, that `pick` wants. */
  const waitingIn = (r: Replica, pick: (e: OutboxEntry) => boolean): OutboxEntry[] =>
    [...outbox.entries.values()]
      .filter((e) => e.doc === r.name && e.status === 'pending' && pick(e))
      .sort((a, b) => a.order - b.order);

  /**
   * Applies waiting actions to a replica again (see ReplayScope). An action that changes nothing is already
   * on the server (or has nothing left to do).
   */
  const replay = async (r: Replica, scope: ReplayScope): Promise<void> => {
    // After a rebuild the replica is exactly the server's copy here, before anything is applied again.
    const { reapply, store } = round(r, scope, scope === 'all' ? copyOf(r.doc) : null);
    const first = waitingIn(r, (e) =>
      scope === 'all' ? true : scope === 'unapplied' ? e.update === null : outbox.deferred.has(e.id),
    );
    for (const e of first) reapply(e);
    await store();
    if (scope === 'all') {
      // Actions taken while this replay ran waited too (the copy was only partly rebuilt): apply them, in
      // order, until none is left; only then may new actions apply to the copy directly.
      for (;;) {
        const more = waitingIn(r, (e) => outbox.deferred.has(e.id));
        if (more.length === 0) break;
        for (const e of more) reapply(e);
        await store();
      }
      r.phase = { kind: 'applying', again: again(r.phase) };
    }
    // Refused meanwhile: this copy may hold the refused action. Nothing is sent from it; the document is
    // rebuilt again once this replay is no longer running.
    if (again(r.phase)) return;
    deps.toPeers({ t: 'replace', doc: r.name, state: Y.encodeStateAsUpdate(r.doc) });
    deps.emit();
    outbox.sendPendingFor(r.name);
  };

  /** Runs a replay in the background; the document's phase says one runs. */
  const startReplay = (r: Replica, scope: ReplayScope): void => {
    r.phase =
      scope === 'all'
        ? { kind: 'replaying', again: again(r.phase) }
        : { kind: 'applying', again: again(r.phase) };
    deps.inBackground(replay(r, scope).finally(() => afterReplay(r)));
  };

  const hasDeferred = (r: Replica): boolean =>
    [...outbox.entries.values()].some(
      (e) => outbox.deferred.has(e.id) && e.doc === r.name && e.status === 'pending',
    );

  const afterReplay = (r: Replica): void => {
    const was = r.phase;
    // A replay of the server's copy that failed half way leaves the copy incomplete.
    r.phase = was.kind === 'replaying' ? { kind: 'awaiting-copy', again: false } : WHOLE;
    if (again(was)) deps.inBackground(rebuild(r.name));
    // Moved here from a closed segment while this replay ran (P13): applied now, in order.
    else if (r.phase.kind === 'whole' && hasDeferred(r)) startReplay(r, 'deferred');
  };

  return {
    rebuild,
    knownSegmentOf: (messageId: string): number | undefined => knownSegments.get(messageId),

    /**
     * The server's step 2 for `r` arrived (`answered`: to the latest step 1). Returns whether it was taken:
     * a rebuild takes for the server's copy only the answer to a step 1 sent after it cleared the copy.
     */
    onStep2: (r: Replica, answered: boolean): boolean => {
      const p = r.phase;
      switch (p.kind) {
        case 'awaiting-copy':
          if (!answered) return false;
          r.follow = { kind: 'synced' };
          // Two replays at once would each take the other's re-applied actions for ones the server has.
          startReplay(r, 'all');
          return true;
        case 'replaying':
          if (!answered) return false;
          r.follow = { kind: 'synced' };
          return true;
        case 'whole':
          r.follow = { kind: 'synced' };
          // Actions deferred by a rebuild the app was closed during: apply them to the server's copy now.
          if ([...outbox.entries.values()].some((e) => outbox.deferred.has(e.id) && e.doc === r.name))
            startReplay(r, 'deferred');
          return true;
        case 'applying':
          r.follow = { kind: 'synced' };
          return true;
      }
    },

    /** Entries moved to `target` (P13) that are not applied yet: applied now, or by the replay under way. */
    applyMoved: async (target: string, moved: readonly OutboxEntry[]): Promise<void> => {
      const r = await replicas.open(target);
      if (r.phase.kind !== 'whole') {
        // The target is being rebuilt or replayed onto: its replay (or the one after it) applies them.
        for (const e of moved) if (e.doc === target && e.update === null) outbox.deferred.add(e.id);
        return;
      }
      r.phase = { kind: 'applying', again: false };
      try {
        await replay(r, 'unapplied');
      } finally {
        afterReplay(r);
      }
    },

    /**
     * Whether `frame` was sent before a rebuild of its document that still waits for the server's copy. The
     * server answers that rebuild's step 1 after it has handled this frame (the step 1 went later, on this
     * socket or a later one), so the copy holds whatever the server kept of the frame, and its replay skips
     * what the answer dropped or blamed: no further rebuild is needed. Rebuilding again anyway made every
     * refused window of frames cost two rebuilds, each replaying the whole outbox; under CPU load a device
     * with tens of actions waiting spent whole connections replaying and never sent (issue 12 B6, P12).
     */
    copyComingAfter: (frame: InflightFrame | undefined): boolean => {
      if (!frame || frame.generation === outbox.generationOf(frame.doc)) return false;
      return replicas.get(frame.doc)?.phase.kind === 'awaiting-copy';
    },

    clear: (): void => {
      knownSegments.clear();
    },
  };
}
