import { BusUnavailableError, createHandlerSets, type Bus } from './bus.ts';

/**
 * The bus within one process: for one server on its own (no Redis), and for tests that run several
 * servers in one process. `down()`/`up()` cut every bus on the hub off and bring them back, as a broker
 * restart would, so callers' catch-up can be tested without one.
 */
export type LocalBusHub = ReturnType<typeof createLocalBusHub>;

type Member = { deliver: (topic: string, payload: Uint8Array) => void; back: () => void };

export function createLocalBusHub() {
  const members = new Set<Member>();
  let isUp = true;
  return {
    join(m: Member): () => void {
      members.add(m);
      return () => members.delete(m);
    },
    isUp: (): boolean => isUp,
    publish(topic: string, payload: Uint8Array): void {
      // A copy now: the publisher may reuse its buffer as soon as publish returns.
      const copy = payload.slice();
      // Delivered on a later turn, as from a network, so no handler runs inside the publisher's call.
      setImmediate(() => {
        if (isUp) for (const m of members) m.deliver(topic, copy);
      });
    },
    down(): void {
      isUp = false;
    },
    up(): void {
      if (isUp) return;
      isUp = true;
      for (const m of members) m.back();
    },
  };
}

export function createLocalBus(hub: LocalBusHub, onError: (err: unknown) => void): Bus {
  const handlers = createHandlerSets();
  const reconnected = new Set<() => void>();
  let closed = false;
  const leave = hub.join({
    deliver: (topic, payload) => handlers.deliver(topic, payload, onError),
    back: () =>
      setImmediate(() => {
        for (const f of reconnected) f();
      }),
  });
  return {
    async publish(topic, payload) {
      if (closed) throw new BusUnavailableError('closed');
      if (!hub.isUp()) throw new BusUnavailableError('the local hub is down');
      hub.publish(topic, payload);
    },
    async subscribe(topic, handler) {
      handlers.add(topic, handler);
      return () => void handlers.remove(topic, handler);
    },
    onReconnected(f) {
      reconnected.add(f);
      return () => void reconnected.delete(f);
    },
    connected: () => !closed && hub.isUp(),
    async close() {
      closed = true;
      handlers.clear();
      leave();
    },
  };
}
