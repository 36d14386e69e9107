import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';

/**
 * Where attachment bytes live (issue 17), behind an interface small enough for an S3-compatible store when
 * several servers run: keys are content hashes, optionally with a suffix for a derived copy
 * (`<sha256>.thumb`). Everything streams; nothing holds a whole file in memory.
 */
export type FileStore = {
  /** Stores the stream's bytes under `key`, durably, replacing nothing half-written: all or nothing. */
  put(key: string, body: Readable): Promise<void>;
  /** The bytes under `key` (from `start` to `end` inclusive when given), or null when there are none. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable | null>;
  /** The size of what is stored under `key`, or null when nothing is. */
  size(key: string): Promise<number | null>;
  exists(key: string): Promise<boolean>;
  /** Removes what is under `key`; nothing there is no error. */
  delete(key: string): Promise<void>;
};

const KEY = /^[0-9a-f]{64}(\.[a-z]{1,10})?$/;

/** `files/ab/cd/<key>` under `root`: two levels of 256 folders keep any one folder small. */
function pathOf(root: string, key: string): string {
  if (!KEY.test(key)) throw new Error(`not a file key: ${key}`);
  return join(root, key.slice(0, 2), key.slice(2, 4), key);
}

/**
 * The local-disk store. A put writes a temporary file beside its target, flushes it to disk and renames it
 * into place, so a crash leaves either the whole file or none, and "ready" is never said of bytes the disk
 * may still lose.
 */
export function createDiskFileStore(root: string): FileStore {
  const size = async (key: string): Promise<number | null> => {
    try {
      return (await stat(pathOf(root, key))).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
  return {
    async put(key, body) {
      const target = pathOf(root, key);
      await mkdir(dirname(target), { recursive: true });
      const temp = `${target}.${randomBytes(6).toString('hex')}.part`;
      try {
        await pipeline(body, createWriteStream(temp));
        const fd = await open(temp, 'r');
        try {
          await fd.sync();
        } finally {
          await fd.close();
        }
        await rename(temp, target);
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
    },
    async get(key, range) {
      const path = pathOf(root, key);
      if ((await size(key)) === null) return null;
      return createReadStream(path, range ? { start: range.start, end: range.end } : {});
    },
    size,
    exists: async (key) => (await size(key)) !== null,
    async delete(key) {
      await rm(pathOf(root, key), { force: true });
    },
  };
}
