import type { PushPayload } from '@commonroom/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
} from './browser.ts';
import { serviceWorkerPush } from './push-browser.ts';

/**
 * Issue 15 §1 in Chromium: the service worker's push handler. A push is delivered to the real service
 * worker through the DevTools protocol (`ServiceWorker.deliverPushMessage`: headless Chromium has no push
 * service of its own); the handler shows a system notification with the sender, the conversation and the
 * first line, replaces an older one of the same conversation, closes them on a `clear`, and shows nothing
 * while the app is in front (it shows the message itself).
 */
describe('push notifications in the browser', () => {
  const env = useServerAndBrowser();

  it('issue 15: the service worker shows a pushed message as a notification, one per conversation, and clears it', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Push Amy', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.grantPermissions(['notifications'], { origin: env.ts.url });
    const page = await ctx.newPage();
    await signIn(page, env.ts.url, amy.email, amy.password);
    await eventually(async () => {
      await page.reload();
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    }, 20_000);

    const { deliver, shown, worker } = await serviceWorkerPush(ctx, page, env.ts.url);
    const dm = (body: string): PushPayload => ({
      kind: 'dm',
      title: 'Sarah Khan',
      body,
      tag: 'c:dm-sarah',
      url: '/#/c/dm-sarah',
      conversationId: 'dm-sarah',
    });

    // The app open (headless pages are always in front): it shows the message itself, no notification
    // (checked below: a notification of this conversation would still be there).
    // The listener is in place before the push is sent (this evaluate returns once it is).
    await page.evaluate(() => {
      const w = window as unknown as { pushed?: Promise<unknown> };
      w.pushed = new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => resolve(e.data)),
      );
    });
    await deliver({ ...dm('Seen in the app'), tag: 'c:dm-open', conversationId: 'dm-open' });
    const told = page.evaluate(() => (window as unknown as { pushed: Promise<unknown> }).pushed);
    expect(await told).toEqual({ type: 'commonroom-pushed', kind: 'dm', tag: 'c:dm-open' });

    // The app closed (its page gone to another site): each push shows, a newer message of the same DM
    // replaces the older, another conversation gets its own.
    await page.goto('about:blank');
    await deliver(dm('Are you coming to the workshop?'));
    await deliver(dm('It starts at 3.'));
    await deliver({
      kind: 'mention',
      title: 'Tess Long mentioned you in #general',
      body: '@Push.Amy can you bring the projector?',
      tag: 'c:general',
      url: '/#/c/general',
      conversationId: 'general',
    });
    // Not a payload of ours: ignored, nothing shown, nothing thrown.
    await deliver('not json');
    await eventually(async () =>
      expect((await shown()).sort((a, b) => a.tag.localeCompare(b.tag))).toEqual([
        { title: 'Sarah Khan', body: 'It starts at 3.', tag: 'c:dm-sarah' },
        {
          title: 'Tess Long mentioned you in #general',
          body: '@Push.Amy can you bring the projector?',
          tag: 'c:general',
        },
      ]),
    );

    // Read on another device: the server's `clear` closes that conversation's notification only.
    await deliver({
      kind: 'clear',
      title: '',
      body: '',
      tag: 'c:dm-sarah',
      url: '/',
      conversationId: 'dm-sarah',
    });
    await eventually(async () => expect((await shown()).map((n) => n.tag)).toEqual(['c:general']));

    // A click on a notification with the app open elsewhere: the service worker closes it and the app
    // opens that conversation, without a reload. (The click is dispatched in the service worker: a test
    // cannot click a system notification.)
    const general = channel(env.admin, 'general');
    const announcements = channel(env.admin, 'announcements');
    await deliver({
      kind: 'announcement',
      title: 'Tess Long in #announcements',
      body: 'College is closed on Friday.',
      tag: `c:${announcements}`,
      url: `/#/c/${announcements}`,
      conversationId: announcements,
    });
    await eventually(async () => expect((await shown()).map((n) => n.tag)).toContain(`c:${announcements}`));
    await page.goto(`${env.ts.url}/#/c/${general}`);
    await page
      .getByRole('heading', { name: /general/ })
      .first()
      .waitFor();
    await page.evaluate(() => {
      (window as unknown as { loaded: number }).loaded = 1;
    });
    await (
      await worker()
    ).evaluate(async (tag) => {
      const scope = self as unknown as {
        registration: ServiceWorkerRegistration;
        dispatchEvent(e: Event): void;
        NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
      };
      const [n] = await scope.registration.getNotifications({ tag });
      if (n) scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: n }));
    }, `c:${announcements}`);
    await eventually(async () => expect(new URL(page.url()).hash).toBe(`#/c/${announcements}`));
    await page
      .getByRole('heading', { name: /announcements/ })
      .first()
      .waitFor();
    // The same page, not a reload.
    expect(await page.evaluate(() => (window as unknown as { loaded?: number }).loaded)).toBe(1);
    await eventually(async () => expect((await shown()).map((n) => n.tag)).toEqual(['c:general']));

    // A notification opens the message itself (the server's link: message-pushes.ts `payloadFor`).
    const mention = await env.admin.send(general, '@Push.Amy can you bring the projector?');
    const reply = await env.admin.send(general, 'Room 4, please', { parent: mention });
    await env.admin.settled();
    const click = async (tag: string) =>
      (await worker()).evaluate(async (t) => {
        const scope = self as unknown as {
          registration: ServiceWorkerRegistration;
          dispatchEvent(e: Event): void;
          NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
        };
        const [n] = await scope.registration.getNotifications({ tag: t });
        if (n) scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: n }));
      }, tag);
    const focusedKey = (p: typeof page) =>
      p.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.key ?? null);
    const push = (kind: 'mention' | 'reply', key: string): PushPayload => ({
      kind,
      title: 'Admin',
      body: '',
      tag: `c:${general}`,
      url: `/#/c/${general}/m/${key}`,
      conversationId: general,
    });

    // The app open on another conversation: it goes to the message, scrolled to and focused.
    await page.goto('about:blank');
    await deliver(push('mention', mention));
    // The service worker's handling of a push can lag under load (failed once at the default wait).
    await eventually(async () => expect((await shown()).map((n) => n.tag)).toContain(`c:${general}`), 20_000);
    await page.goto(`${env.ts.url}/#/c/${announcements}`);
    await page
      .getByRole('heading', { name: /announcements/ })
      .first()
      .waitFor();
    await click(`c:${general}`);
    await eventually(async () => expect(await focusedKey(page)).toBe(mention));
    expect(new URL(page.url()).hash).toBe(`#/c/${general}/m/${mention}`);
    await expect(page.locator(`.msg[data-key="${mention}"]`).getAttribute('class')).resolves.toContain(
      'msg-jumped',
    );

    // The app closed: a click opens a window at the notification's link (`clients.openWindow`, which a
    // dispatched click may not call: it needs a real one). That link, read from the notification, opened
    // as a new window would: the app starts at the reply, its thread open and the reply focused.
    await page.goto('about:blank');
    await deliver(push('reply', reply));
    let link = '';
    await eventually(async () => {
      const url = await (
        await worker()
      ).evaluate(async (t) => {
        const scope = self as unknown as { registration: ServiceWorkerRegistration };
        const [n] = await scope.registration.getNotifications({ tag: t });
        return (n?.data as { url?: string } | undefined)?.url ?? null;
      }, `c:${general}`);
      expect(url).toBe(`/#/c/${general}/m/${reply}`);
      link = url ?? '';
    });
    const win = await ctx.newPage();
    await win.goto(`${env.ts.url}${link}`);
    await win.locator('.thread-panel').waitFor();
    await eventually(async () => expect(await focusedKey(win)).toBe(reply));
    await ctx.close();
  });
});

