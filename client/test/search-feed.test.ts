// The device index's feed (client/src/search/feed.ts) against a real engine, server and segments (P13), with
// the worker's logic (search-core.ts) over fake-indexeddb: what a start with only the current segment loaded
// keeps, what a removal in an older segment takes out, and a store that fails once.
import 'fake-indexeddb/auto';
import type { Engine } from '@commonroom/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  type TestServer,
} from '../../sync-server/test/harness.ts';
import { createFeed } from '../src/search/feed.ts';
import { createSearchCore, type Later, type SearchCore } from '../src/search/search-core.ts';
import { openSearchStore, type SearchStore } from '../src/search/search-store.ts';

const noTimers: Later = () => () => undefined;

/** The search client's wiring (search-client.ts) without the worker: the feed sends straight to the core. */
function feedInto(
  engine: Engine,
  core: SearchCore,
  manifest: Awaited<ReturnType<SearchCore['open']>>['manifest'],
  warnings: string[] = [],
) {
  return createFeed({
    source: engine,
    manifest,
    send: (batch) => core.apply(batch),
    delay: (flush) => setTimeout(flush, 0),
    retryAfter: () => Promise.resolve(),
    warn: (message) => warnings.push(message),
  });
}

const keysFound = async (core: SearchCore, q: string): Promise<string[]> =>
  (await core.search({ q, limit: 200 })).map((h) => h.key).sort();

describe('the device index’s feed', () => {
  let ts: TestServer;
  let admin: Engine;
  beforeAll(async () => {
    ts = await startServer({ limits: { segmentSize: 5 } });
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('P13: a start with only the current segment loaded keeps older segments’ messages; a deletion there still takes its words out once that segment is loaded, or when it arrives', async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const reader = await addUser(ts, admin, 'student');
    const general = channel(writer.engine, 'general');
    await writer.engine.open(general);
    const keys: string[] = [];
    for (let i = 1; i <= 12; i++) {
      keys.push(await writer.engine.send(general, `kiwi item${i}`));
      await writer.engine.settled();
    }
    await eventually(() => expect(reader.engine.conversation(general)?.segment).toBe(2));
    await reader.engine.open(general);
    while (await reader.engine.loadOlder(general)) await reader.engine.settled();
    await eventually(() => expect(reader.engine.view(general).state.byKey.size).toBe(12));

    const store = await openSearchStore();
    await store.clear();
    const core = createSearchCore(store, { later: noTimers });
    const feed = feedInto(reader.engine, core, (await core.open()).manifest);
    await eventually(async () => {
      await feed.idle();
      expect(await keysFound(core, 'kiwi')).toEqual([...keys].sort());
    });
    feed.stop();
    reader.engine.disconnect();

    // A restart: the saved index, and a device that has only the current segment (messages 11 and 12).
    const again = createSearchCore(await openSearchStore(), { later: noTimers });
    const opened = await again.open();
    const device = makeEngine(ts.url);
    await device.init();
    await device.login(reader.email, reader.password);
    device.connect();
    await device.open(general);
    await device.settled();
    expect(device.view(general).state.byKey.size).toBe(2);
    const after = feedInto(device, again, opened.manifest);
    await after.idle();
    expect(await keysFound(again, 'kiwi')).toEqual([...keys].sort());
    expect((await again.search({ q: 'item1 ' })).map((h) => h.key)).toEqual([keys[0]]);

    // The writer deletes the first message (segment 0) while this device does not hold that segment: kept
    // until the segment is loaded, then gone.
    const localId = (key: string): string => key.slice(key.indexOf(':') + 1);
    await writer.engine.delete(general, localId(keys[0] ?? ''));
    await writer.engine.settled();
    while (await device.loadOlder(general)) await device.settled();
    await eventually(async () => {
      await after.idle();
      expect(await again.search({ q: 'item1 ' })).toEqual([]);
    });
    // A deletion in an older segment that arrives while the segment is loaded.
    await writer.engine.delete(general, localId(keys[1] ?? ''));
    await eventually(async () => {
      await after.idle();
      expect(await again.search({ q: 'item2 ' })).toEqual([]);
    });
    expect(await keysFound(again, 'kiwi')).toEqual(keys.slice(2).sort());
    after.stop();
    device.disconnect();
    writer.engine.disconnect();
  });

  it('a batch whose store fails is stored again, the batches after it too, and the failure is logged once', async () => {
    const writer = await addUser(ts, admin, 'tutor');
    const course = (await admin.createChannel('feed-failure', 'public')).id;
    await writer.engine.join(course);
    await writer.engine.open(course);
    const real = await openSearchStore();
    await real.clear();
    let failures = 1;
    const flaky: SearchStore = {
      ...real,
      append: (b) => {
        if (failures-- > 0) return Promise.reject(new Error('QuotaExceededError'));
        return real.append(b);
      },
    };
    const core = createSearchCore(flaky, { later: noTimers });
    const warnings: string[] = [];
    const feed = feedInto(writer.engine, core, (await core.open()).manifest, warnings);
    const first = await writer.engine.send(course, 'papaya first');
    await eventually(async () => {
      await feed.idle();
      expect((await core.search({ q: 'papaya' })).map((h) => h.key)).toEqual([first]);
    });
    const second = await writer.engine.send(course, 'papaya second');
    await eventually(async () => {
      await feed.idle();
      expect((await core.search({ q: 'papaya' })).map((h) => h.key).sort()).toEqual([first, second].sort());
    });
    expect(warnings).toEqual(['Search could not save its index; trying again.']);
    // Both are on disk: a start finds them.
    const again = createSearchCore(await openSearchStore(), { later: noTimers });
    await again.open();
    expect((await again.search({ q: 'papaya' })).map((h) => h.key).sort()).toEqual([first, second].sort());
    feed.stop();
    writer.engine.disconnect();
  });
});
