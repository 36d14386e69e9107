import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type PerMessageDeflateOptions, type WebSocket } from 'ws';
import type { WsCompression } from '../config.ts';
import type { Timers } from '../timers.ts';

/**
 * The sync socket's WebSocket server, with permessage-deflate (RFC 7692) when configured. Every browser
 * offers it; what a phone downloads on opening a channel or catching up is mostly Yjs updates of chat
 * text, which shrink to about 40–45% (BENCHMARKS.md, issue 5 compression note).
 *
 * Why more than one `ws` server: a `ws` server with a numeric `clientMaxWindowBits` refuses the whole
 * handshake (HTTP 400) from a client whose offer does not name `client_max_window_bits` (RFC 7692 lets it
 * leave it out: Firefox does), and one that asks for a smaller `server_max_window_bits` than ours. So each
 * upgrade goes to the first server that accepts one of its offers: the bounded one (Chromium and Safari
 * offer `client_max_window_bits`, so our inflate window stays small), one that lets the client use the
 * default 32 KiB window (Firefox), or one without compression; never a refusal over compression.
 */

type UpgradeCallback = (ws: WebSocket, request: IncomingMessage) => void;

/** One permessage-deflate offer's parameters (name → value, `true` for a parameter without one). */
type Offer = Map<string, string | true>;

/** The permessage-deflate offers of a Sec-WebSocket-Extensions header, in the client's order. */
export function deflateOffers(header: string | undefined): Offer[] {
  if (!header) return [];
  const out: Offer[] = [];
  for (const ext of header.split(',')) {
    const [name, ...params] = ext.split(';').map((p) => p.trim());
    if (name?.toLowerCase() !== 'permessage-deflate') continue;
    const offer: Offer = new Map();
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) offer.set(p.toLowerCase(), true);
      else
        offer.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1'),
        );
    }
    out.push(offer);
  }
  return out;
}

/** Would `ws` (acceptAsServer) accept this offer with these options? Mirrors its refusal conditions. */
function acceptable(offer: Offer, o: PerMessageDeflateOptions): boolean {
  const bits = (key: string): number | true | undefined => {
    const v = offer.get(key);
    return v === undefined || v === true ? v : Number(v);
  };
  const server = bits('server_max_window_bits');
  if (
    typeof server === 'number' &&
    typeof o.serverMaxWindowBits === 'number' &&
    o.serverMaxWindowBits > server
  )
    return false;
  const client = bits('client_max_window_bits');
  if (typeof o.clientMaxWindowBits === 'number')
    return typeof client === 'number' ? o.clientMaxWindowBits <= client : client === true;
  return true;
}

export function deflateOptions(c: WsCompression): PerMessageDeflateOptions {
  return {
    // Each message compressed on its own: what lets releaseIdleDeflate drop the stream between messages
    // (the client may drop its inflate window too). Our large messages are whole answers of up to 64 KiB;
    // an 8 KiB window carried over from the previous one gains little.
    serverNoContextTakeover: true,
    // And the client compresses each message on its own: what lets sweepInflate drop our inflate stream
    // between its messages. What a client sends is small frames; context across them gains little.
    clientNoContextTakeover: true,
    // Applied by ws only without context takeover (as here); http/sync-route.ts says so per message too.
    threshold: c.threshold,
    serverMaxWindowBits: c.serverMaxWindowBits,
    clientMaxWindowBits: c.clientMaxWindowBits,
    zlibDeflateOptions: { level: c.level, memLevel: c.memLevel, chunkSize: c.deflateChunkSize },
    zlibInflateOptions: { chunkSize: c.inflateChunkSize },
  };
}

/**
 * A `WebSocketServerLike` for @hono/node-server (noServer mode): `handleUpgrade` hands each upgrade to
 * one of the underlying `ws` servers, and their `headers` events are re-emitted here.
 */
export class SyncSocketServer extends EventEmitter {
  readonly options = { noServer: true };
  private readonly servers: { ws: WebSocketServer; deflate: PerMessageDeflateOptions | null }[];

  private sweepTimer: ReturnType<typeof setTimeout> | null = null;
  /** Compressing sockets that received a message since the last sweep: their inflate stream is kept. */
  private readonly spoke = new WeakSet<WebSocket>();

