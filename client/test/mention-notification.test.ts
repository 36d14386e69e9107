import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { pushesTo } from '../../sync-server/test/push-harness.ts';
import { screenshot, signIn } from './browser.ts';
import { serviceWorkerPush, subscribeWithTestKeys, usePushBrowserEnv } from './push-browser.ts';

/**
 * Issue 15's acceptance, end to end with two people: B mentions A while A's app is closed, and A gets a
 * system notification and an Activity entry. Every hop is real but one: the server pushes through
 * `web-push` to a push service on loopback, which holds what a browser's push service would (the payload
 * encrypted to the device's keys); headless Chromium has no push service of its own, so the test opens
 * what arrived with the keys it made for the page's subscription and hands it to the page's real service
 * worker through the DevTools protocol, as the browser's push service would.
 */
describe('a mention in the browser', () => {
  const env = usePushBrowserEnv();

  it('issue 15: a mention with the app closed raises a notification and an Activity entry; the notification opens the message', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Mention', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Mention' });
    const general = channel(ben.engine, 'general');

    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.grantPermissions(['notifications'], { origin: env.ts.url });
    const page = await ctx.newPage();
    await signIn(page, env.ts.url, amy.email, amy.password);
    await eventually(async () => {
      await page.reload();
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    }, 20_000);
    // This device's subscription, with keys the test holds (the browser's PushManager has no service here).
    const sub = await subscribeWithTestKeys(page, `${env.push.url}/push/amy-mention`);

    const sw = await serviceWorkerPush(ctx, page, env.ts.url);

    // Amy closes the app; once the server has seen her socket go, she is pushed to.
    await page.goto('about:blank');
    await eventually(() => expect(env.ts.server.internals.hub.sessionsOf(amy.id)).toHaveLength(0));
    const from = env.push.received.length;
    const key = await ben.engine.send(general, '@Amy.Mention can you bring the projector to room 4?');
    await ben.engine.settled();
    await eventually(() => expect(pushesTo(env.push.received, sub, from)).toHaveLength(1));
    const [pushed] = pushesTo(env.push.received, sub, from);
    expect(pushed).toEqual({
      kind: 'mention',
      title: 'Ben Mention mentioned you in #general',
      body: '@Amy.Mention can you bring the projector to room 4?',
      tag: `c:${general}`,
      url: `/#/c/${general}/m/${key}`,
      conversationId: general,
    });

    // What the push service holds reaches the device's service worker, which shows it.
    await sw.deliver(pushed ?? 'nothing was pushed');
    await eventually(async () =>
      expect(await sw.shown()).toEqual([
        {
          title: 'Ben Mention mentioned you in #general',
          body: '@Amy.Mention can you bring the projector to room 4?',
          tag: `c:${general}`,
        },
      ]),
    );

    // Amy opens the app at the notification's link: the message, and an Activity entry with a count.
    await page.goto(`${env.ts.url}${pushed?.url ?? '/'}`);
    const message = page.locator('.msg-jumped');
    await message.waitFor();
    expect(await message.innerText()).toContain('can you bring the projector to room 4?');
    const activity = page.locator('.sidebar .conv', { hasText: 'Activity' });
    await activity.click();
    const entry = page.getByRole('link', { name: /Ben Mention mentioned you in #general/ });
    await entry.waitFor();
    expect(await entry.innerText()).toContain('can you bring the projector to room 4?');
    await screenshot(page, 'mention-notification-activity-desktop');
    await ctx.close();
  });
});
