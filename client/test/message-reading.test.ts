import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** Issue 18 §2: reading a conversation on a phone (and a desktop). */
describe('reading on a phone', () => {
  const env = useServerAndBrowser();
  const PHONE = { width: 390, height: 844 };
  const DESKTOP = { width: 1280, height: 800 };

  const msg = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text }).first();
  /** For each message text: whether it is drawn as part of the run above it (no name, no avatar). */
  const runs = async (page: Page, texts: string[]) =>
    Promise.all(
      texts.map(async (t) => {
        const m = msg(page, t);
        await m.waitFor();
        const grouped = (await m.getAttribute('class'))?.includes('msg-grouped') ?? false;
        const names = await m.locator('.author').count();
        const avatars = await m.locator(':scope > .avatar').count();
        // A grouped row has neither; a row that starts a run has both.
        expect(grouped ? names + avatars : 2 - names - avatars).toBe(0);
        return grouped;
      }),
    );

  it('one person’s messages within minutes are one run (one name and avatar, time on hover); another person, a thread reply and the new-messages line start a new one', async () => {
    const tess = await addUser(env.ts, env.admin, 'teacher', { name: 'Tess Runs' });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Between' });
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Runs', connect: false });
    const general = channel(tess.engine, 'general');
    await tess.engine.open(general);
    await ben.engine.open(general);
    for (const t of ['run one a', 'run one b', 'run one c']) await tess.engine.send(general, t);
    await tess.engine.settled();
    await ben.engine.send(general, 'ben says hi');
    await ben.engine.settled();
    const parent = await tess.engine.send(general, 'run two a');
    await tess.engine.send(general, 'a reply also in the channel', { parent, alsoChannel: true });
    await tess.engine.send(general, 'after the reply');
    await tess.engine.settled();

    const ctx = await env.browser.newContext({ viewport: DESKTOP, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    await openConversation(page, 'general');
    const texts = [
      'run one a',
      'run one b',
      'run one c',
      'ben says hi',
      'run two a',
      'a reply also in the channel',
      'after the reply',
    ];
    await eventually(async () =>
      expect(await runs(page, texts)).toEqual([false, true, true, false, false, false, false]),
    );
    // A grouped message's time shows in the avatar's column on hover (and to a screen reader in its label).
    const b = msg(page, 'run one b');
    await expect(b.getAttribute('aria-label')).resolves.toMatch(/^Tess Runs, /);
    const gutter = b.locator('.msg-gutter');
    await page.mouse.move(5, 5);
    await expect(gutter.evaluate((el) => getComputedStyle(el).visibility)).resolves.toBe('hidden');
    await b.hover();
    await expect(gutter.evaluate((el) => getComputedStyle(el).visibility)).resolves.toBe('visible');
    // The hour without a leading zero or AM/PM, to fit the gutter (issue 18 walkthrough): "2:41", "14:41".
    await expect(gutter.innerText()).resolves.toMatch(/^\d{1,2}:\d\d$/);
    await screenshot(page, 'reading-runs-desktop');
    expect(await axeSerious(page)).toEqual([]);

    // Away, two more arrive: the "New messages" line starts a run even from the same person.
    await openConversation(page, 'announcements');
    await tess.engine.send(general, 'later one');
    await tess.engine.send(general, 'later two');
    await tess.engine.settled();
    await openConversation(page, 'general');
    await expect(page.locator('.row:has(.divider-new) + .row .text').innerText()).resolves.toBe('later one');
    await eventually(async () =>
      expect(await runs(page, ['after the reply', 'later one', 'later two'])).toEqual([false, false, true]),
    );
    await page.setViewportSize(PHONE);
    await msg(page, 'later two').scrollIntoViewIfNeeded();
    await screenshot(page, 'reading-runs-phone');
    expect(await axeSerious(page)).toEqual([]);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('the new-messages bar is a slim strip above the list, never over a message, and goes once its line was seen', async () => {
    const writer = await addUser(env.ts, env.admin, 'tutor', { name: 'Wren Writer' });
    const reader = await addUser(env.ts, env.admin, 'student', { name: 'Rob Reader', connect: false });
    const general = channel(writer.engine, 'general');
    await writer.engine.open(general);
    const ctx = await env.browser.newContext({ viewport: PHONE, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, reader.email, reader.password);
    await openConversation(page, 'general');
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    // Spread over more than five minutes of nobody: each is its own row, so the list is tall.
    for (let i = 1; i <= 25; i++) await writer.engine.send(general, `news item ${i}`);
    await writer.engine.settled();
    await openConversation(page, 'general');
    const bar = page.getByRole('group', { name: 'New messages' });
    await bar.waitFor();
    await expect(bar.innerText()).resolves.toContain('25 new messages');
    const barBox = await bar.boundingBox();
    const listBox = await page.locator('.messages').boundingBox();
    // Above the list, not over it: it covers no message.
    expect((barBox?.y ?? 0) + (barBox?.height ?? 0)).toBeLessThanOrEqual((listBox?.y ?? 0) + 0.5);
    // Slim: one line of text and its buttons on a phone.
    expect(barBox?.height ?? 0).toBeLessThanOrEqual(40);
    await screenshot(page, 'reading-new-bar-phone');
    expect(await axeSerious(page)).toEqual([]);

    // The bar takes its room from the list, not from the page: the page itself never scrolls.
    const overflow = () =>
      page.evaluate(() => (document.scrollingElement?.scrollHeight ?? 0) - window.innerHeight);
    expect(await overflow()).toBeLessThanOrEqual(0);

    // Reading up to the line is seeing them: the bar goes, and does not come back at the bottom.
    await eventually(async () => {
      await page.locator('.messages').evaluate((el) => el.scrollBy(0, -200));
      expect(await page.locator('.divider-new').isVisible()).toBe(true);
    });
    await eventually(async () => expect(await bar.count()).toBe(0));
    await page.locator('.messages').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await msg(page, 'news item 25').waitFor();
    await expect(bar.count()).resolves.toBe(0);
    await expect(page.locator('.divider-new').count()).resolves.toBe(1);
    await page.setViewportSize(DESKTOP);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'reading-after-bar-desktop');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('a long channel name stays on one line in the header (whole in its title); members are one tap away on a phone', async () => {
    const name = 'level3-extended-diploma-information-technology-year-two';
    await env.admin.createChannel(name, 'public', 'Second-year group');
    const amy = await addUser(env.ts, env.admin, 'student', {
      name: 'Amy Longname',
      channels: [name],
      connect: false,
    });
    for (const [size, label] of [
      [PHONE, 'phone'],
      [DESKTOP, 'desktop'],
    ] as const) {
      const ctx = await env.browser.newContext({ viewport: size, bypassCSP: true });
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await signIn(page, env.ts.url, amy.email, amy.password);
      await openConversation(page, name);
      await page.getByLabel('Message', { exact: true }).waitFor();
      const title = page.locator('#pane-title');
      await expect(title.getAttribute('title')).resolves.toBe(`#${name}`);
      const lines = await title.evaluate((el) => ({
        cut: el.scrollWidth > el.clientWidth,
        oneLine: el.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(el).lineHeight || '24'),
      }));
      expect(lines.oneLine).toBe(true);
      if (label === 'phone') expect(lines.cut).toBe(true);
      const members = page.getByRole('button', { name: /^\d+ members?$/ });
      await expect(members.isVisible()).resolves.toBe(true);
      await screenshot(page, `reading-long-name-${label}`);
      expect(await axeSerious(page)).toEqual([]);
      await members.click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Amy Longname').first().waitFor();
      await screenshot(page, `reading-members-${label}`);
      expect(errors).toEqual([]);
      await ctx.close();
    }
  });
});
