import type { Engine } from '@commonroom/engine';
import { PushPayload } from '@commonroom/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { eventually, loginAdmin, startServer, type TestServer } from '../../sync-server/test/harness.ts';
import {
  browserSubscription,
  pushServerOptions,
  startPushService,
  withoutQuietHours,
} from '../../sync-server/test/push-harness.ts';
import { launch } from './browser.ts';

/**
 * A server that pushes to a push service on loopback (sync-server/test/push-harness.ts), and a browser.
 * `now` is the server's clock. The fields are filled in `beforeAll` of the calling describe block.
 */
export function usePushBrowserEnv(now?: () => number) {
  const env = {} as {
    ts: TestServer;
    admin: Engine;
    browser: Browser;
    push: Awaited<ReturnType<typeof startPushService>>;
  };
  beforeAll(async () => {
    env.push = await startPushService();
    env.ts = await startServer(pushServerOptions(now));
    env.admin = await loginAdmin(env.ts);
    if (!now) await withoutQuietHours(env.admin);
    env.browser = await launch();
  });
  afterAll(async () => {
    await env.browser?.close();
    env.admin?.disconnect();
    await env.ts?.destroy();
    env.push?.server.close();
  });
  return env;
}

/**
 * The page's own session registers a push subscription whose keys the test holds: headless Chromium has no
 * push service of its own, so the test stands where the browser's push service would, on loopback
 * (sync-server/test/push-harness.ts), and opens what the server sends with these keys.
 */
export async function subscribeWithTestKeys(
  page: Page,
  endpoint: string,
): Promise<ReturnType<typeof browserSubscription>> {
  const sub = browserSubscription(endpoint);
  const status = await page.evaluate(
    async (body) =>
      (
        await fetch('/api/push/subscriptions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status,
    sub.body,
  );
  expect(status).toBe(201);
  return sub;
}

/**
 * The page's service worker, reached as a browser's push service would reach it: `deliver` hands it a push
 * through the DevTools protocol (`ServiceWorker.deliverPushMessage`), and `shown` reads the notifications it
 * shows, in the worker itself, so no window of the app is opened (which would count as in front). The
 * page must be controlled by the service worker already.
 */
export async function serviceWorkerPush(ctx: BrowserContext, page: Page, origin: string) {
  const cdp = await ctx.newCDPSession(page);
  const registrations: { registrationId: string }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: typeof registrations }) =>
    registrations.push(...e.registrations),
  );
  await cdp.send('ServiceWorker.enable');
  await eventually(() => expect(registrations.length).toBeGreaterThan(0));
  const registrationId = (registrations[0] as { registrationId: string }).registrationId;
  const worker = async () => {
    await eventually(() => expect(ctx.serviceWorkers().length).toBeGreaterThan(0));
    return ctx.serviceWorkers()[0] as NonNullable<ReturnType<typeof ctx.serviceWorkers>[number]>;
  };
  return {
    /** Delivers `data` as a push's body; a PushPayload is checked against the schema first. */
    deliver: (data: PushPayload | string) =>
      cdp.send('ServiceWorker.deliverPushMessage', {
        origin,
        registrationId,
        data: typeof data === 'string' ? data : JSON.stringify(PushPayload.parse(data)),
      }),
    worker,
    shown: async () =>
      (await worker()).evaluate(async () =>
        (
          await (
            self as unknown as { registration: ServiceWorkerRegistration }
          ).registration.getNotifications()
        ).map((n) => ({ title: n.title, body: n.body, tag: n.tag })),
      ),
  };
}
