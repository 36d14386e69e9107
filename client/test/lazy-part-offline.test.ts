import { describe, expect, it } from 'vitest';
import { addUser } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * A lazily loaded part whose code cannot be fetched (offline on a first visit, before the service worker
 * stored it) shows a plain notice where it would have been; the rest of the app keeps working, and
 * "Try again" brings the part once it can be fetched. Before ui/lazy.tsx such a failure left the whole
 * app blank. The service worker is blocked here so that the test decides which fetch fails.
 */

const env = useServerAndBrowser();

describe('a part of the app that cannot be loaded', () => {
  it('says it needs the network, leaves the rest of the app working, and comes back with Try again', async () => {
    const sam = await addUser(env.ts, env.admin, 'student', { name: 'Sam Student', connect: false });
    const ctx = await env.browser.newContext({
      viewport: { width: 390, height: 844 },
      serviceWorkers: 'block',
      bypassCSP: true,
    });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, sam.email, sam.password);
    // The shortcuts help is its own chunk, fetched only when `?` is first pressed.
    await ctx.route(/shortcuts-dialog[^/]*\.js$/, (route) => route.abort('internetdisconnected'));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    const notice = page.getByRole('alert').filter({ hasText: 'needs the network to open' });
    await notice.waitFor();
    // The app around it is still there and usable.
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'lazy-part-unavailable-phone');

    await ctx.unroute(/shortcuts-dialog[^/]*\.js$/);
    await notice.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: /shortcuts/i }).waitFor();
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
