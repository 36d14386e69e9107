import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { AttachmentStore, Processed } from '../storage/attachments.ts';
import type { Timers } from '../timers.ts';
import { judgeContent } from './content-type.ts';
import type { FileStore } from './file-store.ts';
import type { ImagePool } from './image-pool.ts';

/**
 * What happens to an upload once its last byte is in (issue 17): its type judged from its bytes, its
 * SHA-256 taken, its bytes (or, for a picture, the re-encoded copy and a thumbnail, made in the image
 * worker) put in the content-addressed file store unless the same bytes are there already, then the row
 * marked ready. And the sweeps: uploads no message referenced within a day, and files no row uses any more
 * (a message deleted, removed or expired takes its rows with it: migration 19's trigger).
 */

/** Uploads never attached to a message are taken away after this long untouched (storage/attachments.ts). */
export const UNATTACHED_MS = 24 * 3_600_000;

const PICTURE_UNREADABLE = 'This picture could not be read; it may be damaged. Try saving it again.';
const FAILED = 'The server could not store this file. Please send it again.';

export type AttachmentsDeps = {
  store: AttachmentStore;
  files: FileStore;
  images: ImagePool;
  /** Where the resumable uploads' partial files are (the tus store's folder). */
  uploadsDir: string;
  /** A folder for the image worker's output before it is stored. */
  workDir: string;
  /** Removes an upload's partial file and its tus metadata. */
  removeUpload: (id: string) => Promise<void>;
  /** How many bytes of an upload its partial file holds (null: none there). */
  uploadedBytes: (id: string) => Promise<number | null>;
  log: Logger;
  now: () => number;
  timers: Timers;
  /** How often the sweeps run. */
  sweepEveryMs: number;
};

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export function createAttachments(d: AttachmentsDeps) {
  const { store, files, log } = d;
  const working = new Set<Promise<void>>();
  // Storing a hash's file and deleting it (the sweep) never interleave: one at a time per hash.
  const locks = new Map<string, Promise<unknown>>();
  const withHash = <T>(sha: string, fn: () => Promise<T>): Promise<T> => {
    const before = locks.get(sha) ?? Promise.resolve();
    const p = before.then(fn, fn);
    const tail = p.catch(() => undefined);
    locks.set(sha, tail);
    void tail.then(() => {
      if (locks.get(sha) === tail) locks.delete(sha);
    });
    return p;
  };

  /** The picture's display copy and thumbnail, made by the worker and then stored. */
  const storePicture = async (
    id: string,
    path: string,
    sha: string,
    format: 'jpeg' | 'png' | 'gif' | 'webp',
  ): Promise<{ width: number; height: number }> => {
    await mkdir(d.workDir, { recursive: true });
    const display = join(d.workDir, `${id}.display`);
    const thumb = join(d.workDir, `${id}.thumb`);
    try {
      const size = await d.images.run({ input: path, display, thumb, format });
      await files.put(sha, createReadStream(display));
      await files.put(`${sha}.thumb`, createReadStream(thumb));
      return size;
    } finally {
      await rm(display, { force: true });
      await rm(thumb, { force: true });
    }
  };

  /** Stores the bytes under their hash, or reuses what an earlier upload of the same bytes stored. */
  const storeBytes = (id: string, path: string, sha: string, type: string, image: string | null) =>
    withHash(sha, async (): Promise<Processed> => {
      store.setHash(id, sha);
      const same = store.readyOfHash(sha);
      if (same && (await files.exists(sha)) && (!same.hasThumb || (await files.exists(`${sha}.thumb`))))
        return {
          type: same.type,
          sha256: sha,
          width: same.width,
          height: same.height,
          hasThumb: same.hasThumb,
        };
      if (image) {
        const { width, height } = await storePicture(id, path, sha, image as 'jpeg');
        return { type, sha256: sha, width, height, hasThumb: true };
      }
      await files.put(sha, createReadStream(path));
      return { type, sha256: sha, width: null, height: null, hasThumb: false };
    });

  const processOne = async (id: string): Promise<void> => {
    const row = store.get(id);
    if (!row || row.status !== 'processing') return;
    const path = join(d.uploadsDir, id);
    try {
      const verdict = await judgeContent(path, row.name);
      if (!verdict.ok) {
        store.move(id, 'processing', 'refused', verdict.error);
        return;
      }
      const sha = await sha256Of(path);
      let done: Processed;
      try {
        done = await storeBytes(id, path, sha, verdict.type, verdict.image);
      } catch (err) {
        if (!verdict.image) throw err;
        log.info({ err, id }, 'picture could not be processed');
        store.move(id, 'processing', 'refused', PICTURE_UNREADABLE);
        return;
      }
      // Cancelled meanwhile: the file just stored may be no one's; the sweep looks.
      if (!store.markReady(id, done, d.now())) store.addOrphan(sha);
    } catch (err) {
      log.error({ err, id }, 'attachment processing failed');
      store.move(id, 'processing', 'refused', FAILED);
    } finally {
      await d.removeUpload(id).catch((err: unknown) => log.warn({ err, id }, 'upload file not removed'));
    }
  };

  const track = (p: Promise<void>): void => {
    working.add(p);
    void p.finally(() => working.delete(p));
  };

  /** Deletes the files of hashes no row uses any more (a message gone, an upload swept). */
  const collectFiles = async (): Promise<number> => {
    let deleted = 0;
    for (;;) {
      const batch = store.orphans(100);
      if (batch.length === 0) return deleted;
      for (const sha of batch)
        await withHash(sha, async () => {
          if (!store.hashUsed(sha)) {
            await files.delete(sha);
            await files.delete(`${sha}.thumb`);
            deleted++;
          }
          store.dropOrphan(sha);
        });
    }
  };

  /** Takes away uploads no message referenced within `UNATTACHED_MS` of their becoming ready or their
   * uploader's device last reading them, then unused files. */
  const sweep = async (): Promise<void> => {
    for (;;) {
      const ids = store.unattachedBefore(d.now() - UNATTACHED_MS, 100);
      if (ids.length === 0) break;
      for (const id of ids) {
        store.remove(id);
        await d.removeUpload(id).catch(() => undefined);
      }
    }
    await collectFiles();
  };

  /**
   * Uploads whose last byte was stored but whose processing never began (a crash between tus writing it
   * and `complete`): without this they would read 'uploading' for ever while their device polls.
   */
  const finishArrived = async (): Promise<void> => {
    for (const { id, size } of store.uploading())
      if ((await d.uploadedBytes(id)) === size && store.move(id, 'uploading', 'processing'))
        track(processOne(id));
  };

  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = true;
  let sweeping: Promise<void> | null = null;
  const sweepNow = (): Promise<void> => {
    sweeping ??= sweep()
      .catch((err: unknown) => log.error({ err }, 'attachment sweep failed'))
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = d.timers.setTimeout(() => {
      timer = null;
      void sweepNow().finally(schedule);
    }, d.sweepEveryMs);
  };

  return {
    /** The last byte is in: processing starts, and the upload reads as 'processing' from now. */
    complete(id: string): void {
      if (store.move(id, 'uploading', 'processing')) track(processOne(id));
    },
    /** Finished when every processing started so far has (tests; a graceful stop). */
    async idle(): Promise<void> {
      while (working.size > 0) await Promise.all([...working]);
    },
    sweepNow,
    collectFiles,
    /** Processing a stop interrupted is done again (or begun, for uploads whose last byte was in), then the
     * sweeps run now and every `sweepEveryMs`. */
    start(): void {
      stopped = false;
      for (const id of store.processing()) track(processOne(id));
      track(finishArrived().catch((err: unknown) => log.error({ err }, 'finished uploads not picked up')));
      void sweepNow().finally(schedule);
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== null) d.timers.clearTimeout(timer);
      timer = null;
      await sweeping;
      while (working.size > 0) await Promise.all([...working]);
      await d.images.close();
    },
  };
}

export type Attachments = ReturnType<typeof createAttachments>;
