import { describe, expect, it } from 'vitest';
import { createReadCache, writeDropping } from '../src/storage/pg/read-cache.ts';

/**
 * The PostgreSQL stores' per-process cache (docs/SCALE-OUT.md §2): dropped, never updated, and a read that
 * was in flight across a drop is not kept (its value may be from before the write). The reads here resolve
 * when the test says, so the interleavings are exact.
 */
const deferred = <T>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

describe('read cache', () => {
  it('keeps a value read while nothing was dropped, and reads again after a drop', async () => {
    const cache = createReadCache<string>(10);
    let loads = 0;
    const load = async (): Promise<string> => `v${++loads}`;
    expect(await cache.through('k', load)).toBe('v1');
    expect(await cache.through('k', load)).toBe('v1');
    cache.drop('k');
    expect(await cache.through('k', load)).toBe('v2');
    cache.clear();
    expect(await cache.through('k', load)).toBe('v3');
  });

  it('§2: a read in flight when its key is dropped is answered but not kept', async () => {
    const cache = createReadCache<string>(10);
    const slow = deferred<string>();
    const first = cache.through('k', () => slow.promise);
    cache.drop('k');
    slow.resolve('old');
    expect(await first).toBe('old');
    expect(await cache.through('k', async () => 'new')).toBe('new');
  });

  it('§2: a read that started during a write and ended before it is dropped by the write ending', async () => {
    const cache = createReadCache<string>(10);
    const write = deferred<void>();
    const writing = writeDropping(
      () => cache.drop('k'),
      () => write.promise,
    );
    // Read during the write: it may see the row from before the commit.
    expect(await cache.through('k', async () => 'old')).toBe('old');
    write.resolve();
    await writing;
    expect(await cache.through('k', async () => 'new')).toBe('new');
  });

  it('a failed write drops too (it may have committed before the error reached us)', async () => {
    const cache = createReadCache<string>(10);
    expect(await cache.through('k', async () => 'old')).toBe('old');
    await expect(
      writeDropping(
        () => cache.drop('k'),
        () => Promise.reject(new Error('connection lost')),
      ),
    ).rejects.toThrow('connection lost');
    expect(await cache.through('k', async () => 'new')).toBe('new');
  });

  it('a full cache starts again instead of growing', async () => {
    const cache = createReadCache<number>(2);
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    await cache.through('a', load);
    await cache.through('b', load);
    await cache.through('c', load);
    expect(loads).toBe(3);
    expect(await cache.through('c', load)).toBe(3);
    expect(await cache.through('a', load)).toBe(4);
  });

  describe('§2: the switch for while the invalidation listener is not listening', () => {
    it('off: every read loads and nothing is kept; on: values kept again, none from before', async () => {
      const cache = createReadCache<string>(10);
      let loads = 0;
      const load = async (): Promise<string> => `v${++loads}`;
      expect(await cache.through('k', load)).toBe('v1');
      cache.caching(false);
      // What was cached before is not served: it may have changed unheard.
      expect(await cache.through('k', load)).toBe('v2');
      expect(await cache.through('k', load)).toBe('v3');
      // Drop and clear still work (nothing to drop) and do not switch caching back on.
      cache.drop('k');
      cache.clear();
      expect(await cache.through('k', load)).toBe('v4');
      cache.caching(true);
      expect(await cache.through('k', load)).toBe('v5');
      expect(await cache.through('k', load)).toBe('v5');
      expect(loads).toBe(5);
    });

    it('a read in flight when caching is switched off is answered but not kept', async () => {
      const cache = createReadCache<string>(10);
      const slow = deferred<string>();
      const first = cache.through('k', () => slow.promise);
      cache.caching(false);
      slow.resolve('unheard');
      expect(await first).toBe('unheard');
      cache.caching(true);
      expect(await cache.through('k', async () => 'fresh')).toBe('fresh');
    });

    it('a read that started while off and ends after switching on is not kept', async () => {
      const cache = createReadCache<string>(10);
      cache.caching(false);
      const slow = deferred<string>();
      const first = cache.through('k', () => slow.promise);
      // Listening again: that read may predate a write whose notification came before the LISTEN.
      cache.caching(true);
      slow.resolve('old');
      expect(await first).toBe('old');
      expect(await cache.through('k', async () => 'new')).toBe('new');
      expect(await cache.through('k', async () => 'newer')).toBe('new');
    });

    it('switching on again drops what was kept while on', async () => {
      const cache = createReadCache<string>(10);
      expect(await cache.through('k', async () => 'a')).toBe('a');
      cache.caching(true);
      expect(await cache.through('k', async () => 'b')).toBe('b');
    });
  });
});
