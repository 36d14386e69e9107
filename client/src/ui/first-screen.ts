/**
 * The first screen's moment: the open conversation's newest messages are painted. Work a start does not
 * need for that screen (device search and its index, the upload queue, presence reports, the floating
 * notices) waits for it, so it neither takes the main thread nor queues fetches at the service worker
 * ahead of the message list's code (issue 20: the offline cold start grew past its goal as issues 16
 * and 17 added such work at start). When no conversation is shown (a phone's list, Activity, a page with
 * no list, a hidden tab that paints nothing) nothing marks the moment, so waiting ends after `fallbackMs`
 * anyway.
 */

let shown = false;
const waiting = new Set<() => void>();

/** The message list has painted its rows (or its empty line): called once per page, later calls do nothing. */
export function markFirstScreen(): void {
  if (shown) return;
  shown = true;
  for (const go of [...waiting]) go();
  waiting.clear();
}

/** Resolves once the first screen is painted, or after `fallbackMs` if nothing marks it. */
export function afterFirstScreen(fallbackMs = 2_000): Promise<void> {
  if (shown) return Promise.resolve();
  return new Promise((resolve) => {
    const go = () => {
      clearTimeout(timer);
      waiting.delete(go);
      resolve();
    };
    const timer = setTimeout(go, fallbackMs);
    waiting.add(go);
  });
}

/**
 * Marks the first screen after the frame now being prepared has been painted: a task queued from an
 * animation frame callback runs after that frame's paint.
 */
export function markFirstScreenAfterPaint(): void {
  if (shown) return;
  requestAnimationFrame(() => setTimeout(markFirstScreen, 0));
}

/**
 * Loads a part deferred past the first screen. On a first visit that went offline before the service
 * worker stored every part, the fetch fails: it is tried again when the browser is back online, instead
 * of leaving an unhandled rejection (and the part never started).
 */
export function loadDeferred<T>(load: () => Promise<T>): Promise<T> {
  return load().catch(
    () =>
      new Promise<T>((resolve) => {
        const again = (): void => void loadDeferred(load).then(resolve);
        window.addEventListener('online', again, { once: true });
      }),
  );
}
