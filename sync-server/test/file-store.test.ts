import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiskFileStore, type FileStore } from '../src/files/file-store.ts';

/**
 * The attachment file store's contract (files/file-store.ts), as a suite any implementation runs: the
 * local disk now, an S3-compatible store when several servers run.
 */

const KEY = 'ab'.repeat(32);
const text = async (s: Readable | null): Promise<string> => {
  if (!s) return '<none>';
  let out = '';
  for await (const chunk of s) out += String(chunk);
  return out;
};

function fileStoreSuite(name: string, make: () => { store: FileStore; leftovers: () => string[] }) {
  describe(`FileStore contract: ${name}`, () => {
    it('stores a stream under a key, reads it back whole or by range, and says its size', async () => {
      const { store } = make();
      expect(await store.exists(KEY)).toBe(false);
      expect(await store.get(KEY)).toBeNull();
      await store.put(KEY, Readable.from(['hello ', 'world']));
      expect(await store.exists(KEY)).toBe(true);
      expect(await store.size(KEY)).toBe(11);
      expect(await text(await store.get(KEY))).toBe('hello world');
      expect(await text(await store.get(KEY, { start: 6, end: 10 }))).toBe('world');
      await store.put(`${KEY}.thumb`, Readable.from(['small']));
      expect(await text(await store.get(`${KEY}.thumb`))).toBe('small');
    });

    it('a put whose stream fails leaves nothing under the key and no partial file', async () => {
      const { store, leftovers } = make();
      const failing = new Readable({
        read() {
          this.push('part of a file');
          this.destroy(new Error('connection lost'));
        },
      });
      await expect(store.put(KEY, failing)).rejects.toThrow('connection lost');
      expect(await store.exists(KEY)).toBe(false);
      expect(leftovers()).toEqual([]);
    });

    it('deletes; deleting what is not there is no error; keys that are not hashes are refused', async () => {
      const { store } = make();
      await store.put(KEY, Readable.from(['x']));
      await store.delete(KEY);
      await store.delete(KEY);
      expect(await store.exists(KEY)).toBe(false);
      await expect(store.put('../../etc/passwd', Readable.from(['x']))).rejects.toThrow(/not a file key/);
    });
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

fileStoreSuite('local disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-files-'));
  dirs.push(dir);
  return {
    store: createDiskFileStore(dir),
    leftovers: () =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name),
  };
});
