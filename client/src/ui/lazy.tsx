import { lazy as reactLazy, type ComponentType, type LazyExoticComponent } from 'react';

/**
 * React's `lazy`, except that a part whose code cannot be fetched shows a plain notice where it would have
 * been, instead of throwing and leaving the whole app blank. It happens on a first visit that goes offline
 * before the service worker has stored every part, and after an update replaced the files an open tab
 * expected. Reloading is the way out: by then the service worker serves the part (or the new build).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same bound as React's own `lazy`
export function lazy<T extends ComponentType<any>>(
  load: () => Promise<{ default: T }>,
  /** `quiet`: a small part inside something else (a message's "Seen"): missing, it shows nothing, since a
   * notice there would squeeze the message around it; the part is not needed to read or write. */
  opts: { quiet?: boolean } = {},
): LazyExoticComponent<T> {
  return reactLazy(async () => {
    try {
      return await load();
    } catch (e) {
      console.warn('A part of the app could not be loaded', e);
      return { default: (opts.quiet ? Nothing : PartUnavailable) as unknown as T };
    }
  });
}

function Nothing() {
  return null;
}

function PartUnavailable() {
  return (
    <div className="part-unavailable" role="alert">
      <p>This part of Commonroom hasn’t been saved on this device yet, so it needs the network to open.</p>
      <button type="button" onClick={() => location.reload()}>
        Try again
      </button>
    </div>
  );
}
