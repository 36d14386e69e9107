import { PushSubscriptionRequest, PushUnsubscribeRequest } from '@commonroom/protocol';
import { Hono } from 'hono';
import type { PushSubscriptionStore } from '../storage/push-subscriptions.ts';
import { readJson } from './body.ts';
import type { HonoEnv } from './env.ts';

/**
 * Web Push registration (issue 15 §1): GET /api/push/key, POST /api/push/subscriptions (this device's
 * subscription, tied to this session), DELETE /api/push/subscriptions (this device stops).
 */
export function pushRoutes(d: { publicKey: string; store: PushSubscriptionStore }) {
  const app = new Hono<HonoEnv>();
  app.get('/push/key', (c) => c.json({ publicKey: d.publicKey }));
  app.post('/push/subscriptions', async (c) => {
    const body = await readJson(c, PushSubscriptionRequest);
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
