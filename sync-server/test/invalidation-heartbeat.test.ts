import { createServer, connect, type Server, type Socket } from 'node:net';
import { eventually } from '@commonroom/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createInvalidationListener } from '../src/storage/pg/invalidation-listener.ts';
import { realTimers } from '../src/timers.ts';
import { createTestDatabase, postgresReachable, type TestDatabase } from './pg-test-db.ts';

/**
 * A listener whose connection goes silent (a network cut, a half-open connection: no reset, no error) is
 * taken for lost by its heartbeat, so the caches stop trusting it, and it listens again on a fresh
 * connection. The silence is made by a loopback proxy that stops forwarding the connections it holds.
 */

/** Forwards to `port`; `freeze()` stops every connection open now from carrying anything, either way. */
async function freezableProxy(port: number) {
  const open = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    open.add(pair);
    client.on('data', (b) => void (pair.frozen || upstream.write(b)));
    upstream.on('data', (b) => void (pair.frozen || client.write(b)));
    const end = (): void => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    connections: () => open.size,
    freeze: () => {
      for (const p of open) p.frozen = true;
    },
    close: async () => {
      for (const p of open) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const reachable = await postgresReachable();
if (!reachable.ok) console.warn(`skipping the listener heartbeat test: ${reachable.why}`);

describe.skipIf(!reachable.ok)('the invalidation listener’s heartbeat', () => {
  let db: TestDatabase | null = null;
  afterAll(async () => {
    await db?.drop();
  });

  it('a connection gone silent is taken for lost, and the listener listens again on a new one', async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = await freezableProxy(Number(target.port || 5432));
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const seen = { lost: 0, listening: 0 };
    const warnings: string[] = [];
    const listener = createInvalidationListener({
      url: viaProxy.toString(),
      timers: realTimers,
      log: { info: () => undefined, warn: (_o, msg) => void warnings.push(msg) },
      reconnectDelayMs: { first: 10, max: 100 },
      heartbeat: { everyMs: 50, timeoutMs: 2_000 },
      onInvalidate: () => undefined,
      onLost: () => void seen.lost++,
      onListening: () => void seen.listening++,
    });
    try {
      await eventually(() => expect(seen.listening).toBe(1));
      // Answered heartbeats keep it listening.
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual({ lost: 0, listening: 1 });
      expect(listener.listening()).toBe(true);

      // Silence, no error: the heartbeat goes unanswered and the connection is given up.
      proxy.freeze();
      await eventually(() => expect(seen.lost).toBe(1));
      expect(warnings).toContain(
        'invalidation listener lost its connection: caches read through until it listens',
      );
      // A fresh connection through the proxy (the frozen one is not reused) listens again.
      await eventually(() => expect(seen.listening).toBe(2));
      expect(listener.listening()).toBe(true);
    } finally {
      await listener.close();
      await proxy.close();
    }
    expect(seen.lost).toBe(2); // close() also says the caches can no longer trust it
  });
});
