/**
 * Runs tasks one after another per key (and keys independently): a task starts once the previous task of
 * its key has settled, whether it succeeded or not. What the PostgreSQL stores use so that re-reads of one
 * thing finish in the order they started: a later start reads a later snapshot, so the last to apply its
 * result is the newest.
 */
export type PerKeyQueue = { run<T>(key: string, task: () => Promise<T>): Promise<T> };

export function createPerKeyQueue(): PerKeyQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, task) {
      const result = (tails.get(key) ?? Promise.resolve()).then(task);
      // The queue goes on after a failure (the caller hears it through `result`).
      const tail = result.catch(() => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
