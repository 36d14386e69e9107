import { Redis } from 'ioredis';

/** Whether the Redis at `url` answers; the reason when it does not, for the skip message. */
export async function redisReachable(url: string): Promise<{ ok: true } | { ok: false; why: string }> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return { ok: true };
  } catch (err) {
    return { ok: false, why: `Redis unreachable at ${url}: ${String(err)}` };
  } finally {
    probe.disconnect();
  }
}
