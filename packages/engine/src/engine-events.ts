/**
 * How the engine tells the app something changed: one batched notification per microtask however many
 * parts changed, errors to their listeners, and the promises of `settled()`.
 */

export type EngineError = { code: string; message: string };

export function createEngineEvents(deps: { isSettled: () => boolean }) {
  const listeners = new Set<() => void>();
  const errorListeners = new Set<(e: EngineError) => void>();
  const settledWaiters: (() => void)[] = [];
  let version = 0;
  let emitScheduled = false;

  const checkSettled = (): void => {
    if (settledWaiters.length === 0 || !deps.isSettled()) return;
    settledWaiters.splice(0).forEach((f) => f());
  };
  const reportError = (code: string, message: string): void => {
    for (const l of errorListeners) l({ code, message });
  };

  return {
    emit: (): void => {
      version++;
      if (emitScheduled) return;
      emitScheduled = true;
      queueMicrotask(() => {
        emitScheduled = false;
        for (const l of listeners) l();
        checkSettled();
      });
    },
    reportError,
    /**
     * Runs engine work nobody awaits (a frame's answer, a replay). Whatever it throws is reported, never left
     * as an unhandled rejection, which ends a Node process (issue 12 B8).
     */
    inBackground: (work: Promise<unknown>): void => {
      work.catch((err: unknown) =>
        reportError('engine', err instanceof Error ? err.message : 'something went wrong on this device'),
      );
    },
    /** Resolves when online with every document synced and nothing waiting to send. */
    settled: (): Promise<void> => {
      if (deps.isSettled()) return Promise.resolve();
      return new Promise((resolve) => settledWaiters.push(resolve));
    },
    subscribe: (listener: () => void): (() => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onError: (listener: (e: EngineError) => void): (() => void) => {
      errorListeners.add(listener);
      return () => errorListeners.delete(listener);
    },
    version: (): number => version,
  };
}