  constructor(o: { maxPayload: number; compression: WsCompression | null; timers?: Timers }) {
    super();
    // ws checks maxPayload on the inflated size too, so a small compressed bomb also closes with 1009.
    const make = (deflate: PerMessageDeflateOptions | null) => ({
      ws: new WebSocketServer({
        noServer: true,
        maxPayload: o.maxPayload,
        perMessageDeflate: deflate ?? false,
      }),
      deflate,
    });
    if (o.compression) {
      const bounded = deflateOptions(o.compression);
      const { clientMaxWindowBits: _omitted, ...clientDefault } = bounded;
      this.servers = [make(bounded), make(clientDefault), make(null)];
    } else this.servers = [make(null)];
    for (const s of this.servers)
      s.ws.on('headers', (headers: string[], req: IncomingMessage) => this.emit('headers', headers, req));
    const timers = o.timers;
    const every = o.compression?.inflateSweepMs ?? 0;
    if (timers && every > 0) {
      const next = (): void => {
        this.sweepTimer = timers.setTimeout(() => {
          this.sweepInflate();
          next();
        }, every);
        // Never what keeps the process alive.
        this.sweepTimer.unref?.();
      };
      next();
    }
  }

  /**
   * Closes the inflate stream of every compressing socket that is between messages and has been quiet
   * since the last sweep; the next compressed message makes a new one. Browsers compress everything they
   * send, so without this every browser socket would hold one for its life (`--only=deflatemem`). A socket
   * that spoke since the last sweep keeps its stream (a new one costs about 60 µs, which a busy socket
   * would pay per message), so a socket quiet for one to two sweep periods lets go. Returns how many were
   * closed.
   */
  sweepInflate(): number {
    let closed = 0;
    for (const s of this.servers) {
      if (!s.deflate) continue;
      for (const ws of s.ws.clients) {
        if (this.spoke.delete(ws)) continue;
        if (releaseIdleInflate(ws)) closed++;
      }
    }
    return closed;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: UpgradeCallback): void {
    const offers = deflateOffers(request.headers['sec-websocket-extensions']);
    const takes = (d: PerMessageDeflateOptions | null): boolean =>
      d === null || offers.some((offer) => acceptable(offer, d));
    // The last server compresses nothing and takes every upgrade.
    const chosen = this.servers.find((s) => takes(s.deflate));
    chosen?.ws.handleUpgrade(request, socket, head, (ws, req) => {
      if (chosen.deflate) ws.on('message', () => this.spoke.add(ws));
      callback(ws, req);
    });
  }

  close(): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    for (const s of this.servers) s.ws.close();
  }
}

type WsInternals = {
  _sender?: { _state?: number; _queue?: unknown[] };
  _receiver?: { _state?: number; _fragmented?: number };
  _extensions?: Record<
    string,
    { _deflate?: { close(): void } | null; _inflate?: { close(): void } | null } | undefined
  >;
};

/**
 * Closes the socket's deflate stream once nothing is being compressed or waits to be, after a compressed
 * message has been written. ws keeps the stream for the socket's life; node's zlib (Chromium's) sizes
 * its hash table at 2^15 entries whatever memLevel says, so a used stream holds 100 KB or more
 * (`--only=deflatemem`: 108 KB per socket with a 4 KiB window and memLevel 4, kept). Compressed messages
 * are few per socket (subscription answers on opening a channel or catching up, busy relays), so a new
 * stream for the next one (about 60 µs more, against 1 ms to compress 60 KB) is cheaper than holding
 * one per socket. Safe because server context takeover is off (negotiated above): every message starts
 * from an empty window anyway.
 *
 * This reaches into ws 8 internals (`_sender._state` 0 is idle, `_extensions`, `_deflate`); the version is
 * pinned, and compression.test.ts fails if the stream is no longer released.
 */
export function releaseIdleDeflate(ws: WebSocket): void {
  const w = ws as unknown as WsInternals;
  const ext = w._extensions?.['permessage-deflate'];
  const sender = w._sender;
  if (!ext?._deflate || sender?._state !== 0 || (sender._queue?.length ?? 0) > 0) return;
  ext._deflate.close();
  ext._deflate = null;
}

/**
 * Closes the socket's inflate stream if the socket is between messages: its receiver waits for a frame
 * header (`_receiver._state` 0) with no fragmented message begun. Safe because client context takeover is
 * off (negotiated above): each client message is inflated from an empty window. Same ws 8 internals as
 * releaseIdleDeflate, same test.
 */
export function releaseIdleInflate(ws: WebSocket): boolean {
  const w = ws as unknown as WsInternals;
  const ext = w._extensions?.['permessage-deflate'];
  const receiver = w._receiver;
  if (!ext?._inflate || receiver?._state !== 0 || (receiver._fragmented ?? 0) !== 0) return false;
  ext._inflate.close();
  ext._inflate = null;
  return true;
}
