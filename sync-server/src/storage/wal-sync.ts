import { open } from 'node:fs/promises';

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
 * opened for each sync (by name): SQLite keeps the WAL's inode for as long as the database is open, and a
 * sync through a stale descriptor would flush nothing useful. A failed sync is not retried (after Linux
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

/** Makes everything written to the file at `path` durable: open it by name, fdatasync, close. */
export async function datasyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/**
 * `syncFile` is `datasyncFile` but for a simulation, whose scheduler must see every step (its tmpfs makes
 * an fsync free anyway).
 */
export function createWalSync(
  walPath: string | null,
  syncFile: (path: string) => Promise<void> = datasyncFile,
): WalSync {
  let dirty = false;
  let inFlight: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  let count = 0;

  const syncOnce = async (): Promise<void> => {
    if (walPath === null) return;
    await syncFile(walPath);
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
