import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, sendMessage, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

const SHOTS = '/work/shots/h15a';
const shot = async (page: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

const activityButton = (page: Page) => page.getByRole('button', { name: /^Activity/ });
const entries = (page: Page) => page.getByRole('list', { name: 'Mentions and replies' }).getByRole('link');
/** The focused element's message key, or null. */
const focusedKey = (page: Page) =>
  page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.key ?? null);

/** Issue 15 §2 in Chromium: Activity, and links that open a message in its conversation or thread. */
describe('activity and message links in Chromium', () => {
  const env = useServerAndBrowser();

  it('B mentions A and replies in her thread: A sees both with a count, opens each in context; her other device sees them read', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Activity', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Writer' });
    const general = channel(ben.engine, 'general');
    const desktopCtx = await env.browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
    });
    const phoneCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
    const desktop = await desktopCtx.newPage();
    const phone = await phoneCtx.newPage();
    const errors = watchErrors(desktop, phone);
    await signIn(desktop, env.ts.url, amy.email, amy.password);
    await signIn(phone, env.ts.url, amy.email, amy.password);

    // Nothing yet: the view says what will show up there.
    await activityButton(phone).click();
    await phone.getByText('Nothing for you yet').waitFor();
    await shot(phone, 'activity-empty-phone');
    await desktop.locator('#pane-title').filter({ hasText: 'general' }).waitFor();
    await sendMessage(desktop, 'Who has the notes for unit 4?');
    await activityButton(desktop).click();
    await desktop.getByText('Nothing for you yet').waitFor();
    await shot(desktop, 'activity-empty-desktop');

    // Ben mentions Amy, answers in her thread, and chats on, so the mention is far up the channel.
    await eventually(() =>
      expect(ben.engine.view(general).messages.some((m) => m.text.startsWith('Who has the notes'))).toBe(
        true,
      ),
    );
    const question = ben.engine.view(general).messages.find((m) => m.text.startsWith('Who has'));
    if (!question) throw new Error('no question');
    const mention = await ben.engine.send(general, '@Amy.Activity see you at 3 in the library');
    for (let i = 1; i <= 30; i++) await ben.engine.send(general, `Chat line ${i}`);
    const reply = await ben.engine.send(general, 'I have them, will bring them', { parent: question.key });
    await ben.engine.settled();

    // Both of Amy's devices count two, with the number in words for screen readers (the phone shows the
    // list itself, over the sidebar).
    await eventually(async () => expect(await activityButton(desktop).innerText()).toMatch(/Activity\s*2/));
    await eventually(async () => expect(await phone.locator('.activity-item.unread').count()).toBe(2));
    await expect(phone.locator('.pane-head .topic').innerText()).resolves.toMatch(/^2 new/);
    expect(await activityButton(desktop).getAttribute('aria-current')).toBe('page');
    await expect(activityButton(desktop).textContent()).resolves.toContain('2 new');
    await eventually(async () => expect(await entries(phone).count()).toBe(2));
    const labels = await entries(desktop).allTextContents();
    expect(labels).toEqual([
      expect.stringMatching(/^BWNew: Ben Writer replied in a thread in #general, just now: I have them/),
      expect.stringMatching(/^BWNew: Ben Writer mentioned you in #general, just now: @Amy.Activity see you/),
    ]);
    await shot(phone, 'activity-list-phone');
    await shot(desktop, 'activity-list-desktop');
    expect(await axeSerious(desktop)).toEqual([]);

    // By keyboard: ↓ to the mention, Enter opens it in the channel, scrolled to, focused and highlighted.
    await entries(desktop).first().focus();
    await desktop.keyboard.press('ArrowDown');
    expect(await desktop.evaluate(() => document.activeElement?.textContent)).toMatch(/mentioned you/);
    await desktop.keyboard.press('Enter');
    await eventually(async () => expect(await focusedKey(desktop)).toBe(mention));
    expect(new URL(desktop.url()).hash).toBe(`#/c/${general}/m/${mention}`);
    const jumped = desktop.locator(`.msg[data-key="${mention}"]`);
    await expect(jumped.getAttribute('class')).resolves.toContain('msg-jumped');
    await expect(jumped.isVisible()).resolves.toBe(true);
    await expect(desktop.locator('.msg', { hasText: 'Chat line 30' }).isVisible()).resolves.toBe(false);
    await shot(desktop, 'message-link-desktop');
    // Opening it read the conversation: the count is gone here and on the phone (the same read mark).
    await eventually(async () => expect(await activityButton(desktop).innerText()).not.toMatch(/\d/));
    await eventually(async () => expect(await phone.locator('.activity-item.unread').count()).toBe(0));
    await expect(entries(phone).count()).resolves.toBe(2);

    // Back to the list (the browser's Back), then the reply: its thread opens, focused on it.
    await desktop.goBack();
    await entries(desktop).first().waitFor();
    await entries(desktop).first().click();
    const thread = desktop.locator('.thread-panel');
    await thread.waitFor();
    await eventually(async () => expect(await focusedKey(desktop)).toBe(reply));
    await expect(thread.locator(`[data-key="${reply}"]`).getAttribute('class')).resolves.toContain(
      'msg-jumped',
    );
    await shot(desktop, 'reply-link-desktop');
    // The skip link's `#main` is not a route: the conversation stays open.
    await desktop.getByRole('link', { name: 'Skip to conversation' }).focus();
    await desktop.keyboard.press('Enter');
    await eventually(() => expect(new URL(desktop.url()).hash).toBe('#main'));
    await expect(desktop.locator('#pane-title').innerText()).resolves.toContain('general');

    // On the phone the same entry opens the thread over the channel.
    await entries(phone).first().click();
    await phone.locator('.thread-panel').waitFor();
    await eventually(async () => expect(await focusedKey(phone)).toBe(reply));
    await shot(phone, 'reply-link-phone');
    expect(errors).toEqual([]);
    await desktopCtx.close();
    await phoneCtx.close();
  });

  it('a link to a message not on the device yet says so, and opens it when it arrives', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Waiting', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Offline' });
    const general = channel(ben.engine, 'general');
    const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    // Written on Ben's phone on a train: it has a key but has not reached the server.
    ben.engine.disconnect();
    const late = await ben.engine.send(general, 'Written offline, sent later');
    await page.goto(`${env.ts.url}/#/c/${general}/m/${late}`);
    const wait = page.getByRole('status').filter({ hasText: 'not on this device yet' });
    await wait.waitFor();
    await shot(page, 'message-link-waiting-phone');
    ben.engine.connect();
    await eventually(async () => expect(await focusedKey(page)).toBe(late));
    await expect(wait.count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
