import type { SocketFactory, SocketLike } from '@commonroom/engine';
import { decodeMessage } from '@commonroom/protocol';
import WebSocket from 'ws';

/**
 * A SocketFactory that wraps the real `ws` WebSocket and misbehaves like a bad network, driven by a seeded
 * PRNG: it drops connections at random moments, sends some outgoing messages twice, swaps some outgoing
 * messages with the next one, and delays delivery both ways (in order, apart from the swaps).
 *
 * Nothing is ever lost while the socket stays open: a held-back message goes out after the next one, or on
 * its own after `holdMs`. A dropped socket loses whatever it still had queued, as a real network would.
 * The first outgoing message (HELLO) always goes out untouched: the server closes a socket that says hello
 * twice with a terminal code, which is the engine's correct behaviour rather than a network fault.
 */

export type FaultOptions = {
  /** Mean time an open connection lives before it is dropped (exponentially distributed). */
  dropMeanMs: number;
  /** Chance, per outgoing message, that the connection drops within a few ms of sending it. */
  dropAfterSendRate: number;
  /** Chance, per incoming message, that the connection drops within a few ms of receiving it. */
  dropAfterReceiveRate: number;
  /** Chance the connection drops within a few ms of receiving a REJECT, while the engine rebuilds. */
  dropAfterRefusalRate: number;
  /** Chance an outgoing message is sent twice. */
  duplicateRate: number;
  /** Chance an outgoing message is held back and sent after the next one. */
  reorderRate: number;
  /** A held-back message goes out on its own after this long if nothing follows it. */
  holdMs: number;
  /** Upper bound of the random delay of each outgoing message (delivery stays in order). */
  maxSendDelayMs: number;
  /** Upper bound of the random delay of each incoming message (delivery stays in order). */
  maxReceiveDelayMs: number;
};

export const DEFAULT_FAULTS: FaultOptions = {
  dropMeanMs: 1_500,
  dropAfterSendRate: 0.02,
  dropAfterReceiveRate: 0.01,
  dropAfterRefusalRate: 0.2,
  duplicateRate: 0.1,
  reorderRate: 0.15,
  holdMs: 40,
  maxSendDelayMs: 25,
  maxReceiveDelayMs: 25,
};

export type FaultStats = {
  sockets: number;
  drops: number;
  duplicates: number;
  reorders: number;
  sent: number;
  received: number;
  /** Messages lost because their socket was dropped while they were queued. */
  lost: number;
};

export type FaultController = {
  socketFactory: SocketFactory;
  /** Turns faults on or off. Off: no new faults; whatever is queued still goes out, in order. */
  setEnabled(on: boolean): void;
  enabled(): boolean;
  stats: FaultStats;
  /** Drops every open socket now (used by tests to force a reconnect). */
  dropAll(): void;
};

type Queued = { data: Uint8Array; due: number };

const carriesReject = (bytes: Uint8Array): boolean => {
  const m = decodeMessage(bytes);
  return m.ok && m.frames.some((f) => f.type === 'reject');
};

const OPEN = 1;

