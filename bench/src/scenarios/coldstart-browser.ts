import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocName } from '@commonroom/protocol';
import { CHROMIUM_ARGS, chromiumPath } from '@commonroom/testkit';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import * as Y from 'yjs';

/**
 * The browser side of the cold-start figure: Debian's Chromium through playwright-core, as the PWA's own
 * browser tests drive it (the same flags, from @commonroom/testkit). Page code is
 * passed as strings: the bench is compiled without the DOM library.
 */

/** Headless, one persistent profile (IndexedDB, service worker and its cache survive a browser restart). */
export const launchProfile = (dir: string): Promise<BrowserContext> =>
  chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [...CHROMIUM_ARGS],
  });

/**
 * Installed before the app's scripts on every navigation: on each animation frame (the last moment before
 * that frame paints) it checks whether the message `key` is in the message list and inside its visible
 * box, and records performance.now() (milliseconds since navigation start) the first time it is.
 */
export const visibleProbe = (key: string): string => `(() => {
  const want = ${JSON.stringify(key)};
  const out = (window.__coldstart = { visibleAt: null, rows: 0 });
  const check = () => {
    const list = document.querySelector('.messages');
    const el = list && list.querySelector('[data-key="' + CSS.escape(want) + '"]');
    if (el) {
      const a = list.getBoundingClientRect();
      const b = el.getBoundingClientRect();
      if (b.height > 0 && b.bottom > a.top && b.top < a.bottom) {
        out.visibleAt = performance.now();
        out.rows = list.querySelectorAll('.msg').length;
        return;
      }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();`;

/** After the probe fired: its time, the paint timings and navigation timing of the same page. */
export async function readTimings(page: Page): Promise<{
  visibleMs: number;
  rowsInDom: number;
  firstPaintMs: number | null;
  firstContentfulPaintMs: number | null;
  domContentLoadedMs: number | null;
}> {
  return page.evaluate(`(() => {
    const paint = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      visibleMs: window.__coldstart.visibleAt,
      rowsInDom: window.__coldstart.rows,
      firstPaintMs: paint('first-paint'),
      firstContentfulPaintMs: paint('first-contentful-paint'),
      domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : null,
    };
  })()`);
}

/** Rows in the PWA's IndexedDB store (Dexie table `docs` of database `commonroom`): count and bytes. */
export const storeSize = (page: Page): Promise<{ rows: number; bytes: number }> =>
  page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open('commonroom');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      let rows = 0;
      let bytes = 0;
      const cur = db.transaction('docs').objectStore('docs').openCursor();
      cur.onerror = () => reject(cur.error);
      cur.onsuccess = () => {
        const c = cur.result;
        if (!c) { db.close(); resolve({ rows, bytes }); return; }
        rows++;
        bytes += c.value.update.byteLength;
        c.continue();
      };
    };
  })`);

/** Every stored update by document name, base64 (a few tens of MB at most, over CDP once). */
const storeDump = (page: Page): Promise<[string, string][]> =>
  page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open('commonroom');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const out = [];
      const cur = db.transaction('docs').objectStore('docs').openCursor();
      cur.onerror = () => reject(cur.error);
      cur.onsuccess = () => {
        const c = cur.result;
        if (!c) { db.close(); resolve(out); return; }
        const u = c.value.update;
        let s = '';
        for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
        out.push([c.value.name, btoa(s)]);
        c.continue();
      };
    };
  })`);

/**
 * What the device holds of one conversation, counted the way the engine reads it: each stored document
 * rebuilt from its updates, chat messages = entries of the author documents' `msgs` arrays.
 */
export async function heldMessages(
  page: Page,
  conversationId: string,
): Promise<{ messages: number; segments: number; documents: number }> {
  const byDoc = new Map<string, Y.Doc>();
  for (const [name, b64] of await storeDump(page)) {
    const parsed = parseDocName(name);
    if (!parsed || parsed.conversationId !== conversationId) continue;
    let d = byDoc.get(name);
    if (!d) byDoc.set(name, (d = new Y.Doc()));
    Y.applyUpdate(d, Buffer.from(b64, 'base64'));
  }
  let messages = 0;
  const segments = new Set<number>();
  for (const [name, d] of byDoc) {
    const parsed = parseDocName(name);
    if (parsed?.kind === 'author') messages += d.getArray('msgs').length;
    if (parsed?.kind === 'idx' && d.getArray('order').length > 0) segments.add(parsed.segment);
    d.destroy();
  }
  return { messages, segments: segments.size, documents: byDoc.size };
}

/** Bytes on disk of the origin's IndexedDB (LevelDB files and blobs) in a Chromium profile. */
export function indexedDbBytes(profile: string, port: number): number {
  const base = join(profile, 'Default', 'IndexedDB');
  const walk = (p: string): number => {
    const s = statSync(p);
    return s.isDirectory() ? readdirSync(p).reduce((n, f) => n + walk(join(p, f)), 0) : s.size;
  };
  return readdirSync(base)
    .filter((f) => f.startsWith(`http_127.0.0.1_${port}.`))
    .reduce((n, f) => n + walk(join(base, f)), 0);
}
