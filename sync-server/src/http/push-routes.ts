import { PushSubscriptionRequest, PushUnsubscribeRequest } from '@commonroom/protocol';
import { Hono } from 'hono';
import type { PushSubscriptionStore } from '../storage/push-subscriptions.ts';
import { AppError } from '../services/errors.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';

/**
 * Web Push registration (issue 15 §1): GET /api/push/key, POST /api/push/subscriptions (this device's
 * subscription, tied to this session), DELETE /api/push/subscriptions (this device stops).
 */
export function pushRoutes(d: {
  publicKey: string;
  store: PushSubscriptionStore;
  /** PUSH_HOSTS: the push services an endpoint may be at (each covers its subdomains). */
  hosts: readonly string[];
}) {
  const allowed = (endpoint: string): boolean => {
    const host = new URL(endpoint).hostname.toLowerCase();
    return d.hosts.some((h) => host === h || host.endsWith(`.${h}`));
  };
  const app = new Hono<HonoEnv>();
  app.get('/push/key', (c) => c.json({ publicKey: d.publicKey }));
  app.post('/push/subscriptions', async (c) => {
    const body = await readJson(c, PushSubscriptionRequest);
    // The server will POST to this address: only a push service it knows (T17), never the college's
    // own network.
    if (!allowed(body.endpoint))
      throw new AppError(400, 'push-host', 'That push service is not one this Commonroom sends to.');
    const user = c.get('user');
    d.store.put({
      endpoint: body.endpoint,
      userId: user.id,
      tokenHash: user.tokenHash,
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
    });
    return c.json({ ok: true }, 201);
  });
  app.delete('/push/subscriptions', async (c) => {
    const body = await readJson(c, PushUnsubscribeRequest);
    return c.json({ ok: true, removed: d.store.removeOwn(body.endpoint, c.get('user').id) });
  });
  return app;
}
