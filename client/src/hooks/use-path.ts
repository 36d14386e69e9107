import { useSyncExternalStore } from 'react';

/**
 * The page's path as React state, for the few real paths the app has (/admin/...): deep links survive a
 * reload because the server answers every unknown path with the app (sync-server/src/http/app.ts), and
 * the back button works because navigation is history.pushState plus the popstate the browser fires.
 */
const NAVIGATED = 'commonroom:navigate';

const subscribe = (cb: () => void): (() => void) => {
  addEventListener('popstate', cb);
  addEventListener(NAVIGATED, cb);
  return () => {
    removeEventListener('popstate', cb);
    removeEventListener(NAVIGATED, cb);
  };
};

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

/** Goes to `path` as a new history entry (or in place with `replace`), keeping no hash. */
export function navigate(path: string, replace = false): void {
  if (path === location.pathname && location.hash === '') return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  dispatchEvent(new Event(NAVIGATED));
}
