import { describe, expect, it } from 'vitest';
import { createPerKeyQueue } from '../src/storage/pg/per-key-queue.ts';

/**
 * The per-key queue the PostgreSQL notification preferences re-read through (docs/SCALE-OUT.md §2): tasks of
 * one key run one after another in the order given, so a re-read that started later always applies later.
 * The tasks here finish when the test says, so the interleavings are exact.
 */
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('per-key queue', () => {
  it('a task of a key starts only once the one before it has finished, even if it would finish first', async () => {
    const queue = createPerKeyQueue();
    const log: string[] = [];
    const first = deferred();
    const a = queue.run('ana', async () => {
      log.push('a starts');
      await first.promise;
      log.push('a ends');
    });
    const b = queue.run('ana', async () => {
      log.push('b runs');
    });
    await tick();
    expect(log).toEqual(['a starts']);
    first.resolve();
    await Promise.all([a, b]);
    expect(log).toEqual(['a starts', 'a ends', 'b runs']);
  });

  it('other keys do not wait', async () => {
    const queue = createPerKeyQueue();
    const held = deferred();
    const a = queue.run('ana', () => held.promise);
    let ben = false;
    await queue.run('ben', async () => {
      ben = true;
    });
    expect(ben).toBe(true);
    held.resolve();
    await a;
  });

  it('a failed task is reported to its caller and the next one still runs', async () => {
    const queue = createPerKeyQueue();
    const failing = deferred();
    const a = queue.run('ana', () => failing.promise);
    const b = queue.run('ana', async () => 'next');
    failing.reject(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    expect(await b).toBe('next');
  });
});
