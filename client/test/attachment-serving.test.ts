import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { addUser, channel } from '../../sync-server/test/harness.ts';
import { login } from '../../sync-server/test/raw-client.ts';
import { settledAttachment, upload } from '../../sync-server/test/uploads.ts';
import { signIn, useServerAndBrowser } from './browser.ts';

/**
 * Issue 17 acceptance, in Chromium: files people upload are served inert (docs/THREAT_MODEL.md T20). A
 * JPEG with a web page glued after it is shown as a picture, sandboxed, and runs nothing; a text file with
 * a script past the part the server reads to judge it is downloaded, never rendered. Each payload would
 * call back to the server (a request the test would see) and open a dialog if it ran.
 */
describe('attachment bytes in the browser (issue 17, T20)', () => {
  const env = useServerAndBrowser();

  it('T20: a polyglot picture and a text file carrying a script run nothing when opened', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Polyglot', connect: false });
    const cookie = await login(env.ts.url, amy.email, amy.password);
    const general = channel(env.admin, 'general');
    const payload = (tag: string) =>
      `<html><body><script>alert('${tag}');fetch('/api/ran-${tag}')</script><img src="/api/ran-img-${tag}"></body></html>`;
    const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#2a7' } })
      .jpeg()
      .toBuffer();
    const polyglot = new Uint8Array([...jpeg, ...new TextEncoder().encode(payload('jpeg'))]);
    // A page's tags anywhere in a text file get it refused (content-type.test.ts); an <img> with a handler
    // is not one of them, so this one is stored as text and must be served inert.
    const text = new TextEncoder().encode(
      `${'notes '.repeat(12_000)}\n<img src="/api/ran-img-text" onerror="fetch('/api/ran-text')">`,
    );
    const picture = await settledAttachment(
      env.ts.url,
      cookie,
      await upload(env.ts.url, cookie, { conversation: general, filename: 'photo.jpg', bytes: polyglot }),
    );
    const notes = await settledAttachment(
      env.ts.url,
      cookie,
      await upload(env.ts.url, cookie, { conversation: general, filename: 'notes.txt', bytes: text }),
    );
    expect(picture.status).toBe('ready');
    expect(notes).toMatchObject({ status: 'ready', type: 'text/plain' });

    const ctx = await env.browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    const page = await ctx.newPage();
    const dialogs: string[] = [];
    const callbacks: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    ctx.on('request', (r) => {
      if (r.url().includes('/api/ran-')) callbacks.push(r.url());
    });
    await signIn(page, env.ts.url, amy.email, amy.password);

    await page.goto(`${env.ts.url}${picture.url}`);
    // Shown as an image (Chromium's image document), sandboxed.
    expect(await page.evaluate(() => document.contentType)).toBe('image/jpeg');
    const download = page.waitForEvent('download');
    await page.goto(`${env.ts.url}${notes.url}`).catch(() => undefined);
    expect((await download).suggestedFilename()).toBe('notes.txt');
    // A last page load: whatever the earlier pages would have sent has been sent by now.
    await page.goto(`${env.ts.url}/healthz`);
    expect(dialogs).toEqual([]);
    expect(callbacks).toEqual([]);
    await ctx.close();
  });
});
