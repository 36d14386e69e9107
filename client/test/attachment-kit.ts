import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { FileRef } from '@commonroom/model';
import { eventually } from '../../sync-server/test/harness.ts';
import { settledAttachment, upload } from '../../sync-server/test/uploads.ts';
import type { BrowserEnv } from './browser.ts';

/** What the PWA's attachment tests (issue 17) share: real photos, the device's IndexedDB, the network. */

export const PHONE = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  bypassCSP: true,
};
export const DESKTOP = { viewport: { width: 1280, height: 800 }, bypassCSP: true };

/** A real JPEG photo (a gradient with a shape), made by sharp so the server thumbnails real pixels. */
export async function photo(w = 1600, h = 1200, colour = '#f4a261'): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2d6a4f"/><stop offset="1" stop-color="#b7e4c7"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/><circle cx="${w / 2}" cy="${h / 2}" r="${h / 4}" fill="${colour}"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 80 }).toBuffer();
}

/** The smallest PDF file-type recognises as one. */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);

/** Waits until the service worker controls the page: then the app opens with the network off. */
export async function controlled(page: Page): Promise<void> {
  await eventually(async () => {
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  }, 20_000);
}

export async function offline(ctx: BrowserContext, page: Page, on: boolean): Promise<void> {
  await ctx.setOffline(on);
  await eventually(async () =>
    expect(await page.getByTestId('sync-status').innerText()).toMatch(on ? /Offline/ : /Online|Sending/),
  );
}

/**
 * Playwright sends the bytes through the protocol as base64: a 25 MB file took past the default 30 s wait on
 * CI's loaded cores, hence the longer one.
 */
export const attach = (
  page: Page | ReturnType<Page['locator']>,
  files: { name: string; mimeType: string; buffer: Buffer }[],
) => page.locator('.composer input[type="file"]:not([capture])').setInputFiles(files, { timeout: 90_000 });

function countStore(page: Page, store: 'uploads' | 'files'): Promise<number> {
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const r = indexedDB.open('commonroom');
        r.onsuccess = () => {
          const c = r.result.transaction(name).objectStore(name).count();
          c.onsuccess = () => resolve(c.result);
          c.onerror = () => reject(new Error('count failed'));
        };
        r.onerror = () => reject(new Error('open failed'));
      }),
    store,
  );
}

/** Messages with files waiting on this device (the upload queue's entries in IndexedDB). */
export const uploadsOnDevice = (page: Page): Promise<number> => countStore(page, 'uploads');

/** The keys of the offline copies of files on this device (attachment id / variant). */
export const cachedKeys = (page: Page): Promise<string[]> =>
  page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const r = indexedDB.open('commonroom');
        r.onsuccess = () => {
          const c = r.result.transaction('files').objectStore('files').getAllKeys();
          c.onsuccess = () => resolve((c.result as string[]).sort());
          c.onerror = () => reject(new Error('read failed'));
        };
        r.onerror = () => reject(new Error('open failed'));
      }),
  );

/** The message with this caption, wherever it is in the list. */
export const message = (page: Page, caption: string) => page.locator('.messages .msg', { hasText: caption });

export const imageLoaded = (img: ReturnType<Page['locator']>): Promise<boolean> =>
  img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0);

export const thumbLoaded = (page: Page, caption: string) =>
  imageLoaded(message(page, caption).locator('.msg-thumb img'));

/**
 * Sends a message with files from outside the browser (the admin's engine in Node), uploaded over tus by
 * hand; resolves with the files as the message carries them.
 */
export async function sendWithFiles(
  env: BrowserEnv,
  cookie: string,
  conversationId: string,
  caption: string,
  files: { name: string; type: string; bytes: Uint8Array }[],
): Promise<FileRef[]> {
  const refs: FileRef[] = [];
  for (const f of files) {
    const id = await upload(env.ts.url, cookie, {
      conversation: conversationId,
      filename: f.name,
      filetype: f.type,
      bytes: f.bytes,
    });
    const a = await settledAttachment(env.ts.url, cookie, id);
    expect(a.status).toBe('ready');
    refs.push({
      id,
      name: a.name,
      size: a.size,
      type: a.type,
      ...(a.w !== undefined && a.h !== undefined ? { w: a.w, h: a.h } : {}),
    });
  }
  await env.admin.open(conversationId);
  await env.admin.send(conversationId, caption, { files: refs });
  await env.admin.settled();
  return refs;
}
