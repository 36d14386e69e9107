import type { FileRef } from '@commonroom/model';
import { LeadReply, ReportReply } from '@commonroom/protocol';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { login } from '../../sync-server/test/raw-client.ts';
import { settledAttachment, upload } from '../../sync-server/test/uploads.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * A reported photo, removed by a moderator, as the safeguarding lead reviews it (issue 17 with issue 14,
 * migration 21), in Chromium at phone and desktop sizes: the members no longer see it; the lead sees the
 * file listed as kept for the case, with its name, size and hash, and the image only when they choose to
 * show it. A file of a message removed with no case is listed as deleted, its record kept.
 */
describe('a reported photo in the safeguarding review', () => {
  const env = useServerAndBrowser();

  it('the lead sees a removed message’s photo as kept for the case, shown only on request; a file deleted earlier is a record', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Clarke' });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Foster' });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tom Reid' });
    const lena = await addUser(env.ts, env.admin, 'staff', { name: 'Lena Marsh', connect: false });
    await env.admin.api.request('PUT', `/api/admin/users/${lena.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    const general = channel(ben.engine, 'general');
    await ben.engine.open(general);
    await tutor.engine.open(general);
    const benCookie = await login(env.ts.url, ben.email, ben.password);
    const sendFile = async (filename: string, bytes: Uint8Array, caption: string) => {
      const id = await upload(env.ts.url, benCookie, { conversation: general, filename, bytes });
      const a = await settledAttachment(env.ts.url, benCookie, id);
      expect(a.status).toBe('ready');
      const ref: FileRef = {
        id: a.id,
        name: a.name,
        size: a.size,
        type: a.type,
        ...(a.w !== undefined && a.h !== undefined ? { w: a.w, h: a.h } : {}),
      };
      const key = await ben.engine.send(general, caption, { files: [ref] });
      await ben.engine.settled();
      await eventually(() => expect(tutor.engine.view(general).state.byKey.has(key)).toBe(true));
      return { key, localId: key.split(':')[1] ?? '', id: a.id };
    };

    // Earlier: a file removed with no report (deleted at once), then reported afterwards.
    const early = await sendFile('timetable.txt', new TextEncoder().encode('an old timetable'), '');
    await tutor.engine.remove(general, early.key, 'off topic');
    await tutor.engine.settled();
    // The photo: reported by Amy, then removed by the tutor.
    const png = await sharp({ create: { width: 480, height: 320, channels: 3, background: '#c0392b' } })
      .png()
      .toBuffer();
    const photo = await sendFile('IMG_2041.png', new Uint8Array(png), '');
    const reported = await amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: 'photo-report-1',
      conversationId: general,
      authorId: ben.id,
      localId: photo.localId,
      reason: 'bullying',
      detail: 'A photo of me he took without asking.',
    });
    const second = await amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: 'photo-report-2',
      conversationId: general,
      authorId: ben.id,
      localId: early.localId,
      reason: 'inappropriate',
      detail: '',
    });
    await tutor.engine.remove(general, photo.key, 'reported photo');
    await tutor.engine.settled();

    for (const [label, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const ctx = await env.browser.newContext({ viewport, bypassCSP: true });
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await signIn(page, env.ts.url, lena.email, lena.password);
      await page.goto(`${env.ts.url}/safeguarding/items/${reported.itemId}`);
      const file = page.locator('.sg-file', { hasText: 'IMG_2041.png' }).first();
      await file.waitFor();
      await expect(file.innerText()).resolves.toMatch(/Kept for this case: members can no longer see it/);
      // Nothing is shown until the lead asks.
      expect(await file.locator('img').count()).toBe(0);
      await screenshot(page, `safeguarding-files-hidden-${label}`);
      await file.getByRole('button', { name: 'Show image' }).click();
      const img = file.getByRole('img', { name: /IMG_2041\.png/ });
      await img.waitFor();
      await eventually(async () =>
        expect(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBeGreaterThan(0),
      );
      await file.scrollIntoViewIfNeeded();
      await screenshot(page, `safeguarding-files-shown-${label}`);
      expect(await axeSerious(page)).toEqual([]);

      await page.goto(`${env.ts.url}/safeguarding/items/${second.itemId}`);
      const gone = page.locator('.sg-file', { hasText: 'timetable.txt' }).first();
      await gone.waitFor();
      await expect(gone.innerText()).resolves.toMatch(/File deleted; this record is kept/);
      expect(await gone.getByRole('button').count()).toBe(0);
      // A message of a file only is not mistaken for one whose text retention took.
      expect(await page.getByText('Text no longer kept').count()).toBe(0);
      await screenshot(page, `safeguarding-files-deleted-${label}`);
      expect(errors).toEqual([]);
      await ctx.close();
    }
    // Amy, a member, cannot fetch the photo any more.
    const amyCookie = await login(env.ts.url, amy.email, amy.password);
    const res = await fetch(`${env.ts.url}/api/attachments/${photo.id}`, { headers: { cookie: amyCookie } });
    expect(res.status).toBe(404);
  });
});