export function createFaultController(
  random: () => number,
  options: Partial<FaultOptions> = {},
  trace?: (event: string, data?: Uint8Array) => void,
): FaultController {
  const o: FaultOptions = { ...DEFAULT_FAULTS, ...options };
  let on = true;
  const stats: FaultStats = {
    sockets: 0,
    drops: 0,
    duplicates: 0,
    reorders: 0,
    sent: 0,
    received: 0,
    lost: 0,
  };
  const live = new Set<FaultySocket>();

  class FaultySocket implements SocketLike {
    private readonly ws: WebSocket;
    private helloSent = false;
    private closed = false;
    private readonly outQueue: Queued[] = [];
    private outTimer: ReturnType<typeof setTimeout> | null = null;
    private held: Uint8Array | null = null;
    private holdTimer: ReturnType<typeof setTimeout> | null = null;
    private readonly inQueue: { data: unknown; due: number }[] = [];
    private inTimer: ReturnType<typeof setTimeout> | null = null;
    private dropTimer: ReturnType<typeof setTimeout> | null = null;
    private lastOutDue = 0;
    private lastInDue = 0;

    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;

    constructor(url: string, headers: Record<string, string>) {
      stats.sockets++;
      this.ws = new WebSocket(url, { headers });
      this.ws.binaryType = 'arraybuffer';
      this.ws.onopen = (ev) => {
        live.add(this);
        this.scheduleDrop();
        this.onopen?.(ev);
      };
      this.ws.onmessage = (ev) => this.receive(ev.data);
      this.ws.onerror = (ev) => this.onerror?.(ev);
      this.ws.onclose = (ev) => {
        trace?.(`close ${ev.code}`);
        this.shutdown();
        this.onclose?.({ code: ev.code, reason: ev.reason });
      };
    }

    get binaryType(): string {
      return this.ws.binaryType;
    }
    set binaryType(v: string) {
      this.ws.binaryType = v as WebSocket['binaryType'];
    }
    get readyState(): number {
      return this.closed ? 3 : this.ws.readyState;
    }

    send(data: Uint8Array): void {
      if (this.closed) return;
      const bytes = data.slice();
      if (!this.helloSent) {
        this.helloSent = true;
        this.enqueue(bytes, 0);
        return;
      }
      if (!on) {
        this.enqueue(bytes, 0);
        this.releaseHeld();
        return;
      }
      if (this.held !== null) {
        // The held message goes out after this one: a swap.
        this.enqueue(bytes, this.delay(o.maxSendDelayMs));
        this.releaseHeld();
      } else if (random() < o.reorderRate) {
        stats.reorders++;
        this.held = bytes;
        this.holdTimer = setTimeout(() => {
          this.holdTimer = null;
          this.releaseHeld();
        }, o.holdMs);
      } else {
        this.enqueue(bytes, this.delay(o.maxSendDelayMs));
      }
      if (random() < o.duplicateRate) {
        stats.duplicates++;
        this.enqueue(bytes, this.delay(o.maxSendDelayMs));
      }
      if (random() < o.dropAfterSendRate) {
        const t = setTimeout(() => on && this.drop(), Math.floor(random() * 10));
        t.unref?.();
      }
    }

    close(code?: number, reason?: string): void {
      this.shutdown();
      try {
        if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
        else this.ws.close(code, reason);
      } catch {
        // Already closing.
      }
    }

    /** Loses everything queued and cuts the connection, like a network that went away. */
    drop(): void {
      if (this.closed || this.ws.readyState !== OPEN) return;
      stats.drops++;
      trace?.('drop');
      const graceful = random() < 0.5;
      this.shutdown();
      if (graceful) this.ws.close(4999, 'network dropped (test)');
      else this.ws.terminate();
    }

    private delay(max: number): number {
      return max > 0 ? Math.floor(random() * max) : 0;
    }

    private releaseHeld(): void {
      if (this.holdTimer !== null) clearTimeout(this.holdTimer);
      this.holdTimer = null;
      const h = this.held;
      this.held = null;
      if (h) this.enqueue(h, on ? this.delay(o.maxSendDelayMs) : 0);
    }

    private enqueue(data: Uint8Array, delayMs: number): void {
      // In order: a message is never due before the one queued ahead of it.
      const due = Math.max(this.lastOutDue, Date.now() + delayMs);
      this.lastOutDue = due;
      this.outQueue.push({ data, due });
      this.pumpOut();
    }

    private pumpOut(): void {
      if (this.outTimer !== null || this.closed) return;
      const now = Date.now();
      while (this.outQueue.length > 0 && (this.outQueue[0] as Queued).due <= now) {
        const q = this.outQueue.shift() as Queued;
        if (this.ws.readyState !== OPEN) {
          stats.lost++;
          continue;
        }
        stats.sent++;
        trace?.('out', q.data);
        this.ws.send(q.data);
      }
      const head = this.outQueue[0];
      if (head) {
        this.outTimer = setTimeout(
          () => {
            this.outTimer = null;
            this.pumpOut();
          },
          Math.max(0, head.due - now),
        );
      }
    }

    private receive(data: unknown): void {
      if (this.closed) return;
      const due = Math.max(this.lastInDue, Date.now() + (on ? this.delay(o.maxReceiveDelayMs) : 0));
      this.lastInDue = due;
      this.inQueue.push({ data, due });
      this.pumpIn();
    }

    private pumpIn(): void {
      if (this.inTimer !== null || this.closed) return;
      const now = Date.now();
      while (this.inQueue.length > 0 && (this.inQueue[0]?.due ?? 0) <= now && !this.closed) {
        const m = this.inQueue.shift();
        stats.received++;
        if (trace && m?.data instanceof ArrayBuffer) trace('in', new Uint8Array(m.data));
        this.onmessage?.({ data: m?.data });
        const refused =
          o.dropAfterRefusalRate > 0 &&
          m?.data instanceof ArrayBuffer &&
          carriesReject(new Uint8Array(m.data));
        if (on && (random() < o.dropAfterReceiveRate || (refused && random() < o.dropAfterRefusalRate))) {
          const t = setTimeout(() => on && this.drop(), Math.floor(random() * 5));
          t.unref?.();
        }
      }
      const head = this.inQueue[0];
      if (head && !this.closed) {
        this.inTimer = setTimeout(
          () => {
            this.inTimer = null;
            this.pumpIn();
          },
          Math.max(0, head.due - now),
        );
      }
    }

    scheduleDrop(): void {
      if (this.dropTimer !== null) clearTimeout(this.dropTimer);
      this.dropTimer = null;
      if (!on || this.closed) return;
      const ms = Math.max(5, Math.floor(-Math.log(1 - random()) * o.dropMeanMs));
      this.dropTimer = setTimeout(() => {
        this.dropTimer = null;
        if (on) this.drop();
      }, ms);
    }

    cancelDrop(): void {
      if (this.dropTimer !== null) clearTimeout(this.dropTimer);
      this.dropTimer = null;
    }

    /** Stops all timers and forgets what was queued (lost with the connection). */
    private shutdown(): void {
      if (this.closed) return;
      this.closed = true;
      live.delete(this);
      for (const t of [this.outTimer, this.inTimer, this.holdTimer, this.dropTimer])
        if (t !== null) clearTimeout(t);
      this.outTimer = this.inTimer = this.holdTimer = this.dropTimer = null;
      stats.lost += this.outQueue.length + (this.held ? 1 : 0);
      this.outQueue.length = 0;
      this.inQueue.length = 0;
      this.held = null;
    }

    /** Faults turned off: anything held goes out now, behind what is already queued. */
    calm(): void {
      this.cancelDrop();
      this.releaseHeld();
    }
  }

  return {
    socketFactory: (url, headers) => new FaultySocket(url, headers),
    setEnabled(value: boolean): void {
      on = value;
      for (const s of live) {
        if (value) s.scheduleDrop();
        else s.calm();
      }
    },
    enabled: () => on,
    stats,
    dropAll(): void {
      for (const s of [...live]) s.drop();
    },
  };
}
