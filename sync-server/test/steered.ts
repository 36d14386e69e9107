import {
  createMemoryStorage,
  type EngineStorage,
  type SocketFactory,
  type SocketLike,
} from '@commonroom/engine';
import { decodeMessage, type Frame } from '@commonroom/protocol';
import WebSocket from 'ws';

/**
 * Test doubles that let a test drive one exact interleaving of an engine with the real server: a real
 * WebSocket whose socket messages the test may lose or hold back (as a bad network does), and a real
 * memory store whose calls the test may hold at a gate (as a slow IndexedDB does). Nothing is faked beyond
 * the timing: every frame that goes through is the engine's and the server's own.
 */

const framesOf = (data: unknown): Frame[] => {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null;
  if (!bytes) return [];
  const m = decodeMessage(bytes, Number.POSITIVE_INFINITY);
  return m.ok ? m.frames : [];
};

export type FramePredicate = (f: Frame) => boolean;

export type SteeredNetwork = {
  factory: SocketFactory;
  /** The next outgoing socket message holding a frame that matches is lost (never reaches the server). */
  loseNextOut(match: FramePredicate): Promise<Frame[]>;
  /**
   * From the next incoming socket message holding a frame that matches, that message and every later one
   * on the same socket wait (in order) until `release`; resolves when the first is held.
   */
  holdIn(match: FramePredicate): Promise<void>;
  /** Delivers what was held, in order. */
  release(): void;
  /** The frames held back now, in order. */
  held(): Frame[];
  /** Every frame the engine received, in order (for assertions and failure messages). */
  received: Frame[];
  /** Every frame that went out to the server, in order. */
  sent: Frame[];
};

export function steeredNetwork(): SteeredNetwork {
  const losing: { match: FramePredicate; done: (f: Frame[]) => void }[] = [];
  let holding: { match: FramePredicate; started: () => void } | null = null;
  let held: { frames: Frame[]; deliver: () => void }[] | null = null;
  const received: Frame[] = [];
  const sent: Frame[] = [];

  const factory: SocketFactory = (url, headers) => {
    const ws = new WebSocket(url, { headers });
    ws.binaryType = 'arraybuffer';
    const socket: SocketLike = {
      binaryType: 'arraybuffer',
      get readyState() {
        return ws.readyState;
      },
      send(data: Uint8Array) {
        const frames = framesOf(data);
        const at = losing.findIndex((l) => frames.some(l.match));
        if (at >= 0) {
          const [l] = losing.splice(at, 1);
          l?.done(frames);
          return;
        }
        sent.push(...frames);
        ws.send(data);
      },
      close: (code, reason) => ws.close(code, reason),
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    const deliver = (data: unknown): void => {
      received.push(...framesOf(data));
      socket.onmessage?.({ data });
    };
    ws.onopen = (ev) => socket.onopen?.(ev);
    ws.onmessage = (ev) => {
      if (holding && framesOf(ev.data).some(holding.match)) {
        held = [];
        holding.started();
        holding = null;
      }
      if (held) held.push({ frames: framesOf(ev.data), deliver: () => deliver(ev.data) });
      else deliver(ev.data);
    };
    ws.onclose = (ev) => socket.onclose?.({ code: ev.code, reason: ev.reason });
    ws.onerror = (ev) => socket.onerror?.(ev);
    return socket;
  };

  return {
    factory,
    loseNextOut: (match) => new Promise((done) => losing.push({ match, done })),
    holdIn: (match) =>
      new Promise((started) => {
        holding = { match, started };
      }),
    release() {
      const queue = held ?? [];
      held = null;
      for (const h of queue) h.deliver();
    },
    held: () => (held ?? []).flatMap((h) => h.frames),
    received,
    sent,
  };
}

export type GatedStorage = {
  storage: EngineStorage;
  /**
   * The next call of `method` (for which `when` holds, if given) waits at a gate: `reached` resolves when it arrives there (with its
   * arguments), `open` lets it (and every call queued behind it) go on.
   */
  gate(
    method: keyof EngineStorage,
    when?: (args: unknown[]) => boolean,
  ): { reached: Promise<unknown[]>; open: () => void };
  /** The methods called, in the order they ran (the order the device stored things in). */
  ran: string[];
};

/** Memory storage whose calls run in call order, one after another, like IndexedDB transactions. */
export function gatedStorage(): GatedStorage {
  const inner = createMemoryStorage();
  const gates = new Map<
    string,
    { when: (args: unknown[]) => boolean; arrived: (args: unknown[]) => void; opened: Promise<void> }
  >();
  let queue: Promise<unknown> = Promise.resolve();
  const ran: string[] = [];
  const out = {} as Record<string, unknown>;
  for (const [k, f] of Object.entries(inner) as [string, (...a: unknown[]) => Promise<unknown>][])
    out[k] = (...args: unknown[]) => {
      const candidate = gates.get(k);
      const g = candidate?.when(args) ? candidate : undefined;
      if (g) gates.delete(k);
      const run = queue.then(async () => {
        if (g) {
          g.arrived(args);
          await g.opened;
        }
        ran.push(k);
        return f(...args);
      });
      queue = run.catch(() => undefined);
      return run;
    };
  return {
    storage: out as unknown as EngineStorage,
    ran,
    gate(method, when = () => true) {
      let arrived: (args: unknown[]) => void = () => undefined;
      let open: () => void = () => undefined;
      const reached = new Promise<unknown[]>((r) => (arrived = r));
      const opened = new Promise<void>((r) => (open = r));
      gates.set(method, { when, arrived, opened });
      return { reached, open };
    },
  };
}
