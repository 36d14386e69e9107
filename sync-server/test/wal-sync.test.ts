import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createCommitQueue } from '../src/rooms/commit-queue.ts';
import { openDatabase } from '../src/storage/db.ts';
import { createSqliteDocStore } from '../src/storage/doc-store.ts';
import { createWalFileSync, createWalSync } from '../src/storage/wal-sync.ts';

/**
 * The commit path of P4/P5 on a real SQLite file: a batch commits with synchronous=NORMAL and is relayed at
 * once; its acknowledgements wait for an fdatasync of the WAL on the thread pool, one for every batch
 * committed before it began; a disk that fails to sync stops acknowledgements for good.
 */
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'commonroom-wal-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const update = (text: string): Uint8Array => {
  const doc = new Y.Doc();
  doc.getArray('msgs').push([text]);
  return Y.encodeStateAsUpdate(doc);
};

describe('the WAL durability barrier (P4)', () => {
  it('syncs once for everything written before it began, and not at all when nothing was written', async () => {
    const db = openDatabase(join(tempDir(), 'a.sqlite'));
    const store = createSqliteDocStore(db);
    const wal = createWalSync(`${db.name}-wal`);
    await wal.durable();
    expect(wal.syncs()).toBe(0);
    store.appendBatch([{ doc: 'A', data: update('one') }]);
    wal.wrote();
    // Five callers while one sync runs and three more writes: the running sync, then one more.
    const waits = [wal.durable()];
    for (let i = 0; i < 3; i++) {
      store.appendBatch([{ doc: 'A', data: update(`more ${i}`) }]);
      wal.wrote();
      waits.push(wal.durable(), wal.durable());
    }
    await Promise.all(waits);
    expect(wal.syncs()).toBe(2);
    await wal.durable();
    expect(wal.syncs()).toBe(2);
    db.close();
  });

  it('keeps the WAL open between syncs, opens it again when it is a new file, and syncs nothing when it is gone', async () => {
    const dir = tempDir();
    const path = join(dir, 'x-wal');
    writeFileSync(path, 'frames');
    const file = createWalFileSync();
    await file.sync(path);
    await file.sync(path);
    const opened = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      }).length;
    expect(opened()).toBe(1);
    // SQLite deleted and recreated it (its last connection closed and another opened): the new file.
    rmSync(path);
    writeFileSync(path, 'new frames');
    await file.sync(path);
    expect(opened()).toBe(1);
    expect(
      readlinkSync(
        `/proc/self/fd/${readdirSync('/proc/self/fd').find((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
          } catch {
            return false;
          }
        })}`,
      ),
    ).toBe(path);
    rmSync(path);
    await file.sync(path);
    expect(opened()).toBe(0);
    file.close();
  });

  it('a document batch commits with NORMAL but leaves the connection at FULL for every other write', () => {
    const db = openDatabase(join(tempDir(), 'b.sqlite'));
    const store = createSqliteDocStore(db);
    let during = -1;
    store.appendBatch([{ doc: 'A', data: update('x') }], () => {
      during = db.pragma('synchronous', { simple: true }) as number;
    });
    expect(during).toBe(1); // NORMAL inside the batch's transaction
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL again after it
    expect(() =>
      store.appendBatch([{ doc: 'A', data: update('y') }], () => {
        throw new Error('projection failed');
      }),
    ).toThrow('projection failed');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('a sync that fails rejects: the queue relays what committed but acknowledges nothing, and says so once', async () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'c.sqlite'));
    const store = createSqliteDocStore(db);
    // The disk refuses the sync (what fdatasync reports after a writeback error).
    const wal = createWalSync(`${db.name}-wal`, () =>
      Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })),
    );
    const lost: unknown[] = [];
    const queue = createCommitQueue({
      commit: (entries, alongside) => {
        store.appendBatch(entries, alongside);
        wal.wrote();
      },
      durable: () => wal.durable(),
      lost: (err) => lost.push(err),
    });
    const seen: string[] = [];
    for (const name of ['first', 'second']) {
      const b = queue.current();
      b.entries.push({ doc: 'A', data: update(name) });
      b.after.push(() => seen.push(`relayed ${name}`));
      b.durable.push(() => seen.push(`acknowledged ${name}`));
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['relayed first', 'relayed second']);
    expect(lost).toHaveLength(1);
    expect(store.count('A')).toBe(2);
    db.close();
  });

  it('acknowledges in commit order, each batch after the sync that covers it', async () => {
    const db = openDatabase(join(tempDir(), 'd.sqlite'));
    const store = createSqliteDocStore(db);
    const queue = createCommitQueue({
      commit: (entries, alongside) => store.appendBatch(entries, alongside),
      durable: () => store.durable(),
      lost: (err) => {
        throw err;
      },
    });
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      const b = queue.current();
      b.entries.push({ doc: 'A', data: update(`m${i}`) });
      b.after.push(() => order.push(`relay ${i}`));
      b.durable.push(() => order.push(`ack ${i}`));
      // A new turn for some: batches committed while a sync runs share the next one.
      if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    }
    await queue.drain();
    const acks = order.filter((o) => o.startsWith('ack'));
    expect(acks).toEqual(Array.from({ length: 20 }, (_, i) => `ack ${i}`));
    // Every ack comes after its own relay.
    for (let i = 0; i < 20; i++)
      expect(order.indexOf(`ack ${i}`)).toBeGreaterThan(order.indexOf(`relay ${i}`));
    db.close();
  });
});
