import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import {
  messageTexts,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/**
 * Every IndexedDB database of the page, every value of every store, as text (byte arrays decoded as UTF-8,
 * where Yjs keeps message text), to search for what must be gone.
 */
const storedText = (page: Page): Promise<string> =>
  page.evaluate(async () => {
    const parts: string[] = [];
    const decode = (v: unknown): string => {
      if (v instanceof Uint8Array || v instanceof ArrayBuffer) return new TextDecoder().decode(v);
      if (Array.isArray(v)) return v.map(decode).join(' ');
      if (v && typeof v === 'object')
        return Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => `${k}=${decode(x)}`)
          .join(' ');
      return String(v);
    };
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(info.name as string);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(new Error(String(req.error)));
      });
      for (const store of [...db.objectStoreNames]) {
        const values = await new Promise<unknown[]>((resolve, reject) => {
          const req = db.transaction(store, 'readonly').objectStore(store).getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(new Error(String(req.error)));
        });
        parts.push(`[${info.name}/${store}] ${values.map(decode).join(' ')}`);
      }
      db.close();
    }
    return parts.join('\n');
  });

/** THREAT_MODEL T10 in Chromium: a device of a deactivated account wipes itself at its next contact. */
describe('T10: the PWA wipes itself when its account is ended', () => {
  const env = useServerAndBrowser();

  it('T10: a page open offline while an admin deactivates the account wipes itself when it comes back online', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Wiped Amy', connect: false });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tutor Tom' });
    const secret = 'safeguarding detail 7f3a about Amy';
    const unsent = 'unsent note 91bc from Amy';
    const draft = 'half written 55de draft';
    const general = channel(tutor.engine, 'general');
    await tutor.engine.open(general);
    await tutor.engine.send(general, secret);
    await tutor.engine.settled();

    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    await openConversation(page, 'general');
    await eventually(async () => expect(await messageTexts(page)).toContain(secret));
    await eventually(async () => expect(await storedText(page)).toContain(secret));

    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    await sendMessage(page, unsent);
    await eventually(async () => expect(await page.locator('[data-status="waiting"]').count()).toBe(1));
    await page.getByLabel('Message', { exact: true }).fill(draft);
    await eventually(async () => {
      const stored = await storedText(page);
      expect(stored).toContain(unsent);
      expect(await page.evaluate(() => JSON.stringify(localStorage))).toContain(draft);
    });

    await env.admin.api.request('POST', `/api/admin/users/${amy.id}/deactivate`, z.unknown());
    // Still offline: nothing is wiped on a missing network.
    await expect(messageTexts(page)).resolves.toContain(secret);

    await ctx.setOffline(false);
    await page.getByText('This account was deactivated by your college.').waitFor({ timeout: 20_000 });
    await page.getByLabel('Email or username').waitFor();
    const stored = await storedText(page);
    for (const t of [secret, unsent, draft, 'Wiped Amy']) expect(stored).not.toContain(t);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    await screenshot(page, 'signed-out-deactivated');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('T10: "Sign out everywhere" on one device wipes that device and the person\'s other open device', async () => {
    const cara = await addUser(env.ts, env.admin, 'student', { name: 'Careful Cara', connect: false });
    const note = 'my own note e4a2 in general';
    const pcCtx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const phoneCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
    const pc = await pcCtx.newPage();
    const phone = await phoneCtx.newPage();
    const errors = watchErrors(pc, phone);
    await signIn(pc, env.ts.url, cara.email, cara.password);
    await signIn(phone, env.ts.url, cara.email, cara.password);
    await openConversation(pc, 'general');
    await sendMessage(pc, note);
    await openConversation(phone, 'general');
    await eventually(async () => expect(await storedText(phone)).toContain(note));
    await screenshot(pc, 'sidebar-account-actions');

    const asked: string[] = [];
    pc.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await pc.getByRole('button', { name: 'Sign out everywhere' }).click();
    for (const page of [pc, phone]) {
      await page.getByText('You were signed out on all devices.').waitFor({ timeout: 20_000 });
      expect(await storedText(page)).not.toContain(note);
    }
    expect(asked[0]).toMatch(/Sign out on every device\?/);
    expect(errors).toEqual([]);
    await pcCtx.close();
    await phoneCtx.close();
  });

  it('T10: a session that only expired keeps the unsent work: sign in again and it is sent', async () => {
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Expired Ben', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ben.email, ben.password);
    await openConversation(page, 'general');
    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    await sendMessage(page, 'kept through expiry 3c1d');
    await eventually(async () => expect(await page.locator('[data-status="waiting"]').count()).toBe(1));
    env.ts.server.db.prepare('UPDATE sessions SET expires_at = 1 WHERE user_id = ?').run(ben.id);
    await ctx.setOffline(false);
    // The refused socket has no words; the engine asks over HTTP and hears not-logged-in: no wipe.
    await page.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 20_000 });
    expect(await storedText(page)).toContain('kept through expiry 3c1d');
    await page.getByLabel('Email or username').fill(ben.email);
    await page.getByLabel('Password').fill(ben.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await openConversation(page, 'general');
    await eventually(
      async () => expect(await page.locator('[data-status="waiting"]').count()).toBe(0),
      20_000,
    );
    expect(await messageTexts(page)).toContain('kept through expiry 3c1d');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('T10: signing in again in a background tab reconnects the tab that holds the connection', async () => {
    const cara = await addUser(env.ts, env.admin, 'student', { name: 'Two Tabs Cara', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    // The first tab takes the connection (the Web Lock); the second follows it.
    const leader = await ctx.newPage();
    await signIn(leader, env.ts.url, cara.email, cara.password);
    await openConversation(leader, 'general');
    const follower = await ctx.newPage();
    await follower.goto(env.ts.url);
    await openConversation(follower, 'general');
    await ctx.setOffline(true);
    await sendMessage(follower, 'written in the second tab 9e2a');
    await eventually(async () => expect(await follower.locator('[data-status="waiting"]').count()).toBe(1));
    env.ts.server.db.prepare('UPDATE sessions SET expires_at = 1 WHERE user_id = ?').run(cara.id);
    await ctx.setOffline(false);
    for (const page of [leader, follower])
      await page.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 20_000 });
    // Signed in again in the follower: the leader, still on its sign-in page, must take the session up.
    await follower.getByLabel('Email or username').fill(cara.email);
    await follower.getByLabel('Password').fill(cara.password);
    await follower.getByRole('button', { name: 'Sign in' }).click();
    await openConversation(follower, 'general');
    await eventually(
      async () => expect(await follower.locator('[data-status="waiting"]').count()).toBe(0),
      20_000,
    );
    const general = channel(env.admin, 'general');
    await eventually(() =>
      expect(env.admin.view(general).messages.map((m) => m.text)).toContain('written in the second tab 9e2a'),
    );
    // The leader tab is signed in again too, without anyone touching it.
    await openConversation(leader, 'general');
    expect(await messageTexts(leader)).toContain('written in the second tab 9e2a');
    await ctx.close();
  });
});
