import { createEngine, type Engine, type SocketLike } from '@commonroom/engine';
import { createDexieStorage } from './dexie-storage.ts';

/** Builds the browser's engine: IndexedDB storage, the page's own WebSocket, same-origin cookies. */
export function createBrowserEngine(): Engine {
  const engine = createEngine({
    baseUrl: location.origin,
    storage: createDexieStorage(),
    socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
    clientName: 'commonroom-pwa',
  });
  // The browser knows about the network before the socket does: drop a socket that cannot work, and
  // reconnect at once when the network is back instead of waiting out the backoff.
  addEventListener('offline', () => engine.dropConnection());
  addEventListener('online', () => engine.retryNow());
  return engine;
}

/** Asks the browser not to evict our data under storage pressure (messages waiting to send live there). */
export async function requestPersistentStorage(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}
