import { Redis } from 'ioredis';

/**
 * A Redis connection for commands (the shared limits: scale/redis-throttle.ts, scale/redis-rate.ts), as
 * opposed to the bus's pub/sub pair. Commands never wait for Redis to come back: with no offline queue
 * and no retries a call fails at once while it is away, so a limit that cannot be checked is known at
 * once (and fails closed, or falls back) instead of holding a request for the reconnection. ioredis keeps
 * reconnecting with backoff in the background; calls work again once it is back.
 */
export type RedisCommandsOptions = {
  url: string;
  onError: (err: unknown) => void;
  /** Longest wait between reconnection attempts. */
  maxRetryMs?: number;
  /**
   * How long a command may wait for its answer. A Redis that is cut off without the connection closing
   * (a network partition, a stopped process) would otherwise hold every login and write that asks it
   * until TCP gives up, minutes later; past this the call fails like any other unavailability.
   */
  commandTimeoutMs?: number;
};

/** Connects, or rejects when Redis cannot be reached now (start-up says so rather than starting blind). */
export async function connectRedisCommands(opts: RedisCommandsOptions): Promise<Redis> {
  const maxRetryMs = opts.maxRetryMs ?? 2_000;
  const redis = new Redis(opts.url, {
    connectionName: 'commonroom-limits',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxRetryMs),
  });
  // ioredis reports connection errors as 'error' events while it retries; unheard, they end the process.
  redis.on('error', opts.onError);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${opts.url}`, { cause: err });
  }
  return redis;
}
