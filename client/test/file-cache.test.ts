// The offline copies of attachments on Dexie over fake-indexeddb (the browser test runs them on Chromium's
// IndexedDB): kept within the budget, least recently used out first, dropped with their message.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createFileCache } from '../src/attachments/file-cache.ts';
import { CommonroomDb } from '../src/sync/commonroom-db.ts';

const bytes = (n: number) => new Blob([new Uint8Array(n)]);

describe('offline copies of attachments (issue 17)', () => {
  it('stays within the budget, evicting the least recently used; a smaller budget evicts at once; drop and clear', async () => {
    let t = 1000;
    const db = new CommonroomDb('file-cache-1');
    const cache = createFileCache(db, () => t++);
    await cache.setBudget(1000);
    await cache.put('a', 'thumb', bytes(400));
    await cache.put('b', 'thumb', bytes(400));
    // Reading `a` makes `b` the least recently used.
    expect((await cache.get('a', 'thumb'))?.size).toBe(400);
    await new Promise((r) => setTimeout(r, 10)); // the touch is not awaited by readers
    await cache.put('c', 'file', bytes(400));
    expect(await cache.get('b', 'thumb')).toBeNull();
    expect(await cache.get('a', 'thumb')).not.toBeNull();
    expect(await cache.used()).toBe(800);
    // Larger than the whole budget: not kept at all.
    await cache.put('d', 'file', bytes(2000));
    expect(await cache.get('d', 'file')).toBeNull();
    await cache.setBudget(500);
    expect(await cache.used()).toBeLessThanOrEqual(500);
    await cache.put('e', 'thumb', bytes(100));
    await cache.put('e', 'file', bytes(100));
    await cache.drop(['e']);
    expect([await cache.get('e', 'thumb'), await cache.get('e', 'file')]).toEqual([null, null]);
    // Sweeping a conversation drops the copies whose message no longer carries them, keeps the rest and
    // those of messages this device does not hold.
    const owner = (messageKey: string) => ({ conversationId: 'c1', messageKey });
    await cache.put('f', 'thumb', bytes(10), owner('u:kept'));
    await cache.put('g', 'thumb', bytes(10), owner('u:removed'));
    await cache.put('h', 'thumb', bytes(10), owner('u:older'));
    await cache.put('i', 'thumb', bytes(10), { conversationId: 'c2', messageKey: 'u:removed' });
    const held: Record<string, string[]> = { 'u:kept': ['f'], 'u:removed': [] };
    await cache.sweep('c1', (key, id) => held[key]?.includes(id));
    expect(
      await Promise.all(['f', 'g', 'h', 'i'].map(async (id) => (await cache.get(id, 'thumb')) !== null)),
    ).toEqual([true, false, true, true]);
    await cache.clear();
    expect(await cache.used()).toBe(0);
    expect(await cache.budget()).toBe(500);
    db.close();
  });
});
