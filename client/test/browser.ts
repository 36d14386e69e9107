import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Engine } from '@commonroom/engine';
import { loginAdmin, startServer, type TestServer } from '../../sync-server/test/harness.ts';
import { CHROMIUM_ARGS, chromiumPath } from '@commonroom/testkit';

/** Real Debian Chromium, headless, with the flags this closed network needs. */
const LAUNCH: LaunchOptions = { executablePath: chromiumPath(), headless: true, args: [...CHROMIUM_ARGS] };

export const launch = (): Promise<Browser> => chromium.launch(LAUNCH);
export const launchProfile = (dir: string): Promise<BrowserContext> =>
  chromium.launchPersistentContext(dir, { ...LAUNCH, viewport: { width: 1280, height: 800 } });

export const SCREENSHOTS = join(import.meta.dirname, '..', '..', '.test-artifacts', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

export async function signIn(page: Page, url: string, login: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Email or username').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
}

export async function openConversation(page: Page, name: string): Promise<void> {
  await page.locator(`.sidebar .conv[data-conversation="${name}"]`).click();
  await page.locator('#pane-title').filter({ hasText: name }).waitFor();
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

export const messageTexts = (page: Page): Promise<string[]> =>
  page.locator('.messages .msg .text').allInnerTexts();

/**
 * Serious and critical axe findings on the page as it is now. The context must have `bypassCSP: true`, which
 * only lets the test inject axe.
 */
export async function axeSerious(
  page: Page,
): Promise<{ id: string; impact: string; help: string; count: number }[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const result = await page.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: {
          run: () => Promise<{
            violations: { id: string; impact: string; help: string; nodes: unknown[] }[];
          }>;
        };
      }
    ).axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, count: v.nodes.length }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Script errors on these pages; a test ends by expecting none, even when the page still looks right. */
export function watchErrors(...pages: Page[]): string[] {
  const errors: string[] = [];
  for (const p of pages) p.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export type BrowserEnv = { ts: TestServer; admin: Engine; browser: Browser };

/**
 * One real server on loopback (with its first admin signed in) and one Chromium per test file, started
 * before the file's tests and stopped after them. Read the fields inside tests, once they exist.
 */
export function useServerAndBrowser(): BrowserEnv {
  const env = {} as BrowserEnv;
  beforeAll(async () => {
    env.ts = await startServer();
    env.admin = await loginAdmin(env.ts);
    env.browser = await launch();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.ts?.destroy();
  });
  return env;
}

/**
 * Where the page's origin keeps `text` in IndexedDB: every database, every object store, every record,
 * searched byte for byte (binary values as bytes, strings as they are). Names the places it was found.
 */
export function idbHolds(page: Page, text: string): Promise<string[]> {
  return page.evaluate(async (needleText: string) => {
    const needle = new TextEncoder().encode(needleText);
    const hasBytes = (hay: Uint8Array): boolean => {
      outer: for (let i = 0; i + needle.length <= hay.length; i++) {
        for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
        return true;
      }
      return false;
    };
    const holds = (v: unknown, depth = 0): boolean => {
      if (depth > 20 || v === null || v === undefined) return false;
      if (typeof v === 'string') return v.includes(needleText);
      if (v instanceof Uint8Array) return hasBytes(v);
      if (v instanceof ArrayBuffer) return hasBytes(new Uint8Array(v));
      if (ArrayBuffer.isView(v)) return hasBytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      if (Array.isArray(v)) return v.some((x) => holds(x, depth + 1));
      if (typeof v === 'object') return Object.values(v).some((x) => holds(x, depth + 1));
      return false;
    };
    const found: string[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(info.name as string);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(new Error(String(r.error?.message)));
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<{ key: IDBValidKey; value: unknown }[]>((resolve, reject) => {
          const out: { key: IDBValidKey; value: unknown }[] = [];
          const c = db.transaction(store).objectStore(store).openCursor();
          c.onsuccess = () => {
            const cur = c.result;
            if (!cur) return resolve(out);
            out.push({ key: cur.key, value: cur.value });
            cur.continue();
          };
          c.onerror = () => reject(new Error(String(c.error?.message)));
        });
        for (const r of rows)
          if (holds(r.value) || holds(r.key)) found.push(`${info.name}/${store}/${JSON.stringify(r.key)}`);
      }
      db.close();
    }
    return found;
  }, text);
}
