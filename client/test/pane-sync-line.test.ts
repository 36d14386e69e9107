import { describe, expect, it } from 'vitest';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/**
 * On a phone the sidebar, and its sync line, is out of sight in a conversation: the line is shown again
 * under the header whenever the device is not simply online (issue 18: honest "waiting to send" where one
 * writes). A desktop keeps the sidebar's line only. Real server, real Chromium, the network cut by the
 * browser context.
 */
describe('the sync line in a conversation on a phone', () => {
  const env = useServerAndBrowser();

  it('offline on a phone: the pane says Offline and what waits; back online it goes; a desktop never shows it', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Clarke', connect: false });
    for (const [label, viewport] of [
      ['phone', { width: 390, height: 844 }],
      ['desktop', { width: 1280, height: 800 }],
    ] as const) {
      const ctx = await env.browser.newContext({ viewport, bypassCSP: true });
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await signIn(page, env.ts.url, amy.email, amy.password);
      await openConversation(page, 'general');
      const line = page.getByTestId('pane-sync-status');
      expect(await line.isVisible()).toBe(false);

      await ctx.setOffline(true);
      await eventually(async () =>
        expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
      );
      await sendMessage(page, `written offline on a ${label}`);
      await page.locator('.messages .msg', { hasText: `written offline on a ${label}` }).waitFor();
      if (label === 'phone') {
        await eventually(async () => expect(await line.innerText()).toMatch(/^Offline · 1 message waiting/));
        expect(await line.isVisible()).toBe(true);
        // A first visit offline, before the service worker stored every part: the message's "Seen" part
        // is missing and shows nothing, not a notice that squeezed the message to a letter a line.
        expect(
          await page
            .locator('.messages .part-unavailable')
            .evaluateAll((els) => els.map((e) => e.parentElement?.outerHTML.slice(0, 300))),
        ).toEqual([]);
        await screenshot(page, 'pane-sync-offline-phone');
        expect(await axeSerious(page)).toEqual([]);
      } else {
        // The sidebar's line is on screen; the pane's is not shown.
        expect(await line.isVisible()).toBe(false);
      }

      await ctx.setOffline(false);
      await eventually(async () => expect(await line.isVisible()).toBe(false), 20_000);
      expect(errors).toEqual([]);
      await ctx.close();
    }
  });
});
