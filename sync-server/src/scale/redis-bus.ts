import { Redis } from 'ioredis';
import { BusUnavailableError, createHandlerSets, type Bus } from './bus.ts';

/**
 * The bus on Redis pub/sub (docs/SCALE-OUT.md §5: pub/sub rather than streams, because PostgreSQL is the
 * log to catch up from). Two connections: a subscribed connection can only subscribe, so publishing needs
 * its own. Payloads travel as bytes (Buffers both ways; never decoded as text). Channels are `prefix` +
 * topic, so deployments (and test runs) sharing a Redis never hear each other.
 *
 * After a loss, ioredis reconnects with backoff. Subscriptions are restored here rather than by ioredis,
 * so `reconnected` fires only once they are in force again, and only when both connections are back.
 */
export type RedisBusOptions = {
  url: string;
  prefix: string;
  onError: (err: unknown) => void;
  /** Longest wait between reconnection attempts. */
  maxRetryMs?: number;
};

export async function createRedisBus(opts: RedisBusOptions): Promise<Bus> {
  const maxRetryMs = opts.maxRetryMs ?? 2_000;
  const connect = (name: string): Redis =>
    new Redis(opts.url, {
      connectionName: `commonroom-bus-${name}`,
      lazyConnect: true,
      // Nothing waits for a connection to come back: a publish fails at once and the caller catches up
      // later; commands in flight when it drops fail rather than being sent again late.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxRetryMs),
    });
  const pub = connect('pub');
  const sub = connect('sub');
  const handlers = createHandlerSets();
  const reconnected = new Set<() => void>();
  let lost = false;
  let closed = false;
  const channel = (topic: string): string => opts.prefix + topic;

  // ioredis reports connection errors as 'error' events while it retries; unheard, they end the process.
  pub.on('error', opts.onError);
  sub.on('error', opts.onError);
  sub.on('messageBuffer', (ch: Buffer, message: Buffer) => {
    const name = ch.toString('utf8');
    if (!name.startsWith(opts.prefix)) return;
    const payload = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    handlers.deliver(name.slice(opts.prefix.length), payload, opts.onError);
  });
  const markLost = (): void => {
    if (!closed) lost = true;
  };
  pub.on('close', markLost);
  sub.on('close', markLost);

  /** Both connections are back: subscriptions first, then the signal (its listeners catch up). */
  const maybeBack = async (): Promise<void> => {
    if (!lost || closed || pub.status !== 'ready' || sub.status !== 'ready') return;
    lost = false;
    const topics = handlers.topics();
    try {
      if (topics.length > 0) await sub.subscribe(...topics.map(channel));
    } catch (err) {
      // Lost again while resubscribing: the next 'ready' tries again.
      lost = true;
      opts.onError(err);
      return;
    }
    for (const f of reconnected) {
      try {
        f();
      } catch (err) {
        opts.onError(err);
      }
    }
  };
  const onReady = (): void => void maybeBack();
  pub.on('ready', onReady);
  sub.on('ready', onReady);

  try {
    await Promise.all([pub.connect(), sub.connect()]);
  } catch (err) {
    pub.disconnect();
    sub.disconnect();
    throw new BusUnavailableError(`cannot reach Redis at ${opts.url}`, { cause: err });
  }

  return {
    async publish(topic, payload) {
      if (closed) throw new BusUnavailableError('closed');
      try {
        await pub.publish(
          channel(topic),
          Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        );
      } catch (err) {
        throw new BusUnavailableError(err instanceof Error ? err.message : String(err), { cause: err });
      }
    },
    async subscribe(topic, handler) {
      const first = handlers.add(topic, handler);
      const unsubscribe = (): void => {
        if (handlers.remove(topic, handler) && sub.status === 'ready')
          sub.unsubscribe(channel(topic)).catch(opts.onError);
      };
      // While cut off, the subscription is restored with the others on reconnection.
      if (first && sub.status === 'ready') {
        try {
          await sub.subscribe(channel(topic));
        } catch (err) {
          if (sub.status === 'ready') {
            unsubscribe();
            throw err;
          }
        }
      }
      return unsubscribe;
    },
    onReconnected(f) {
      reconnected.add(f);
      return () => void reconnected.delete(f);
    },
    connected: () => !closed && pub.status === 'ready',
    async close() {
      closed = true;
      handlers.clear();
      await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
    },
  };
}
