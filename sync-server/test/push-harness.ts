import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Engine } from '@commonroom/engine';
import { PushPayload, WorkspaceQuietHours, type PushSubscriptionRequest } from '@commonroom/protocol';
import { decrypt } from 'http_ece';
import { afterAll, beforeAll } from 'vitest';
import { loginAdmin, startServer, type TestServer } from './harness.ts';

/**
 * The parts of a Web Push test (issue 15): a push service on loopback over HTTPS (a test certificate the
 * server's agent trusts) that records what it is sent, a "browser's" subscription keys, and a server wired
 * to that service. push.test.ts and push-preferences.test.ts use them.
 */

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
export const b64url = (b: Buffer) => b.toString('base64url');

export type Received = { path: string; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** A push service on loopback: records each request; `/gone/…` answers 410 as a real one does. */
export async function startPushService(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer(
    { key: fixture('push-service.key'), cert: fixture('push-service.crt') },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        res.statusCode = req.url?.startsWith('/gone/') ? 410 : 201;
        res.end();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

/** startServer's options for a server that sends to the loopback push service (and has this clock). */
export const pushServerOptions = (now?: () => number) => ({
  pushAgent: new Agent({ ca: fixture('push-service.crt') }),
  // The loopback push service, beside the browsers' own (PUSH_HOSTS' default).
  env: { PUSH_HOSTS: '127.0.0.1,fcm.googleapis.com' },
  ...(now ? { now } : {}),
});

/** What a browser's PushManager makes: a P-256 key pair and a 16-byte secret, for one endpoint. */
export function browserSubscription(endpoint: string): {
  body: PushSubscriptionRequest;
  ecdh: ECDH;
  auth: string;
} {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = b64url(randomBytes(16));
  return { body: { endpoint, keys: { p256dh: b64url(ecdh.getPublicKey()), auth } }, ecdh, auth };
}

/** What the push service was sent for this subscription since `from` (an index into `received`), opened. */
export function pushesTo(
  received: readonly Received[],
  sub: ReturnType<typeof browserSubscription>,
  from = 0,
): PushPayload[] {
  return received
    .slice(from)
    .filter((r) => sub.body.endpoint.endsWith(r.path))
    .map((r) => {
      const plain = decrypt(r.body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth });
      return PushPayload.parse(JSON.parse(plain.toString('utf8')));
    });
}

/**
 * On the wall clock (no injected `now`), the workspace's default quiet hours for students (22:00–07:00
 * London) would hold back every student's push whenever the suite runs in the evening: such a test is then
 * about the time of day. They are turned off; quiet hours are tested on an injected clock
 * (push-preferences.test.ts, notify-preferences.test.ts).
 */
export async function withoutQuietHours(admin: Engine): Promise<void> {
  await admin.api.request('PUT', '/api/admin/quiet-hours', WorkspaceQuietHours, {
    timeZone: 'Europe/London',
    students: null,
    staff: null,
  });
}

/**
 * A server whose push deliveries trust the loopback push service, and that service. The fields are filled
 * in `beforeAll` of the calling describe block.
 */
export function usePushServer(opts: { now?: () => number } = {}) {
  const env = {} as { ts: TestServer; push: Awaited<ReturnType<typeof startPushService>>; admin: Engine };
  beforeAll(async () => {
    env.push = await startPushService();
    env.ts = await startServer(pushServerOptions(opts.now));
    env.admin = await loginAdmin(env.ts);
    if (!opts.now) await withoutQuietHours(env.admin);
  });
  afterAll(async () => {
    env.admin?.disconnect();
    await env.ts?.destroy();
    env.push?.server.close();
  });
  return env;
}
