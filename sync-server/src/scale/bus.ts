/**
 * The cross-process bus (docs/SCALE-OUT.md §5): bytes published to a topic reach every subscriber of that
 * topic on every process, at most once and in the order one bus published them. Nothing is kept: a bus
 * that was cut off has missed whatever was published meanwhile, and says so with `reconnected`, so its
 * callers catch up from storage (which holds everything acknowledged). One conformance suite
 * (test/bus.suite.ts) runs against every implementation.
 */
export interface Bus {
  /**
   * Sends `payload` to `topic`. Resolves once handed to the broker; rejects with `BusUnavailableError` at
   * once while the bus is cut off (never queued to go out late: a late relay is worse than a catch-up).
   */
  publish(topic: string, payload: Uint8Array): Promise<void>;
  /**
   * Calls `handler` with every payload published to `topic` from now on. Resolves with the unsubscribe
   * function once the subscription is in force (so a catch-up read after it misses nothing). While cut
   * off it resolves at once: the subscription comes into force on reconnection, before `reconnected`.
   */
  subscribe(topic: string, handler: (payload: Uint8Array) => void): Promise<() => void>;
  /**
   * Calls `f` each time the bus is back after being cut off, with every subscription in force again:
   * messages may have been missed, and publishes may have failed, in between.
   */
  onReconnected(f: () => void): () => void;
  /** Whether publishing can work now. */
  connected(): boolean;
  /** Stops delivering and lets go of connections. */
  close(): Promise<void>;
}

/** A publish while the bus is cut off from its broker. */
export class BusUnavailableError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`the message bus is unavailable: ${detail}`, options);
    this.name = 'BusUnavailableError';
  }
}

/** Topic → handlers, the bookkeeping both implementations share. */
export function createHandlerSets() {
  const byTopic = new Map<string, Set<(payload: Uint8Array) => void>>();
  return {
    /** Adds `handler`; true when it is the topic's first (the broker must be told). */
    add(topic: string, handler: (payload: Uint8Array) => void): boolean {
      const set = byTopic.get(topic) ?? new Set();
      const first = set.size === 0;
      set.add(handler);
      byTopic.set(topic, set);
      return first;
    },
    /** Removes `handler`; true when the topic has none left (the broker may be told). */
    remove(topic: string, handler: (payload: Uint8Array) => void): boolean {
      const set = byTopic.get(topic);
      if (!set?.delete(handler)) return false;
      if (set.size > 0) return false;
      byTopic.delete(topic);
      return true;
    },
    topics: (): string[] => [...byTopic.keys()],
    /**
     * Calls every handler of `topic` with its own copy; a handler that throws is reported to `onError` and
     * does not stop the others (a bus callback must never let an exception escape).
     */
    deliver(topic: string, payload: Uint8Array, onError: (err: unknown) => void): void {
      for (const h of byTopic.get(topic) ?? []) {
        try {
          h(payload.slice());
        } catch (err) {
          onError(err);
        }
      }
    },
    clear: (): void => byTopic.clear(),
  };
}
