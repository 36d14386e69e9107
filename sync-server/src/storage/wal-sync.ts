import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';

/**
 * The durability barrier for commits made with `synchronous=NORMAL` (docs/PROTOCOL.md P4).
 *
 * Such a commit has written its frames to the WAL file (so it survives the process being killed: the
 * kernel holds them) but has not asked the disk to keep them, which is what `synchronous=FULL` does inside
 * `COMMIT`, blocking the event loop for the length of an fsync. Here the fsync runs on libuv's thread pool
 * instead: `durable()` resolves once an fdatasync of the WAL that began after the call has finished, so
 * every frame written before the call is on the disk. Calls made while one sync runs share the next one
 * (group commit across turns): at most one sync in flight and one waiting, whatever the write rate.
 *
 * Why this is enough: in WAL mode SQLite writes a commit's frames with write() and, with NORMAL, syncs the
 * WAL itself before every checkpoint and before the WAL is reused, so the frames we sync are the ones
 * recovery replays, and nothing a checkpoint does can make an earlier sync's frames vanish. The file is
 * kept open between syncs and opened again when it was replaced (createWalFileSync): a sync through a stale
 * descriptor would flush nothing useful. A failed sync is not retried (after Linux
 * reports a writeback error the dirty pages may be gone, so a later "successful" fsync would lie): the
 * promise rejects and the caller stops the process (PostgreSQL's answer to the same problem).
 */
export type WalSync = {
  /** Resolves once everything written to the WAL before this call is durable; rejects if the disk failed. */
  durable(): Promise<void>;
  /** Call after each commit made with NORMAL: there is something new to sync. */
  wrote(): void;
  /** How many fdatasync calls were made (benchmarks and tests read the group-commit ratio from it). */
  syncs(): number;
};

/**
 * Makes everything written to the file at `path` durable, with one trip to the thread pool: the file stays
 * open between syncs (opening and closing it there cost two more trips and more CPU than the sync), and is
 * opened again if it is no longer the same file (SQLite deletes and recreates the WAL only when its last
 * connection closes; the inode and link-count checks, cached stats on this thread, make that safe anyway). A WAL that is
 * gone holds nothing to sync: SQLite checkpointed it into the database, with a sync, before deleting it.
 */
export function createWalFileSync(): { sync: (path: string) => Promise<void>; close: () => void } {
  let fd: number | null = null;
  let ino = -1;
  const close = (): void => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  const current = (path: string): number | null => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) {
      close();
      return null;
    }
    // A deleted file's inode number may be given to the new one at once: its link count says it is gone.
    if (fd === null || st.ino !== ino || fstatSync(fd).nlink === 0) {
      close();
      fd = openSync(path, 'r');
      ino = fstatSync(fd).ino;
    }
    return fd;
  };
  return {
    sync: (path) =>
      new Promise<void>((resolve, reject) => {
        const f = current(path);
        if (f === null) return resolve();
        fdatasync(f, (err) => (err ? reject(err) : resolve()));
      }),
    close,
  };
}

/**
 * `syncFile` is a `createWalFileSync()`'s but for a simulation, whose scheduler must see every step (its
 * tmpfs makes an fsync free anyway).
 */
export function createWalSync(
  walPath: string | null,
  syncFile: (path: string) => Promise<void> = createWalFileSync().sync,
): WalSync {
  let dirty = false;
  let inFlight: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  let count = 0;
  /** The first failed sync: every later call fails with it (a later fsync could "succeed" and lie). */
  let failure: Error | null = null;

  const syncOnce = async (): Promise<void> => {
    if (walPath === null) return;
    try {
      await syncFile(walPath);
    } catch (err) {
      failure ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    }
    count++;
  };

  const start = (): Promise<void> => {
    dirty = false;
    const p: Promise<void> = syncOnce().finally(() => {
      if (inFlight === p) inFlight = null;
    });
    inFlight = p;
    return p;
  };

  return {
    durable() {
      if (failure) return Promise.reject(failure);
      // Nothing written since the running sync began (or none running): that one covers it all.
      if (!dirty) return inFlight ?? Promise.resolve();
      if (!inFlight) return start();
      // Written after the running sync began: the next one, started as soon as this one ends.
      queued ??= inFlight.then(
        () => {
          queued = null;
          return start();
        },
        (err: unknown) => {
          queued = null;
          throw err;
        },
      );
      return queued;
    },
    wrote() {
      dirty = true;
    },
    syncs: () => count,
  };
}
