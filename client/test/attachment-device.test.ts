import { describe, expect, it } from 'vitest';
import { addUser, ADMIN, channel, eventually } from '../../sync-server/test/harness.ts';
import { login } from '../../sync-server/test/raw-client.ts';
import {
  attach,
  cachedKeys,
  controlled,
  DESKTOP,
  imageLoaded,
  message,
  offline,
  PDF,
  photo,
  sendWithFiles,
  thumbLoaded,
  uploadsOnDevice,
} from './attachment-kit.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/**
 * Issue 17, what a device keeps and shows, in real Chromium against a real server on loopback: thumbnails of
 * a conversation never opened here are fetched ahead and show with the network off; a copy the budget
 * evicted says it needs the network; a sign-out leaves no file waiting to upload for the next person; the
 * viewer's arrows, keys and focus.
 */

describe('attachments on the device (issue 17)', () => {
  const env = useServerAndBrowser();

  it('a thumbnail of a conversation never opened here shows with the network off; once the budget evicts the copies, they say they need the network', async () => {
    const dee = await addUser(env.ts, env.admin, 'student', { name: 'Dee Ahead', connect: false });
    const ctx = await env.browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, dee.email, dee.password);
    await controlled(page);
    await openConversation(page, 'general');

    // A tutor sends Dee a photo in a direct message Dee does not open.
    const dm = await env.admin.openDm([dee.id]);
    const cookie = await login(env.ts.url, ADMIN.email, ADMIN.password);
    const [ref] = await sendWithFiles(env, cookie, dm.id, 'Your poster draft', [
      { name: 'poster.jpg', type: 'image/jpeg', bytes: await photo(1200, 1600, '#e76f51') },
    ]);
    const id = ref?.id ?? '';
    // Fetched ahead in the background: the thumbnail only, never the whole file.
    await eventually(async () => expect(await cachedKeys(page)).toContain(`${id}/thumb`), 30_000);
    expect(await cachedKeys(page)).not.toContain(`${id}/file`);

    // No network, the app started again: the conversation opens for the first time with its photo.
    await offline(ctx, page, true);
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await page.locator(`.sidebar .conv[data-conversation="${dm.id}"]`).click();
    await eventually(async () => expect(await thumbLoaded(page, 'Your poster draft')).toBe(true));
    await screenshot(page, 'attach-prefetched-offline-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    // Away from the message, so its hover actions do not cover the picture.
    await page.mouse.move(0, 0);
    await eventually(async () => expect(await thumbLoaded(page, 'Your poster draft')).toBe(true));
    await screenshot(page, 'attach-prefetched-offline-phone');
    await page.setViewportSize(DESKTOP.viewport);
    // The whole photo was never fetched: it needs the network.
    await message(page, 'Your poster draft').getByRole('button', { name: 'Open image poster.jpg' }).click();
    await page.getByRole('dialog').getByText('Needs the network to open').waitFor();
    await page.keyboard.press('Escape');

    // Online, the photo opened: kept on the device. Then the budget evicts every copy.
    await offline(ctx, page, false);
    await message(page, 'Your poster draft').getByRole('button', { name: 'Open image poster.jpg' }).click();
    const viewer = page.getByRole('dialog', { name: 'poster.jpg' });
    await eventually(async () => expect(await imageLoaded(viewer.locator('img'))).toBe(true));
    await page.keyboard.press('Escape');
    await eventually(async () => expect(await cachedKeys(page)).toContain(`${id}/file`));
    await page.goto(`${env.ts.url}/profile`);
    const storage = page.getByRole('region', { name: 'Storage on this device' });
    await storage
      .getByLabel('Keep photos and files you open for offline viewing')
      .selectOption({ label: 'Keep none' });
    await eventually(async () => expect(await cachedKeys(page)).toEqual([]));
    await storage.getByText('saved for offline viewing: 0 bytes of none allowed').waitFor();
    await storage.scrollIntoViewIfNeeded();
    await screenshot(page, 'attach-storage-none-desktop');

    // Evicted, with no network: the thumbnail and the viewer say so, in plain words.
    await ctx.setOffline(true);
    await page.goto(env.ts.url);
    await page.getByTestId('sync-status').getByText('Offline').waitFor();
    await page.locator(`.sidebar .conv[data-conversation="${dm.id}"]`).click();
    const thumb = message(page, 'Your poster draft').getByRole('button', { name: 'Open image poster.jpg' });
    await thumb.getByText('Needs the network to open').waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'attach-evicted-offline-desktop');
    await thumb.click();
    await page.getByRole('dialog').getByText('Needs the network to open').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'attach-evicted-viewer-phone');
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('a sign-out forgets a file waiting to upload: it is gone from the device, and the next person neither sees nor sends it', async () => {
    const eve = await addUser(env.ts, env.admin, 'student', { name: 'Eve Leaving', connect: false });
    const fay = await addUser(env.ts, env.admin, 'student', { name: 'Fay Next', connect: false });
    const ctx = await env.browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, eve.email, eve.password);
    await controlled(page);
    await openConversation(page, 'general');
    await page.getByLabel('Message', { exact: true }).waitFor();

    await offline(ctx, page, true);
    await attach(page, [{ name: 'eve-private.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await page.getByLabel('Message', { exact: true }).fill('Eve private notes');
    await page.getByRole('button', { name: 'Send' }).click();
    await page
      .locator('.msg-pending', { hasText: 'Eve private notes' })
      .getByText('Waiting for network')
      .waitFor();
    expect(await uploadsOnDevice(page)).toBe(1);

    // Signing out asks first (the file has not gone), then forgets it.
    const questions: string[] = [];
    page.once('dialog', (d) => {
      questions.push(d.message());
      void d.accept();
    });
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Email or username').waitFor();
    expect(questions).toEqual(['1 message(s) have not been sent yet. Sign out and lose them?']);
    await eventually(async () => expect(await uploadsOnDevice(page)).toBe(0));

    // The next person on this computer, online: nothing of Eve's waits or shows.
    await ctx.setOffline(false);
    await signIn(page, env.ts.url, fay.email, fay.password);
    await openConversation(page, 'general');
    await page.getByLabel('Message', { exact: true }).waitFor();
    expect(await page.locator('.msg-pending').count()).toBe(0);
    expect(await page.getByTestId('sync-status').innerText()).not.toMatch(/waiting|not sent/);
    // Fay's own file goes: the queue is in order, so anything left of Eve's would have gone first.
    await attach(page, [{ name: 'fay-notes.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await page.getByLabel('Message', { exact: true }).fill('Fay notes');
    await page.getByRole('button', { name: 'Send' }).click();
    await message(page, 'Fay notes').locator('.file-card').waitFor({ timeout: 30_000 });
    await eventually(async () => expect(await uploadsOnDevice(page)).toBe(0));
    expect(await message(page, 'Eve private notes').count()).toBe(0);
    const general = channel(env.admin, 'general');
    await env.admin.open(general);
    await eventually(() =>
      expect(env.admin.view(general).messages.some((m) => m.text === 'Fay notes')).toBe(true),
    );
    expect(env.admin.view(general).messages.some((m) => m.text === 'Eve private notes')).toBe(false);
    // Not even uploaded: the server never had the file.
    const rows = env.ts.server.db
      .prepare("SELECT count(*) AS n FROM attachments WHERE name = 'eve-private.pdf'")
      .get() as { n: number };
    expect(rows.n).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it("the viewer moves between a message's images with its arrows and the arrow keys, Escape closes it and focus returns to the image opened", async () => {
    const gil = await addUser(env.ts, env.admin, 'student', { name: 'Gil Viewer', connect: false });
    const cookie = await login(env.ts.url, ADMIN.email, ADMIN.password);
    const general = channel(env.admin, 'general');
    await sendWithFiles(env, cookie, general, 'Three views of the model', [
      { name: 'front.jpg', type: 'image/jpeg', bytes: await photo(1200, 900, '#e63946') },
      { name: 'side.jpg', type: 'image/jpeg', bytes: await photo(900, 1200, '#457b9d') },
      { name: 'back.jpg', type: 'image/jpeg', bytes: await photo(1200, 900, '#ffb703') },
    ]);
    for (const size of ['desktop', 'phone'] as const) {
      const ctx = await env.browser.newContext(
        size === 'desktop' ? DESKTOP : { ...DESKTOP, viewport: { width: 390, height: 844 }, isMobile: true },
      );
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await signIn(page, env.ts.url, gil.email, gil.password);
      await openConversation(page, 'general');
      const msg = message(page, 'Three views of the model');
      await eventually(async () => expect(await msg.locator('.msg-thumb img').count()).toBe(3), 20_000);
      const side = msg.getByRole('button', { name: 'Open image side.jpg' });
      await side.click();
      const viewer = page.getByRole('dialog');
      const shows = async (title: string) => {
        await page.getByRole('dialog', { name: title }).waitFor();
        await eventually(async () =>
          expect(await viewer.locator('img').getAttribute('alt')).toBe(title.split(' (')[0]),
        );
        await eventually(async () => expect(await imageLoaded(viewer.locator('img'))).toBe(true));
      };
      await shows('side.jpg (2 of 3)');
      await page.keyboard.press('ArrowRight');
      await shows('back.jpg (3 of 3)');
      // Past the last, round to the first; and back.
      await page.keyboard.press('ArrowRight');
      await shows('front.jpg (1 of 3)');
      await page.keyboard.press('ArrowLeft');
      await shows('back.jpg (3 of 3)');
      await viewer.getByRole('button', { name: 'Next image' }).click();
      await shows('front.jpg (1 of 3)');
      await viewer.getByRole('button', { name: 'Previous image' }).click();
      await shows('back.jpg (3 of 3)');
      await viewer.getByRole('button', { name: 'Previous image' }).click();
      await shows('side.jpg (2 of 3)');
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `attach-viewer-arrows-${size}`);
      await page.keyboard.press('Escape');
      await viewer.waitFor({ state: 'hidden' });
      // Focus is back on the image the viewer was opened from, for a keyboard or screen-reader user.
      await eventually(async () =>
        expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
          'Open image side.jpg',
        ),
      );
      // From the keyboard alone: Enter opens, the arrows move, Escape closes.
      await page.keyboard.press('Enter');
      await shows('side.jpg (2 of 3)');
      await page.keyboard.press('ArrowLeft');
      await shows('front.jpg (1 of 3)');
      await page.keyboard.press('Escape');
      await viewer.waitFor({ state: 'hidden' });
      expect(errors).toEqual([]);
      await ctx.close();
    }
  });
});
