import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, ADMIN, channel, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';
import {
  attach,
  cachedKeys,
  controlled,
  DESKTOP,
  message,
  offline,
  PDF,
  PHONE,
  photo,
  thumbLoaded,
  uploadsOnDevice,
} from './attachment-kit.ts';

/**
 * Issue 17, the PWA half, in real Chromium against a real server on loopback: a photo sent from a phone with
 * the network off waits on the device (across a reload) and goes when the network is back; the other person
 * sees the message once, with its thumbnail; the viewer; an image viewed before opens with the network off;
 * an uncached one says it needs the network; Cancel; refusals in plain words; file cards; the budget setting.
 */

describe('attachments in the PWA (issue 17)', () => {
  const env = useServerAndBrowser();

  it('a photo from a phone offline waits across a reload, goes when online, and the other person sees it once with its thumbnail; the viewer; offline viewing', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Photo', connect: false });
    const phoneCtx = await env.browser.newContext(PHONE);
    const phone = await phoneCtx.newPage();
    const deskCtx = await env.browser.newContext(DESKTOP);
    const desk = await deskCtx.newPage();
    const errors = watchErrors(phone, desk);
    await signIn(phone, env.ts.url, amy.email, amy.password);
    await controlled(phone);
    await openConversation(phone, 'general');

    await offline(phoneCtx, phone, true);
    // On a phone the camera is one tap away.
    await expect(phone.getByRole('button', { name: 'Take photo' }).isVisible()).resolves.toBe(true);
    await attach(phone, [{ name: 'essay-plan.jpg', mimeType: 'image/jpeg', buffer: await photo() }]);
    await phone.getByRole('list', { name: 'Files to send' }).getByText('essay-plan.jpg').waitFor();
    await phone.getByLabel('Message', { exact: true }).fill('My essay plan');
    await screenshot(phone, 'attach-composer-phone');
    await phone.getByRole('button', { name: 'Send' }).click();
    const pending = phone.locator('.msg-pending', { hasText: 'My essay plan' });
    await pending.getByText('Waiting for network').waitFor();
    expect(await phone.getByRole('list', { name: 'Files to send' }).count()).toBe(0);
    expect(await phone.getByTestId('sync-status').innerText()).toMatch(/1 message waiting/);
    expect(await uploadsOnDevice(phone)).toBe(1);
    await screenshot(phone, 'attach-pending-phone');
    expect(await axeSerious(phone)).toEqual([]);

    // Closed and opened again with no network: the message and its photo are still waiting.
    await phone.reload();
    // The address still names the conversation: the phone opens on it.
    await phone.locator('#pane-title').filter({ hasText: 'general' }).waitFor();
    await pending.getByText('Waiting for network').waitFor();

    // The network is back: uploaded, then sent; the waiting copy goes and the message shows its thumbnail.
    await offline(phoneCtx, phone, false);
    await eventually(async () => expect(await thumbLoaded(phone, 'My essay plan')).toBe(true), 30_000);
    // The waiting copy leaves just after the send is stored (the thumbnail may show first).
    await eventually(async () => expect(await pending.count()).toBe(0));
    await eventually(async () => expect(await uploadsOnDevice(phone)).toBe(0));
    await screenshot(phone, 'attach-image-phone');

    // The other person: the message once, with its thumbnail, its space reserved before it loads.
    await signIn(desk, env.ts.url, ADMIN.email, ADMIN.password);
    await openConversation(desk, 'general');
    await eventually(async () => expect(await thumbLoaded(desk, 'My essay plan')).toBe(true), 20_000);
    expect(await message(desk, 'My essay plan').count()).toBe(1);
    const box = await message(desk, 'My essay plan').locator('.msg-thumb').boundingBox();
    expect((box?.width ?? 0) / (box?.height ?? 1)).toBeCloseTo(4 / 3, 1);
    await screenshot(desk, 'attach-image-desktop');

    // The viewer: a labelled modal dialog, Escape closes it.
    await message(desk, 'My essay plan').getByRole('button', { name: 'Open image essay-plan.jpg' }).click();
    const viewer = desk.getByRole('dialog', { name: 'essay-plan.jpg' });
    await viewer.waitFor();
    await eventually(async () =>
      expect(
        await viewer.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      ).toBe(true),
    );
    expect(await axeSerious(desk)).toEqual([]);
    await screenshot(desk, 'attach-viewer-desktop');
    await desk.keyboard.press('Escape');
    await viewer.waitFor({ state: 'hidden' });

    // Viewed once, kept: with the network off (and the app restarted) the photo still opens.
    await controlled(desk);
    await offline(deskCtx, desk, true);
    await desk.reload();
    await openConversation(desk, 'general');
    await eventually(async () => expect(await thumbLoaded(desk, 'My essay plan')).toBe(true));
    await message(desk, 'My essay plan').getByRole('button', { name: 'Open image essay-plan.jpg' }).click();
    await eventually(async () =>
      expect(
        await viewer.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      ).toBe(true),
    );
    await desk.keyboard.press('Escape');

    // The phone opened only the thumbnail: its full size needs the network.
    await offline(phoneCtx, phone, true);
    await message(phone, 'My essay plan').getByRole('button', { name: 'Open image essay-plan.jpg' }).click();
    await phone.getByRole('dialog').getByText('Needs the network to open').waitFor();
    await screenshot(phone, 'attach-viewer-offline-phone');
    await phone.keyboard.press('Escape');

    // A moderator removes the message (from another device): its files leave this device's copies too.
    await offline(deskCtx, desk, false);
    expect((await cachedKeys(desk)).length).toBe(2);
    const general = channel(env.admin, 'general');
    await env.admin.open(general);
    let key = '';
    await eventually(() => {
      key = env.admin.view(general).messages.find((m) => m.text === 'My essay plan')?.key ?? '';
      expect(key).not.toBe('');
    });
    await env.admin.remove(general, key, 'wrong channel');
    await desk.locator('.messages').getByText('Removed by a moderator').waitFor();
    await eventually(async () => expect(await cachedKeys(desk)).toEqual([]));
    expect(errors).toEqual([]);
    await phoneCtx.close();
    await deskCtx.close();
  });

  it('Cancel forgets a waiting message; a file over the limit is refused before queueing; other files are cards; the budget setting', async () => {
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Files', connect: false });
    const ctx = await env.browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ben.email, ben.password);
    await openConversation(page, 'general');

    // Too big: refused in the composer, nothing queued.
    await attach(page, [
      { name: 'lecture.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(25 * 1024 * 1024 + 1) },
    ]);
    await page.getByText('lecture.mp4 is 25 MB: files can be up to 25 MB.').waitFor();
    expect(await page.getByRole('list', { name: 'Files to send' }).count()).toBe(0);

    // Waiting offline, then cancelled: gone from the screen and the device.
    await offline(ctx, page, true);
    await attach(page, [{ name: 'draft.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await page.getByLabel('Message', { exact: true }).fill('Wrong draft');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const pending = page.locator('.msg-pending', { hasText: 'Wrong draft' });
    await pending.getByText('Waiting for network').waitFor();
    await screenshot(page, 'attach-pending-desktop');
    await pending.getByRole('button', { name: 'Cancel' }).click();
    await pending.waitFor({ state: 'detached' });
    await eventually(async () => expect(await uploadsOnDevice(page)).toBe(0));
    await offline(ctx, page, false);
    expect(await message(page, 'Wrong draft').count()).toBe(0);

    // A PDF (no caption) and a photo together: a card with name, size and Download, and a thumbnail.
    await attach(page, [
      { name: 'handout.pdf', mimeType: 'application/pdf', buffer: PDF },
      { name: 'board.jpg', mimeType: 'image/jpeg', buffer: await photo(900, 1200) },
    ]);
    await page.getByLabel('Message', { exact: true }).fill('Handout and board');
    await screenshot(page, 'attach-composer-desktop');
    const cachedBefore = await cachedKeys(page);
    // A double tap on Send queues the message once (the second tap comes while the files are written).
    await page.getByRole('button', { name: 'Send' }).dblclick();
    const card = page.locator('.messages .file-card', { hasText: 'handout.pdf' });
    await card.waitFor({ timeout: 30_000 });
    // Nothing else waits to go: a second copy would still be on the device or already in the list.
    await eventually(async () => expect(await uploadsOnDevice(page)).toBe(0));
    expect(await message(page, 'Handout and board').count()).toBe(1);
    expect(await card.innerText()).toMatch(/handout\.pdf[\s\S]*\d+ bytes[\s\S]*Download/);
    await eventually(async () =>
      expect(
        await page
          .locator('.messages .msg-thumb img')
          .last()
          .evaluate((i: HTMLImageElement) => i.naturalWidth > 0),
      ).toBe(true),
    );
    const download = page.waitForEvent('download');
    await card.getByRole('button', { name: 'Download handout.pdf' }).click();
    expect((await download).suggestedFilename()).toBe('handout.pdf');
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'attach-file-card-desktop');

    // In a thread too: a reply with a file waits in the thread, then shows there.
    const parent = message(page, 'Handout and board');
    await parent.hover();
    await parent.getByRole('button', { name: 'Reply in thread' }).click();
    const thread = page.getByRole('complementary', { name: 'Thread' });
    await thread
      .locator('.composer input[type="file"]:not([capture])')
      .setInputFiles([{ name: 'notes.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await thread.getByLabel('Reply', { exact: true }).press('Enter');
    await thread.locator('.file-card', { hasText: 'notes.pdf' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.pane .messages .file-card', { hasText: 'notes.pdf' }).count()).toBe(0);
    await screenshot(page, 'attach-thread-desktop');
    await thread.getByRole('button', { name: 'Close thread' }).click();

    // A refusal by the server (the limit lowered after this page read it): the reason, and Remove.
    await env.admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { attachmentMaxFileMb: 1 });
    await attach(page, [
      { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(2 * 1024 * 1024, 1) },
      { name: 'small.pdf', mimeType: 'application/pdf', buffer: PDF },
    ]);
    await page.getByLabel('Message', { exact: true }).fill('Scan and sheet');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    const refused = page.locator('.msg-pending', { hasText: 'scan.pdf' });
    await refused
      .getByText('Not sent: This file is 2 MB; files can be at most 1 MB.')
      .waitFor({ timeout: 20_000 });
    // Counted as not sent, not as waiting: it will not go by itself.
    expect(await page.getByTestId('sync-status').innerText()).toMatch(/^Online · 1 not sent$/);
    expect(await axeSerious(page)).toEqual([]);
    // Waiting cannot make it smaller: no "Try again"; the refused file leaves alone, the rest goes.
    expect(await refused.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await screenshot(page, 'attach-refused-desktop');
    await refused.getByRole('button', { name: 'Remove scan.pdf' }).click();
    await refused.waitFor({ state: 'detached' });
    const rest = message(page, 'Scan and sheet');
    await rest.locator('.file-card', { hasText: 'small.pdf' }).waitFor({ timeout: 30_000 });
    expect(await rest.locator('.file-card', { hasText: 'scan.pdf' }).count()).toBe(0);
    // The entry leaves the device just after the send is stored (the list may show the message first).
    await eventually(async () => expect(await uploadsOnDevice(page)).toBe(0));
    await env.admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { attachmentMaxFileMb: 25 });

    // Deleting the message drops its files from this device's offline copies.
    expect((await cachedKeys(page)).length).toBeGreaterThan(cachedBefore.length);
    await parent.hover();
    await parent.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Delete message' }).click();
    await page
      .getByRole('dialog', { name: 'Delete message?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await eventually(async () => expect(await cachedKeys(page)).toEqual(cachedBefore));

    // The budget on the profile page, with what is used now.
    await page.goto(`${env.ts.url}/profile`);
    const storage = page.getByRole('region', { name: 'Storage on this device' });
    await storage.getByTestId('device-storage').waitFor();
    expect(await storage.innerText()).toMatch(/saved for offline viewing: \d/);
    await storage
      .getByLabel('Keep photos and files you open for offline viewing')
      .selectOption({ label: 'Keep 50 MB on this device' });
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'attach-storage-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    await storage.scrollIntoViewIfNeeded();
    await screenshot(page, 'attach-storage-phone');
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
