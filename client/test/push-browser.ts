import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { browserSubscription } from '../../sync-server/test/push-harness.ts';

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
