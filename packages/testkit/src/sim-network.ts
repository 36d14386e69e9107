import type { Scheduler } from './sim-scheduler.ts';

/**
 * A simulated network between WebSocket clients and one server, every message delivered by the
 * scheduler. What a WebSocket guarantees holds: on one socket, messages arrive in the order they were sent,
 * each once, until the socket is cut; after a cut, whatever was still on its way is lost, and each side
 * learns of the cut on its own, a little later. Across sockets nothing is ordered: each message takes its
 * own seeded delay, so two devices' messages reach the server in either order.
 *
 * The faults, all drawn from one seeded generator: connections cut at random moments (after a while, or
 * just after a message went either way, or as `cutAfter` says for a given message), and a client's message
 * delivered twice in a row, which the protocol must bear (P11: a frame duplicated on the way). The first
 * message of a socket (HELLO) is never doubled: a second HELLO is a protocol error, not a network fault.
 */

/** The client side, shaped like the browser's WebSocket (the engine's `SocketLike`). */
export type SimSocket = {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

/** The server's end of one socket: what the server may do with it. */
export type ServerEnd = {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
};

/** What the server does with what arrives on one socket. */
export type ServerConnection = { message(data: Uint8Array): void; closed(): void };

/** Takes a new socket, or refuses the upgrade (null: the client sees a close before any open). */
export type Accept = (
  end: ServerEnd,
  url: string,
  headers: Record<string, string>,
) => ServerConnection | null;

export type NetworkFaults = {
  /** Delay of each message, uniform in [min, max] ms (order on a socket is kept whatever the draw). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Mean time an open socket lives before it is cut (exponentially distributed); 0: never. */
  cutMeanMs: number;
  /** Chance a client's message is followed by a cut within a few ms. */
  cutAfterSendRate: number;
  /** Chance a server's message is followed by a cut within a few ms. */
  cutAfterReceiveRate: number;
  /** Chance a client's message (not the first) is delivered twice. */
  duplicateRate: number;
};

export const DEFAULT_NETWORK_FAULTS: NetworkFaults = {
  minDelayMs: 1,
  maxDelayMs: 25,
  cutMeanMs: 1_500,
  cutAfterSendRate: 0.02,
  cutAfterReceiveRate: 0.01,
  duplicateRate: 0.1,
};

export type NetworkStats = {
  sockets: number;
  cuts: number;
  duplicates: number;
  sent: number;
  received: number;
  /** Messages lost because their socket was cut while they were on their way. */
  lost: number;
};

export type NetworkOptions = {
  scheduler: Scheduler;
  random: () => number;
  accept: Accept;
  faults?: Partial<NetworkFaults>;
  /** An extra chance of a cut right after this message ('in': to the client), e.g. after a refusal. */
  cutAfter?: (data: Uint8Array, direction: 'in' | 'out') => number;
  trace?: (event: string, data?: Uint8Array) => void;
};

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
/** The code a browser reports for a connection lost without a close frame. */
const ABNORMAL = 1006;

export type SimNetwork = ReturnType<typeof createSimNetwork>;

export function createSimNetwork(o: NetworkOptions) {
  const f: NetworkFaults = { ...DEFAULT_NETWORK_FAULTS, ...o.faults };
  const { scheduler, random } = o;
  let faulty = true;
  const stats: NetworkStats = { sockets: 0, cuts: 0, duplicates: 0, sent: 0, received: 0, lost: 0 };
  const live = new Set<Link>();
  const trace = o.trace ?? (() => undefined);
  const delay = (): number => f.minDelayMs + Math.floor(random() * (f.maxDelayMs - f.minDelayMs + 1));

  class Link implements SimSocket {
    binaryType = 'arraybuffer';
    readyState = CONNECTING;
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    /** Set once the wire is gone: nothing more is delivered either way. */
    private cut = false;
    private server: ServerConnection | null = null;
    private serverGone = false;
    private clientToldClosed = false;
    private lastOut = 0;
    private lastIn = 0;
    private outCount = 0;
    private lifetime: unknown = null;

    constructor(url: string, headers: Record<string, string>) {
      stats.sockets++;
      live.add(this);
      const end: ServerEnd = {
        send: (data) => this.toClient(data),
        close: (code, reason) => this.serverClose(code, reason),
        bufferedAmount: 0,
      };
      this.lastOut = scheduler.now() + delay();
      scheduler.at(this.lastOut - scheduler.now(), () => {
        if (this.cut || this.readyState !== CONNECTING) return;
        const conn = o.accept(end, url, headers);
        if (!conn) {
          this.wireGone();
          this.tellClientClosed(ABNORMAL, '');
          return;
        }
        this.server = conn;
        this.lastIn = scheduler.now() + delay();
        scheduler.at(this.lastIn - scheduler.now(), () => {
          if (this.cut || this.readyState !== CONNECTING) return;
          this.readyState = OPEN;
          this.arm();
          this.onopen?.({});
        });
      });
    }

    /** Gives an open socket its random lifetime, while faults are on. */
    arm(): void {
      if (this.readyState !== OPEN || this.cut || this.lifetime !== null || !faulty || f.cutMeanMs <= 0)
        return;
      this.lifetime = scheduler.at(-Math.log(1 - random()) * f.cutMeanMs, () => this.faultCut());
    }

    /** Schedules `fn` after every message already on its way in that direction (a socket keeps order). */
    private later(direction: 'in' | 'out', fn: () => void): void {
      const at = Math.max(direction === 'in' ? this.lastIn : this.lastOut, scheduler.now() + delay());
      if (direction === 'in') this.lastIn = at;
      else this.lastOut = at;
      scheduler.at(at - scheduler.now(), fn);
    }

    private maybeCut(rate: number): void {
      if (faulty && rate > 0 && random() < rate)
        scheduler.at(1 + Math.floor(random() * 5), () => this.faultCut());
    }

    /** A cut decided while faults were on happens only if they still are (the network got good again). */
    private faultCut(): void {
      this.lifetime = null;
      if (faulty) this.cutNow();
    }

    send(data: Uint8Array): void {
      if (this.readyState !== OPEN) throw new Error('send on a socket that is not open');
      const copy = data.slice();
      stats.sent++;
      trace('out', copy);
      const times = this.outCount++ > 0 && faulty && random() < f.duplicateRate ? 2 : 1;
      if (times === 2) stats.duplicates++;
      for (let i = 0; i < times; i++)
        this.later('out', () => {
          if (this.cut || this.serverGone) return void stats.lost++;
          this.server?.message(copy);
        });
      this.maybeCut(f.cutAfterSendRate + (o.cutAfter?.(copy, 'out') ?? 0));
    }

    private toClient(data: Uint8Array): void {
      if (this.cut || this.serverGone) return;
      const copy = data.slice();
      this.later('in', () => {
        if (this.cut || this.readyState !== OPEN) return void stats.lost++;
        stats.received++;
        trace('in', copy);
        this.onmessage?.({ data: copy });
        this.maybeCut(f.cutAfterReceiveRate + (o.cutAfter?.(copy, 'in') ?? 0));
      });
    }

    /** The client closes: what it sent before arrives first, then the server hears the close. */
    close(code = 1000, reason = ''): void {
      if (this.readyState === CLOSING || this.readyState === CLOSED) return;
      const wasConnecting = this.readyState === CONNECTING;
      this.readyState = CLOSING;
      trace(`close ${code} ${reason}`);
      if (wasConnecting) {
        this.wireGone();
        this.tellClientClosed(ABNORMAL, '');
        return;
      }
      this.later('out', () => {
        this.serverHearsClosed();
        this.wireGone();
        this.tellClientClosed(code, reason);
      });
    }

    /** The server closes: what it sent before arrives first, then the client hears the close. */
    private serverClose(code: number, reason: string): void {
      if (this.serverGone || this.cut) return;
      this.serverGone = true;
      this.later('in', () => {
        this.wireGone();
        this.tellClientClosed(code, reason);
        this.serverHearsClosed();
      });
    }

    /** The network cuts the socket: each side learns of it on its own, after a while. */
    cutNow(): void {
      if (this.cut || this.readyState === CLOSED) return;
      stats.cuts++;
      trace('cut');
      this.wireGone();
      scheduler.at(delay(), () => this.serverHearsClosed());
      scheduler.at(delay(), () => this.tellClientClosed(ABNORMAL, 'network cut (simulated)'));
    }

    private wireGone(): void {
      this.cut = true;
      live.delete(this);
      scheduler.cancel(this.lifetime);
    }

    private serverHearsClosed(): void {
      const s = this.server;
      this.server = null;
      this.serverGone = true;
      s?.closed();
    }

    private tellClientClosed(code: number, reason: string): void {
      if (this.clientToldClosed) return;
      this.clientToldClosed = true;
      this.readyState = CLOSED;
      trace(`closed ${code} ${reason}`);
      this.onclose?.({ code, reason });
    }
  }

  return {
    /** The engine's `SocketFactory`. */
    socketFactory: (url: string, headers: Record<string, string>): SimSocket => new Link(url, headers),
    /** Faults off: no new cuts or duplicates (what is on its way still arrives); messages still take time. */
    setFaulty(on: boolean): void {
      faulty = on;
      for (const l of live) l.arm();
    },
    stats,
    /** Cuts every open socket now. */
    cutAll(): void {
      for (const l of [...live]) l.cutNow();
    },
  };
}
