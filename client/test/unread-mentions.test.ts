import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually, makeEngine } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  messageTexts,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** The sidebar entry of a conversation, by channel name or by the other person's name in a DM. */
const conv = (page: Page, name: string) =>
  page
    .locator(`.sidebar .conv[data-conversation="${name}"]`)
    .or(page.locator('.sidebar .conv', { hasText: name }));

const badges = async (page: Page, name: string) => {
  const c = conv(page, name);
  return {
    unread: (await c.locator('.badge-unread').allInnerTexts()).join(''),
    mentions: (await c.locator('.badge-mention').allInnerTexts()).join(''),
  };
};

/** Unread and mention counts, @mention suggestions and highlighting, and read receipts (issue 4). */
describe('unread counts, @mentions and read receipts in Chromium', () => {
  const env = useServerAndBrowser();

  it('unread and mention counts rise and clear, the title and app badge show the total, @ autocomplete by keyboard, Seen receipts', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Student', connect: false });
    const sam = await addUser(env.ts, env.admin, 'tutor', { name: 'Sam Tutor', connect: false });
    // A second person starting with "Sa", so the arrow keys have somewhere to go.
    await addUser(env.ts, env.admin, 'student', { name: 'Sasha Learner', connect: false });
    const a = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const b = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Record what the app asks of the Badging API (headless Chromium has no icon to badge).
    await b.addInitScript(() => {
      const w = window as unknown as { badges: number[] };
      w.badges = [];
      Object.defineProperty(Navigator.prototype, 'setAppBadge', {
        configurable: true,
        value: (n: number) => {
          w.badges.push(n);
          return Promise.resolve();
        },
      });
      Object.defineProperty(Navigator.prototype, 'clearAppBadge', {
        configurable: true,
        value: () => {
          w.badges.push(0);
          return Promise.resolve();
        },
      });
    });
    const pa = await a.newPage();
    const pb = await b.newPage();
    const errors = watchErrors(pa, pb);
    await signIn(pa, env.ts.url, amy.email, amy.password);
    await signIn(pb, env.ts.url, sam.email, sam.password);
    await openConversation(pa, 'general');
    await openConversation(pb, 'general');
    // Sam reads #announcements while Amy writes in #general.
    await openConversation(pb, 'announcements');
    await eventually(async () => expect(await pb.title()).toBe('Commonroom'));

    await sendMessage(pa, 'First for Sam');
    await sendMessage(pa, 'Hello @Sam.Tutor, can you check my work?');
    await eventually(async () => {
      expect(await badges(pb, 'general')).toEqual({ unread: '2', mentions: '@1' });
      expect(await pb.title()).toBe('(2) Commonroom');
    });
    // In plain words for screen readers, in the conversation's name.
    await expect(conv(pb, 'general').innerText()).resolves.toContain('2 unread, 1 mention');
    await expect(pb.evaluate(() => (window as unknown as { badges: number[] }).badges.at(-1))).resolves.toBe(
      2,
    );
    await screenshot(pb, 'unread-sidebar');

    // Opening the conversation reads it: the counts clear, and the line shows where Sam left off.
    await openConversation(pb, 'general');
    await eventually(async () => {
      expect(await badges(pb, 'general')).toEqual({ unread: '', mentions: '' });
      expect(await pb.title()).toBe('Commonroom');
    });
    await expect(pb.evaluate(() => (window as unknown as { badges: number[] }).badges.at(-1))).resolves.toBe(
      0,
    );
    const afterDivider = pb.locator('.row:has(.divider-new) + .row .text');
    await expect(afterDivider.innerText()).resolves.toBe('First for Sam');
    // The mention of Sam is highlighted for Sam, more strongly than a mention of someone else.
    await expect(pb.locator('.mention.mention-me').first().innerText()).resolves.toBe('@Sam.Tutor');
    await expect(pa.locator('.text .mention').last().innerText()).resolves.toBe('@Sam.Tutor');
    await expect(pa.locator('.text .mention-me').count()).resolves.toBe(0);

    // A message arriving while Sam reads does not move the line, or add another.
    await sendMessage(pa, 'One more thing');
    await eventually(async () => expect(await messageTexts(pb)).toContain('One more thing'));
    await expect(pb.locator('.divider-new').count()).resolves.toBe(1);
    await expect(afterDivider.innerText()).resolves.toBe('First for Sam');
    await expect(pb.title()).resolves.toBe('Commonroom');

    // @ autocomplete, by keyboard only: members first, arrows move, Enter picks, Escape closes.
    const box = pa.getByLabel('Message', { exact: true });
    await box.pressSequentially('Thanks @Sa');
    const list = pa.getByRole('listbox', { name: 'People to mention' });
    await list.waitFor();
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('true');
    await expect(list.getByRole('option').allInnerTexts()).resolves.toEqual([
      expect.stringContaining('Sam Tutor'),
      expect.stringContaining('Sasha Learner'),
    ]);
    const active = async () => {
      const id = await box.getAttribute('aria-activedescendant');
      return pa.locator(`[id="${id ?? ''}"]`).innerText();
    };
    await expect(active()).resolves.toContain('Sam Tutor');
    await box.press('ArrowDown');
    await expect(active()).resolves.toContain('Sasha Learner');
    await expect(list.getByRole('option', { selected: true }).innerText()).resolves.toContain('Sasha');
    await box.press('ArrowUp');
    await expect(active()).resolves.toContain('Sam Tutor');
    await screenshot(pa, 'mention-suggestions');
    await box.press('Enter');
    await expect(box.inputValue()).resolves.toBe('Thanks @Sam.Tutor ');
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
    await box.pressSequentially('and @');
    await list.waitFor();
    await box.press('Escape');
    await expect(list.count()).resolves.toBe(0);
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('false');
    // A student is not offered @channel or @here.
    await box.fill('@');
    await list.waitFor();
    await expect(list.getByRole('option', { name: /@channel|@here/ }).count()).resolves.toBe(0);
    // Typed anyway, it is not sent: the student is told why, and keeps the text to fix.
    await box.fill('@channel the bus is late');
    await box.press('Escape');
    await box.press('Enter');
    await pa.getByText(/Only tutors, teachers, staff and admins can notify everyone/).waitFor();
    await expect(box.inputValue()).resolves.toBe('@channel the bus is late');
    expect(await messageTexts(pa)).not.toContain('@channel the bus is late');
    await box.fill('Thanks @Sam.Tutor and everyone');
    await box.press('Enter');
    await eventually(async () => expect(await messageTexts(pb)).toContain('Thanks @Sam.Tutor and everyone'));

    // A small channel: who has seen my latest message, by name on hover, for screen readers, and on a tap.
    await eventually(async () => {
      const receipt = pa.getByTestId('read-receipt');
      const toggle = receipt.getByRole('button');
      expect(await toggle.innerText()).toMatch(/^Seen by 1\b/);
      expect(await toggle.getAttribute('title')).toBe('Sam Tutor');
      expect(await toggle.textContent()).toContain('Sam Tutor');
    });
    await pa.getByTestId('read-receipt').getByRole('button').click();
    await expect(pa.getByTestId('read-receipt').getByRole('listitem').innerText()).resolves.toContain(
      'Sam Tutor',
    );

    // A DM: "Seen" appears for Amy once Sam has opened it, and not before.
    await pa.getByRole('button', { name: '+ New message' }).click();
    await pa.getByRole('dialog').getByLabel('To').fill('Sam');
    await pa.getByRole('dialog').getByRole('button', { name: 'Message' }).first().click();
    await pa.locator('#pane-title').filter({ hasText: 'Sam Tutor' }).waitFor();
    await sendMessage(pa, 'Are you there?');
    await eventually(async () => expect(await pa.locator('[data-status="sent"]').count()).toBe(1));
    await eventually(async () => {
      expect(await badges(pb, 'Amy Student')).toEqual({ unread: '1', mentions: '' });
      expect(await pb.title()).toBe('(1) Commonroom');
    });
    await expect(pa.getByTestId('read-receipt').count()).resolves.toBe(0);
    await conv(pb, 'Amy Student').click();
    await eventually(async () => expect(await messageTexts(pb)).toContain('Are you there?'));
    await eventually(async () =>
      expect(await pa.getByTestId('read-receipt').innerText()).toMatch(/^Seen \S/),
    );
    await expect(pa.getByTestId('read-receipt').locator('time').count()).resolves.toBe(1);
    await eventually(async () => expect(await pb.title()).toBe('Commonroom'));
    await screenshot(pa, 'dm-seen');
    expect(errors).toEqual([]);
    await a.close();
    await b.close();
  });

  it('staff are offered @channel and @here; a mention by autocomplete notifies and is highlighted', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tia Teacher', connect: false });
    const learner = await addUser(env.ts, env.admin, 'student', { name: 'Lee Learner', connect: false });
    // bypassCSP only lets the test inject axe.
    const t = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const l = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const pt = await t.newPage();
    const pl = await l.newPage();
    const errors = watchErrors(pt, pl);
    await signIn(pt, env.ts.url, tutor.email, tutor.password);
    await signIn(pl, env.ts.url, learner.email, learner.password);
    await openConversation(pt, 'general');
    await openConversation(pl, 'general');
    await openConversation(pl, 'announcements');
    await eventually(async () => expect(await pl.title()).toBe('Commonroom'));

    const box = pt.getByLabel('Message', { exact: true });
    await box.pressSequentially('@');
    const list = pt.getByRole('listbox', { name: 'People to mention' });
    await list.waitFor();
    await expect(list.getByRole('option', { name: /@channel/ }).count()).resolves.toBe(1);
    await expect(list.getByRole('option', { name: /@here/ }).count()).resolves.toBe(1);
    await expect(axeSerious(pt)).resolves.toEqual([]);
    await box.pressSequentially('Lee');
    await expect(list.getByRole('option').allInnerTexts()).resolves.toEqual([
      expect.stringContaining('Lee Learner'),
    ]);
    await box.press('Tab');
    await box.pressSequentially('please read the notes');
    await box.press('Enter');
    await eventually(async () =>
      expect(await badges(pl, 'general')).toEqual({ unread: '1', mentions: '@1' }),
    );
    await expect(axeSerious(pl)).resolves.toEqual([]);
    await openConversation(pl, 'general');
    await expect(pl.locator('.mention.mention-me').last().innerText()).resolves.toBe('@Lee.Learner');
    await eventually(async () => expect(await badges(pl, 'general')).toEqual({ unread: '', mentions: '' }));
    expect(errors).toEqual([]);
    await t.close();
    await l.close();
  });

  it('many new messages: the line stays where the reader left off, "Jump to new" goes there, "Mark as read" clears it, "Mark unread" moves it', async () => {
    const writer = await addUser(env.ts, env.admin, 'tutor', { name: 'Busy Writer' });
    const reader = await addUser(env.ts, env.admin, 'student', { name: 'Rita Reader', connect: false });
    const general = channel(writer.engine, 'general');
    await writer.engine.open(general);
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, reader.email, reader.password);
    await openConversation(page, 'general');
    await openConversation(page, 'announcements');
    await eventually(async () => expect(await page.title()).toBe('Commonroom'));

    for (let i = 1; i <= 30; i++) await writer.engine.send(general, `update ${i}`);
    await eventually(async () => expect(await page.title()).toBe('(30) Commonroom'));
    await openConversation(page, 'general');
    // The list opens at the newest message; the bar says how many are new and offers the way back.
    const bar = page.getByRole('group', { name: 'New messages' });
    await bar.waitFor();
    await expect(bar.innerText()).resolves.toContain('30 new messages');
    await eventually(async () => expect(await page.title()).toBe('Commonroom'));
    await screenshot(page, 'new-messages-bar');
    await page.setViewportSize({ width: 390, height: 844 });
    await bar.waitFor();
    await screenshot(page, 'new-messages-bar-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await bar.getByRole('button', { name: 'Jump to new' }).click();
    await page.locator('.divider-new').waitFor();
    await expect(page.locator('.row:has(.divider-new) + .row .text').innerText()).resolves.toBe('update 1');
    await eventually(async () =>
      expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain('update 1'),
    );
    await expect(bar.count()).resolves.toBe(0);

    // Back at the bottom the bar does not return: the line was seen (issue 18); the line itself stays.
    await page.locator('.messages').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator('.messages .msg', { hasText: 'update 30' }).waitFor();
    await expect(bar.count()).resolves.toBe(0);

    // More arrive while away (from another writer: the first one's sending allowance is spent): "Mark as
    // read" on the new bar puts the line away for good.
    const second = await addUser(env.ts, env.admin, 'tutor', { name: 'Second Writer' });
    await second.engine.open(general);
    await openConversation(page, 'announcements');
    for (let i = 31; i <= 60; i++) await second.engine.send(general, `update ${i}`);
    await eventually(async () => expect(await page.title()).toBe('(30) Commonroom'));
    await openConversation(page, 'general');
    await bar.waitFor();
    await bar.getByRole('button', { name: 'Mark as read' }).click();
    await expect(bar.count()).resolves.toBe(0);
    await expect(page.locator('.divider-new').count()).resolves.toBe(0);

    // "Mark unread" from a message: the line moves there and the counts come back until it is reopened.
    const m = page.locator('.messages .msg', { hasText: 'update 58' }).first();
    await m.hover();
    await m.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Mark unread' }).click();
    await eventually(async () => {
      expect(await page.locator('.row:has(.divider-new) + .row .text').innerText()).toBe('update 58');
      expect(await badges(page, 'general')).toEqual({ unread: '3', mentions: '' });
      expect(await page.title()).toBe('(3) Commonroom');
    });

    // The same person marks unread on their phone while this desktop shows the conversation: the desktop
    // does not undo it by marking it read again; a new message does (it is being read as it arrives).
    await openConversation(page, 'announcements');
    await openConversation(page, 'general');
    await eventually(async () => expect(await page.title()).toBe('Commonroom'));
    const phone = makeEngine(env.ts.url);
    await phone.init();
    await phone.login(reader.email, reader.password);
    phone.connect();
    await phone.open(general);
    await phone.settled();
    const key = phone.view(general).messages.find((x) => x.text === 'update 51')?.key ?? '';
    await phone.markUnread(general, key);
    await phone.settled();
    await eventually(async () => expect(await page.title()).toBe('(10) Commonroom'));
    // Long enough for the desktop's mark read to have gone out and come back, had it sent one.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await page.title()).toBe('(10) Commonroom');
    expect(phone.view(general).unread).toBe(10);
    await writer.engine.send(general, 'update 61');
    await eventually(async () => expect(await page.title()).toBe('Commonroom'));
    await eventually(() => expect(phone.view(general).unread).toBe(0));
    phone.disconnect();
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
