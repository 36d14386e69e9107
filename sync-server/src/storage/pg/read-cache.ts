/**
 * A per-process read cache for the PostgreSQL stores (docs/SCALE-OUT.md §2): values are dropped, never
 * updated, on write, and `drop` is also what the invalidation listener calls for writes of other processes.
 *
 * A read is asynchronous, so a write (or an invalidation) can land while it is in flight, and the value it
 * brings back may be the one from before. Each drop moves the epoch on; a read keeps its value only if no
 * drop happened since it started. Dropping moves one epoch for all keys: simpler than one per key, and it
 * only costs a re-read of values read across someone's write.
 *
 * `caching(false)` is for while this process cannot hear other processes' writes (its invalidation
 * listener lost its connection, §2): everything is dropped and reads go to the database without being
 * kept, so nothing is served that could have been changed unheard. `caching(true)` drops everything again
 * (a read that started while off is not kept either: the switch moves the epoch) and keeps values again.
 */
export type ReadCache<V> = CacheSwitch & {
  /** The cached value of `key`, or `load`'s, kept if nothing was dropped meanwhile and caching is on. */
  through(key: string, load: () => Promise<V>): Promise<V>;
  drop(key: string): void;
  clear(): void;
};

/** What a store with read caches offers the invalidation wiring (invalidation-wiring.ts). */
export type CacheSwitch = { caching(on: boolean): void };

export function createReadCache<V>(maxEntries: number): ReadCache<V> {
  const values = new Map<string, V>();
  let epoch = 0;
  let keeping = true;
  return {
    async through(key, load) {
      if (values.has(key)) return values.get(key) as V;
      const started = epoch;
      const v = await load();
      if (keeping && started === epoch) {
        // A full cache starts again rather than tracking use: the hot entries come back on their next read.
        if (values.size >= maxEntries) values.clear();
        values.set(key, v);
      }
      return v;
    },
    drop(key) {
      values.delete(key);
      epoch++;
    },
    clear() {
      values.clear();
      epoch++;
    },
    caching(on) {
      values.clear();
      epoch++;
      keeping = on;
    },
  };
}

/**
 * Runs a write with `drop` called before it (so no read that starts during it is served from the cache)
 * and after it (so what was read during it, possibly the old row, is not kept), whether it succeeded or not.
 */
export async function writeDropping<T>(drop: () => void, write: () => Promise<T>): Promise<T> {
  drop();
  try {
    return await write();
  } finally {
    drop();
  }
}
