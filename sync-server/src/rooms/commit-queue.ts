/**
 * Group commit: every update accepted during one turn of the event loop is written in one SQLite
 * transaction and relayed once it has committed (P5); it is acknowledged once the disk holds it (P4). The
 * commit no longer waits for the disk on the event loop: the fsync runs on the thread pool while the next
 * turns read sockets, judge and commit the next batches, and one fsync answers every batch committed
 * before it began (storage/wal-sync.ts). Nothing is acknowledged before it is durable, nothing is relayed
 * or answered before it is committed, and nothing that failed to commit is ever relayed.
 */
export type PendingWrite = {
  /** Run first when the batch is flushed: last entries of the batch (one index update per document). */
  prepare: (() => void)[];
  entries: { doc: string; data: Uint8Array }[];
  /** Projection rows written inside the same transaction. */
  alongside: (() => void)[];
  /** Runs after a successful commit (relays of devices' updates and the server's, notices). */
  after: (() => void)[];
  /** Runs once the successful commit is durable (acknowledgements), in commit order. */
  durable: (() => void)[];
  /** Runs when the commit failed (refuse the writes, reload the documents). */
  failed: ((err: unknown) => void)[];
  /**
   * Runs last either way (answers to subscribers waiting for this commit): after a failure, once every
   * refused document is reloaded, so what is answered never holds what was not stored.
   */
  settled: (() => void)[];
};

export type CommitQueue = ReturnType<typeof createCommitQueue>;

export type CommitQueueDeps = {
  commit: (entries: PendingWrite['entries'], alongside: () => void) => void;
  /** Resolves once everything committed so far is durable; rejects if the disk failed. */
  durable: () => Promise<void>;
  /** The disk failed to keep committed data: nothing more may be acknowledged (the server stops). */
  lost: (err: unknown) => void;
};

export function createCommitQueue(d: CommitQueueDeps) {
  let pending: PendingWrite | null = null;
  let scheduled = false;
  /** Committed batches whose acknowledgements wait for the disk. */
  let syncing = 0;
  let broken = false;
  /** The last batch's callbacks: each batch's run after the previous batch's, so in commit order. */
  let chain: Promise<void> = Promise.resolve();

  /** Runs `fs` once durable (never after the disk failed); `either` runs last either way. */
  const whenDurable = (fs: (() => void)[], either?: () => void): void => {
    syncing++;
    chain = Promise.all([chain, d.durable()]).then(
      () => {
        syncing--;
        if (!broken) fs.forEach((f) => f());
        either?.();
      },
      (err: unknown) => {
        syncing--;
        if (!broken) {
          broken = true;
          d.lost(err);
        }
        either?.();
      },
    );
  };

  const afterPending = (f: () => void): void => {
    if (!pending) return f();
    pending.settled.push(f);
  };

  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = null;
    if (!batch) return;
    let error: unknown = null;
    try {
      batch.prepare.forEach((f) => f());
      // Rows alone are a commit too: a redaction catch-up may find the words already out of the document
      // and have only the projection's mark to write (skipping it, the catch-up found the row again forever).
      if (batch.entries.length > 0 || batch.alongside.length > 0)
        d.commit(batch.entries, () => batch.alongside.forEach((f) => f()));
    } catch (err) {
      error = err ?? new Error('commit failed');
    }
    if (error === null) batch.after.forEach((f) => f());
    else batch.failed.forEach((f) => f(error));
    // Before `settled`: what those wait for (answers, refusals) comes after this batch's acknowledgements.
    if (error === null && batch.durable.length > 0) whenDurable(batch.durable);
    batch.settled.forEach((f) => f());
  };

  const current = (): PendingWrite => {
    if (!pending)
      pending = { prepare: [], entries: [], alongside: [], after: [], durable: [], failed: [], settled: [] };
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return pending;
  };

  return {
    current,
    /** Runs `f` now if nothing is waiting to commit, otherwise right after the pending commit. */
    afterPending,
    /**
     * Runs `f` once the pending commit has settled and everything committed by then is durable: an answer
     * in the socket's order, after the acknowledgements of what it wrote before (refusals, REVOKED).
     */
    afterStored(f: () => void): void {
      afterPending(() => whenDurable([f]));
    },
    /**
     * Runs `f` once everything committed so far is durable (not what is still pending: call it from
     * `afterPending` for that). Answers to subscribers are computed when nothing is pending (so they hold
     * only what committed) and sent through this, so nothing leaves before the disk holds it.
     */
    afterDurable(f: () => void): void {
      whenDurable([f]);
    },
    /**
     * Resolves once everything queued so far is committed and durable (for shutdown): a snapshot, so
     * writes arriving meanwhile do not hold it back.
     */
    drain(): Promise<void> {
      if (!pending && syncing === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const settle = (): void => whenDurable([], resolve);
        if (pending) pending.settled.push(settle);
        else settle();
      });
    },
  };
}