describe('notification settings in the browser', () => {
  const env = useServerAndBrowser();

  it('issue 15: the profile page asks only on a click, says what to do when blocked, and explains a failure in plain words', async () => {
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Ortiz', connect: false });
    for (const [size, name] of [
      [{ width: 1280, height: 900 }, 'desktop'],
      [{ width: 390, height: 844 }, 'phone'],
    ] as const) {
      // Blocked in the browser's settings: told where to change it, no button that cannot work.
      const blocked = await env.browser.newContext({ viewport: size });
      const page = await blocked.newPage();
      await signIn(page, env.ts.url, ben.email, ben.password);
      // The browser's own "Block" cannot be set from a test; the page is shown the answer it would give.
      await page.addInitScript(() =>
        Object.defineProperty(Notification, 'permission', { get: () => 'denied' }),
      );
      await page.goto(`${env.ts.url}/profile`);
      const state = page.locator('.notifications-state');
      await eventually(async () => expect(await state.getAttribute('data-state')).toBe('blocked'));
      expect(await state.innerText()).toMatch(/allow notifications for this site/);
      expect(await page.getByRole('button', { name: 'Turn on notifications' }).count()).toBe(0);
      await blocked.close();

      // Allowed: nothing is asked until the click; headless Chromium has no push service, so the
      // subscription fails and the page says so in words, keeping the button for another try.
      const ctx = await env.browser.newContext({ viewport: size, bypassCSP: true });
      await ctx.grantPermissions(['notifications'], { origin: env.ts.url });
      const p2 = await ctx.newPage();
      await signIn(p2, env.ts.url, ben.email, ben.password);
      await eventually(async () => {
        await p2.reload();
        expect(await p2.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      }, 20_000);
      await p2.goto(`${env.ts.url}/profile`);
      const s2 = p2.locator('.notifications-state');
      await eventually(async () => expect(await s2.getAttribute('data-state')).toBe('off'));
      await screenshot(p2, `notifications-settings-${name}`);
      await p2.getByRole('button', { name: 'Turn on notifications' }).click();
      const error = p2.getByRole('alert');
      await error.waitFor();
      expect(await error.innerText()).toMatch(/could not reach its notification service/);
      expect(await p2.getByRole('button', { name: 'Turn on notifications' }).isEnabled()).toBe(true);
      expect(await axeSerious(p2)).toEqual([]);
      await screenshot(p2, `notifications-settings-error-${name}`);
      await ctx.close();
    }
  });
});

describe('the offer of notifications in the browser', () => {
  const env = useServerAndBrowser();

  /**
   * The browser's own permission question cannot be answered from a test: the page is given the answer it
   * would return ('default' until asked, then `answer`), as the blocked case above is.
   */
  const answering = (answer: string) => {
    let asked = false;
    Object.defineProperty(Notification, 'permission', { get: () => (asked ? answer : 'default') });
    Notification.requestPermission = () => {
      asked = true;
      return Promise.resolve(answer as NotificationPermission);
    };
  };

  /** The message shows and a frame passed: an offer it made due would be on the page by now. */
  const settledAfterSend = async (page: Page, text: string) => {
    await page.locator('.messages .msg .text').filter({ hasText: text }).waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    expect(await page.evaluate(() => localStorage.getItem('commonroom.push-offer'))).toBe('done');
  };

  it('issue 15: notifications are offered once, after the first message sent, saying what refusing means', async () => {
    const cara = await addUser(env.ts, env.admin, 'student', { name: 'Cara Offer', connect: false });
    for (const [size, name] of [
      [{ width: 1280, height: 800 }, 'desktop'],
      [{ width: 390, height: 844 }, 'phone'],
    ] as const) {
      const ctx = await env.browser.newContext({ viewport: size, bypassCSP: true });
      await ctx.addInitScript(answering, 'denied');
      const page = await ctx.newPage();
      await signIn(page, env.ts.url, cara.email, cara.password);
      const offer = page.locator('[data-push-offer]');
      await openConversation(page, 'general');
      // Not on page load.
      expect(await offer.count()).toBe(0);
      await sendMessage(page, `hello from my ${name}`);
      await offer.waitFor();
      // Inline above the composer, a named region: it covers nothing (the header's back button included).
      expect(await page.getByRole('region', { name: 'Notifications' }).count()).toBe(1);
      expect(await offer.innerText()).toMatch(/If not, you will see them when you next open the app/);
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `push-offer-${name}`);

      // Refused at the browser's question: said in words, with where to change it.
      await page.getByRole('button', { name: 'Turn on notifications' }).click();
      await eventually(async () =>
        expect(await offer.getAttribute('data-push-offer'), await offer.innerText()).toBe('blocked'),
      );
      expect(await offer.innerText()).toMatch(
        /Notifications are off\. You will see new messages when you open/,
      );
      await screenshot(page, `push-offer-refused-${name}`);
      await page.getByRole('button', { name: 'OK' }).click();
      expect(await offer.count()).toBe(0);

      // Asked once on this device: not after the next message, nor after a reload.
      await sendMessage(page, `again from my ${name}`);
      await page.reload();
      // The app comes back in the conversation it showed.
      await page.getByLabel('Message', { exact: true }).waitFor();
      await sendMessage(page, `and again from my ${name}`);
      await settledAfterSend(page, `and again from my ${name}`);
      expect(await offer.count()).toBe(0);
      await ctx.close();
    }

    // "Not now" ends it too, with nothing asked of the browser.
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.addInitScript(answering, 'default');
    const page = await ctx.newPage();
    await signIn(page, env.ts.url, cara.email, cara.password);
    await openConversation(page, 'general');
    await sendMessage(page, 'one more');
    await page.locator('[data-push-offer]').waitFor();
    await page.getByRole('button', { name: 'Not now' }).click();
    expect(await page.locator('[data-push-offer]').count()).toBe(0);
    expect(await page.evaluate(() => Notification.permission)).toBe('default');
    await page.reload();
    await page.getByLabel('Message', { exact: true }).waitFor();
    await sendMessage(page, 'and one more');
    await settledAfterSend(page, 'and one more');
    expect(await page.locator('[data-push-offer]').count()).toBe(0);
    await ctx.close();
  });
});
