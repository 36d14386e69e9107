import type { Engine } from '@commonroom/engine';
import { createFeed } from './feed.ts';
import { forgetRecentSearches } from './recent-searches.ts';
import { SEARCH_DB } from './search-store.ts';
import type { Opened } from './search-core.ts';
import type { SearchHit, SearchQuery } from './search-index.ts';
import type { WorkerAnswers, WorkerReply, WorkerRequest } from './worker-protocol.ts';

/**
 * Device search as the page sees it: starts the worker, loads the saved index, feeds it from the engine and
 * answers queries. Loaded lazily (search/start.ts is imported after sign-in), so none of it, nor MiniSearch,
 * is in the first screen's JavaScript.
 */

type Ask = <T extends WorkerRequest['t']>(
  t: T,
  body: Omit<Extract<WorkerRequest, { t: T }>, 'id' | 't'>,
) => Promise<WorkerAnswers[T]>;

function connect(worker: Worker): Ask {
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  worker.onmessage = (e: MessageEvent<WorkerReply>) => {
    const w = waiting.get(e.data.id);
    if (!w) return;
    waiting.delete(e.data.id);
    if ('error' in e.data) w.reject(new Error(e.data.error));
    else w.resolve(e.data.ok);
  };
  return (t, body) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, t, ...body });
    });
}

export type DeviceSearch = {
  /** How the saved index was loaded (documents, journal batches replayed, milliseconds). */
  opened: Promise<Opened>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  /** Resolves when everything the engine had at the call is indexed and saved. */
  idle(): Promise<void>;
  /** Hears each batch of messages the index has taken in (a search on screen runs again). */
  onIndexed(listener: () => void): () => void;
  /** Empties the index and its saved copy (sign-out). */
  clear(): Promise<void>;
  stop(): void;
};

export function startDeviceSearch(engine: Engine, flushDelayMs = 250): DeviceSearch {
  const worker = new Worker(new URL('./search-worker.ts', import.meta.url), {
    type: 'module',
    name: 'search',
  });
  const ask = connect(worker);
  const opened = ask('open', {});
  const indexed = new Set<() => void>();
  const feed = opened.then((o) =>
    createFeed({
      source: {
        subscribe: engine.subscribe,
        me: engine.me,
        conversations: engine.conversations,
        view: engine.view,
      },
      manifest: o.manifest,
      send: async (batch) => {
        await ask('apply', { batch });
        for (const listener of [...indexed]) listener();
      },
      delay: (flush) => setTimeout(flush, flushDelayMs),
      // 1 s, 2 s, 4 s … up to a minute: storage that is full or closed gets time to recover.
      retryAfter: (attempt) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(60_000, 1_000 * 2 ** attempt))),
      warn: (message, error) => console.warn(message, error),
    }),
  );
  return {
    opened,
    search: async (query) => {
      await opened;
      return ask('search', { query });
    },
    idle: async () => (await feed).idle(),
    onIndexed: (listener) => {
      indexed.add(listener);
      return () => indexed.delete(listener);
    },
    clear: async () => {
      (await feed).stop();
      await ask('clear', {});
    },
    stop: () => {
      void feed.then((f) => f.stop());
      worker.terminate();
    },
  };
}

/** The page's one device search: started after sign-in (app.tsx), for the search screen to ask. */
let current: { engine: Engine; search: DeviceSearch } | null = null;

export function deviceSearch(engine: Engine): DeviceSearch {
  if (current?.engine !== engine) {
    current?.search.stop();
    current = { engine, search: startDeviceSearch(engine) };
    // Signed out (engine.logout emptied the engine's stores): the index and its database go too.
    const stop = engine.subscribe(() => {
      if (engine.me() !== null) return;
      stop();
      void forgetDeviceSearch();
    });
  }
  return current.search;
}

/**
 * Sign-out (deviceSearch hears it from the engine): the worker stops and the saved index is deleted with
 * everything else the person had here, and so do their recent searches. (A wipe deletes every database of the origin: wipe-device.ts.)
 */
export async function forgetDeviceSearch(): Promise<void> {
  current?.search.stop();
  current = null;
  forgetRecentSearches();
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(SEARCH_DB);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
}
