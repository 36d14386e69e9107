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
  /** Runs after a successful commit (relays, answers to subscribers, notices). */
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
  let idle: (() => void)[] = [];
  /** Committed batches whose acknowledgements wait for the disk. */
  let syncing = 0;
  let broken = false;

  const whenDurable = (fs: (() => void)[]): void => {
    syncing++;
    d.durable().then(
      () => {
        syncing--;
        if (!broken) fs.forEach((f) => f());
        wake();
      },
      (err: unknown) => {
        syncing--;
        if (!broken) {
          broken = true;
          d.lost(err);
        }
      },
    );
  };

  const wake = (): void => {
    if (pending || syncing > 0) return;
    const waiters = idle;
    idle = [];
    waiters.forEach((f) => f());
  };

  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = null;
    if (!batch) return;
    let error: unknown = null;
    try {
      batch.prepare.forEach((f) => f());
      if (batch.entries.length > 0) d.commit(batch.entries, () => batch.alongside.forEach((f) => f()));
    } catch (err) {
      error = err ?? new Error('commit failed');
    }
    if (error === null) batch.after.forEach((f) => f());
    else batch.failed.forEach((f) => f(error));
    batch.settled.forEach((f) => f());
    if (error === null && batch.durable.length > 0) whenDurable(batch.durable);
    wake();
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
    afterPending(f: () => void): void {
      if (!pending) return f();
      pending.settled.push(f);
    },
    /**
     * Runs `f` once everything committed so far is durable (not what is still pending: call it from
     * `afterPending` for that). Answers to subscribers are computed when nothing is pending (so they hold
     * only what committed) and sent through this, so nothing leaves before the disk holds it.
     */
    afterDurable(f: () => void): void {
      whenDurable([f]);
    },
    /** Resolves once everything queued so far is committed and durable (for shutdown). */
    drain(): Promise<void> {
      if (!pending && syncing === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
