/**
 * Group commit: every update accepted during one turn of the event loop is written in one SQLite
 * transaction, then acknowledged and relayed. One fsync for many messages (one per message caps near
 * 1,800/s on this machine), and nothing is acknowledged or relayed before it is durable (P4, P5).
 */
export type PendingWrite = {
  /** Run first when the batch is flushed: last entries of the batch (one index update per document). */
  prepare: (() => void)[];
  entries: { doc: string; data: Uint8Array }[];
  /** Projection rows written inside the same transaction. */
  alongside: (() => void)[];
  /** Runs after a successful commit (acks, relays). */
  after: (() => void)[];
  /** Runs when the commit failed (refuse the writes, reload the documents). */
  failed: ((err: unknown) => void)[];
  /**
   * Runs last either way (answers to subscribers waiting for this commit): after a failure, once every
   * refused document is reloaded, so what is answered never holds what was not stored.
   */
  settled: (() => void)[];
};

export type CommitQueue = ReturnType<typeof createCommitQueue>;

export function createCommitQueue(commit: (entries: PendingWrite['entries'], alongside: () => void) => void) {
  let pending: PendingWrite | null = null;
  let scheduled = false;
  let idle: (() => void)[] = [];

  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = null;
    if (!batch) return;
    let error: unknown = null;
    try {
      batch.prepare.forEach((f) => f());
      if (batch.entries.length > 0) commit(batch.entries, () => batch.alongside.forEach((f) => f()));
    } catch (err) {
      error = err ?? new Error('commit failed');
    }
    if (error === null) batch.after.forEach((f) => f());
    else batch.failed.forEach((f) => f(error));
    batch.settled.forEach((f) => f());
    if (!pending) {
      const waiters = idle;
      idle = [];
      waiters.forEach((f) => f());
    }
  };

  const current = (): PendingWrite => {
    if (!pending) pending = { prepare: [], entries: [], alongside: [], after: [], failed: [], settled: [] };
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
    /** Resolves once everything queued so far is committed (for shutdown). */
    drain(): Promise<void> {
      if (!pending) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
