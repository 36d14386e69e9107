import pg from 'pg';
import type { Timers } from '../../timers.ts';
import { DatabaseUrlSchema } from './pool.ts';

/**
 * The cache-invalidation listener (docs/SCALE-OUT.md §2): one dedicated connection per process, not from a
 * pool (a LISTEN belongs to its connection, and a pool would hand it to queries or close it when idle),
 * listening on the channel migration 8's triggers notify on every committed write.
 *
 * A lost connection may have missed notifications, so `onLost` is called at once (the caller stops
 * trusting its caches) and the listener connects again with capped backoff until it listens; then
 * `onListening` (the caller drops everything and caches again). `close` ends it for good.
 */

export const INVALIDATION_CHANNEL = 'cr_invalidate';

/**
 * A payload of migration 8's triggers (and the mutes migration's, `mutes:<user>`), parsed. `all`: a row
 * whose id was too long to send.
 */
export type Invalidation =
  | { kind: 'users'; id: string }
  | { kind: 'conversations'; id: string }
  | { kind: 'notify'; id: string }
  | { kind: 'mutes'; id: string }
  | { kind: 'settings' }
  | { kind: 'all' };

/**
 * Parses a payload, or null for one this server does not know: anyone connected to the database can
 * NOTIFY on the channel, and a newer server may send kinds an older one has not heard of.
 */
export function parseInvalidation(payload: string | undefined): Invalidation | null {
  if (payload === undefined) return null;
  if (payload === 'settings' || payload === 'all') return { kind: payload };
  const colon = payload.indexOf(':');
  if (colon < 0) return null;
  const kind = payload.slice(0, colon);
  const id = payload.slice(colon + 1);
  if (id === '') return null;
  switch (kind) {
    case 'users':
    case 'conversations':
    case 'notify':
    case 'mutes':
      return { kind, id };
    default:
      return null;
  }
}

/** The logger's shape this needs (pino's fits). */
export type ListenerLog = {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
};

export type InvalidationHandlers = {
  onInvalidate(inv: Invalidation): void;
  /** The connection that listened is gone (or `close` was called): notifications may be missed from now. */
  onLost(): void;
  /** Listening (again): notifications of every write committed from now on will arrive. */
  onListening(): void;
};

export type InvalidationListenerDeps = InvalidationHandlers & {
  url: string;
  timers: Timers;
  log: ListenerLog;
  /** Waits before connecting again: the first, doubled per failed attempt up to the cap. */
  reconnectDelayMs?: { first: number; max: number };
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity, so an operator (or a test) can tell this connection apart. */
  applicationName?: string;
  /**
   * While listening, a `SELECT 1` every `everyMs` that must be answered within `timeoutMs`, or the
   * connection is taken for lost. TCP keepalive alone notices a silent peer (a network cut, a half-open
   * connection) only after its probes run out (Node sets the first delay, not the interval and count:
   * about 11 minutes on Linux), and all that time the caches would trust a listener that hears nothing.
   */
  heartbeat?: { everyMs: number; timeoutMs: number };
};

export type InvalidationListener = {
  listening(): boolean;
  /** Ends the connection and any reconnecting; `onLost` is called if it was listening. */
  close(): Promise<void>;
};

const DEFAULT_DELAY = { first: 100, max: 5_000 };
const DEFAULT_HEARTBEAT = { everyMs: 5_000, timeoutMs: 5_000 };

export function createInvalidationListener(d: InvalidationListenerDeps): InvalidationListener {
  const url = DatabaseUrlSchema.parse(d.url);
  const delay = d.reconnectDelayMs ?? DEFAULT_DELAY;
  let closed = false;
  let listening = false;
  let failures = 0;
  let client: pg.Client | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt: Promise<void> = Promise.resolve();

  /** A handler that throws must not stop the listener (nor escape a socket event as an uncaught error). */
  const call = (what: string, f: () => void): void => {
    try {
      f();
    } catch (err) {
      d.log.warn({ err }, `invalidation listener: ${what} threw`);
    }
  };

  const schedule = (): void => {
    if (closed || timer !== null) return;
    const ms = Math.min(delay.max, delay.first * 2 ** Math.min(failures, 30));
    failures++;
    timer = d.timers.setTimeout(() => {
      timer = null;
      attempt = connect();
    }, ms);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: d.connectTimeoutMs ?? 5_000,
      // A connection to a lost machine is otherwise noticed only when TCP gives up (hours): with nothing
      // to send, a listener would wait in silence while missing every notification.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(d.applicationName === undefined ? {} : { application_name: d.applicationName }),
    });
    client = c;
    let gone = false;
    let beat: ReturnType<typeof setTimeout> | null = null;
    const lose = (err: unknown): void => {
      if (gone) return;
      gone = true;
      if (beat !== null) d.timers.clearTimeout(beat);
      beat = null;
      if (client === c) client = null;
      // Ends the socket if it is still open (an error on a live connection); a second end is harmless.
      c.end().catch(() => undefined);
      if (closed) return;
      if (listening) {
        d.log.warn(
          { err },
          'invalidation listener lost its connection: caches read through until it listens',
        );
        listening = false;
        call('onLost', () => d.onLost());
      } else d.log.warn({ err, failures }, 'invalidation listener could not listen: trying again');
      schedule();
    };
    c.on('error', lose);
    c.on('end', () => lose(new Error('the connection ended')));
    c.on('notification', (n) => {
      if (gone || n.channel !== INVALIDATION_CHANNEL) return;
      const inv = parseInvalidation(n.payload);
      if (inv === null) {
        d.log.warn({ payload: n.payload?.slice(0, 200) }, 'invalidation listener: unknown payload ignored');
        return;
      }
      call('onInvalidate', () => d.onInvalidate(inv));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch (err) {
      lose(err);
      return;
    }
    if (gone) return;
    if (closed) {
      gone = true;
      await c.end().catch(() => undefined);
      return;
    }
    failures = 0;
    listening = true;
    d.log.info({}, 'invalidation listener listening');
    call('onListening', () => d.onListening());
    const hb = d.heartbeat ?? DEFAULT_HEARTBEAT;
    const nextBeat = (): void => {
      beat = d.timers.setTimeout(() => {
        beat = d.timers.setTimeout(
          () => lose(new Error(`no answer to the heartbeat within ${hb.timeoutMs} ms`)),
          hb.timeoutMs,
        );
        c.query('SELECT 1').then(
          () => {
            if (gone) return;
            if (beat !== null) d.timers.clearTimeout(beat);
            nextBeat();
          },
          (e: unknown) => lose(e),
        );
      }, hb.everyMs);
    };
    if (!gone) nextBeat();
  };

  attempt = connect();

  return {
    listening: () => listening,
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== null) d.timers.clearTimeout(timer);
      timer = null;
      // Ended first, so an attempt still connecting fails now instead of after its timeout.
      const ending = client?.end().catch(() => undefined);
      client = null;
      if (listening) {
        listening = false;
        call('onLost', () => d.onLost());
      }
      await attempt;
      await ending;
    },
  };
}
