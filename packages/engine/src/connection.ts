import {
  CLOSE,
  PROTOCOL_VERSION,
  decodeMessage,
  isTerminalClose,
  packMessages,
  type Frame,
} from '@commonroom/protocol';

/**
 * One WebSocket to the server, reconnecting with jittered exponential backoff so that a whole college
 * coming back at once does not arrive in the same second. Knows nothing of documents.
 */

/** The part of the WebSocket API we use; the browser's WebSocket and the `ws` package both fit. */
export type SocketLike = {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

export type SocketFactory = (url: string, headers: Record<string, string>) => SocketLike;

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'signed-out';

export type Timers = {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (t: unknown) => void;
};

export type ConnectionOptions = {
  url: string;
  socketFactory: SocketFactory;
  headers: () => Record<string, string>;
  timers: Timers;
  random: () => number;
  clientName: string;
  minBackoffMs: number;
  maxBackoffMs: number;
  onWelcome: (userId: string, serverTime: number) => void;
  onFrames: (frames: Frame[]) => void;
  onState: (state: ConnectionState, detail: { code?: number; reason?: string }) => void;
  /**
   * The socket closed before it opened. A browser cannot read why an upgrade was refused, and an ended
   * session is refused that way (T10): the engine asks over HTTP, where the answer has words.
   */
  onRefused?: () => void;
};

export type Connection = ReturnType<typeof createConnection>;

const OPEN = 1;

export function createConnection(o: ConnectionOptions) {
  let socket: SocketLike | null = null;
  let wanted = false;
  let attempt = 0;
  let timer: unknown = null;
  let state: ConnectionState = 'offline';
  let welcomed = false;

  const setState = (s: ConnectionState, detail: { code?: number; reason?: string } = {}): void => {
    state = s;
    o.onState(s, detail);
  };

  const cancelTimer = (): void => {
    if (timer !== null) o.timers.clearTimeout(timer);
    timer = null;
  };

  /** Lets go of the socket without waiting for its close event (which a dead network may never bring). */
  const detach = (code: number, reason: string): void => {
    const s = socket;
    if (!s) return;
    socket = null;
    welcomed = false;
    s.onclose = null;
    s.onmessage = null;
    try {
      s.close(code, reason);
    } catch {
      // Already closing.
    }
  };

  const scheduleReconnect = (): void => {
    if (!wanted || timer !== null) return;
    // Full jitter: uniform in [0, min(max, base·2^attempt)].
    const cap = Math.min(o.maxBackoffMs, o.minBackoffMs * 2 ** attempt);
    const delay = Math.max(o.minBackoffMs / 2, Math.floor(o.random() * cap));
    attempt = Math.min(attempt + 1, 20);
    timer = o.timers.setTimeout(() => {
      timer = null;
      open();
    }, delay);
  };

  const open = (): void => {
    if (!wanted || socket) return;
    setState('connecting');
    welcomed = false;
    let s: SocketLike;
    try {
      s = o.socketFactory(o.url, o.headers());
    } catch {
      setState('offline');
      scheduleReconnect();
      return;
    }
    socket = s;
    s.binaryType = 'arraybuffer';
    let opened = false;
    s.onopen = () => {
      opened = true;
      s.send(
        packMessages([{ type: 'hello', version: PROTOCOL_VERSION, client: o.clientName }])[0] as Uint8Array,
      );
    };
    s.onmessage = (ev) => {
      const data = ev.data;
      if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return;
      const bytes =
        data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      // Not held to the 64 KiB a client may send: the server's SYNC step 2 carries a whole document.
      const decoded = decodeMessage(bytes, Number.POSITIVE_INFINITY);
      if (!decoded.ok) {
        // Not a terminal code: a client that stopped for good here would never come back on its own.
        s.close(CLOSE.unreadableServerMessage, 'client could not decode a server message');
        return;
      }
      const rest: Frame[] = [];
      for (const f of decoded.frames) {
        if (f.type === 'welcome' && !welcomed) {
          welcomed = true;
          attempt = 0;
          setState('online');
          o.onWelcome(f.userId, f.serverTime);
        } else rest.push(f);
      }
      if (rest.length > 0) o.onFrames(rest);
    };
    s.onerror = () => undefined;
    s.onclose = (ev) => {
      if (socket !== s) return;
      socket = null;
      welcomed = false;
      if (ev.code === CLOSE.unauthenticated || ev.code === CLOSE.sessionRevoked) {
        wanted = false;
        setState('signed-out', { code: ev.code, reason: ev.reason });
        return;
      }
      setState('offline', { code: ev.code, reason: ev.reason });
      if (isTerminalClose(ev.code)) wanted = false;
      else scheduleReconnect();
      if (!opened) o.onRefused?.();
    };
  };

  return {
    start(): void {
      wanted = true;
      attempt = 0;
      // A reconnect timer from a long backoff must not hold a fresh start back (it could wait 30 s).
      cancelTimer();
      open();
    },
    stop(): void {
      wanted = false;
      cancelTimer();
      detach(1000, 'bye');
      setState('offline');
    },
    /** The server ended the session (an API call heard it): stop for good, as a 4001/4002 close would. */
    signOut(): void {
      wanted = false;
      cancelTimer();
      detach(1000, 'signed out');
      if (state !== 'signed-out') setState('signed-out');
    },
    /**
     * Drops the socket as if the network went away (tests, and the browser's offline event). At once: with
     * the network gone, the close handshake may never finish, and the person must see "Offline" now.
     */
    drop(): void {
      if (!socket) return;
      detach(4999, 'dropped');
      setState('offline', { code: 4999, reason: 'dropped' });
      scheduleReconnect();
    },
    /** Reconnects now instead of waiting out the backoff (the browser's online event). */
    retryNow(): void {
      if (!wanted || socket) return;
      cancelTimer();
      open();
    },
    isOnline: (): boolean => state === 'online' && socket !== null && socket.readyState === OPEN && welcomed,
    state: (): ConnectionState => state,
    send(frames: readonly Frame[]): boolean {
      const s = socket;
      if (!s || s.readyState !== OPEN || !welcomed || frames.length === 0) return false;
      for (const m of packMessages(frames)) s.send(m);
      return true;
    },
  };
}
