import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, sendMessage, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 18 in Chromium at phone and desktop sizes: a name in a member list opens the person's profile card
 * (a sheet on a phone), whose "Message" honours the workspace's rule on who may message whom; a DM's header
 * shows the other person's presence; a channel's details show topic and description (its moderator edits
 * them, a student cannot) and Members / Pinned / Files tabs; `?` opens the shortcuts help, but not while
 * typing. Screenshots in .test-artifacts/screenshots/polish-*.png.
 */

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const env = useServerAndBrowser();

type Person = Awaited<ReturnType<typeof addUser>>;

async function pageFor(browser: Browser, who: Person, viewport: { width: number; height: number }) {
  // bypassCSP only lets the test inject axe; the app's own CSP is what the server sends.
  const ctx = await browser.newContext({ viewport, bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, env.ts.url, who.email, who.password);
  return page;
}

const goTo = async (page: Page, id: string, title: string) => {
  await page.goto(`${env.ts.url}/#/c/${id}`);
  await page.locator('#pane-title').filter({ hasText: title }).waitFor();
};

/** The details dialog; the header's members button is a desktop control (a phone reaches it another way). */
const openDetails = async (page: Page, name: string) => {
  await page.locator('.pane-head .members').click();
  const d = page.getByRole('dialog', { name });
  await d.getByTestId('channel-details').waitFor();
  return d;
};

describe('issue 18: people and channel details', () => {
  it('a moderator edits topic and description; a student sees them and cannot; Members with roles / Pinned / Files tabs', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tia Tutor' });
    const sam = await addUser(env.ts, env.admin, 'student', { name: 'Sam Student', connect: false });
    const c = await tutor.engine.createChannel('chemistry-l3', 'public', 'Chemistry, level 3');
    await tutor.engine.api.request('POST', `/api/conversations/${c.id}/members`, z.unknown(), {
      userIds: [sam.id],
    });
    await tutor.engine.open(c.id);
    await tutor.engine.send(c.id, 'Lab coats on Thursday');
    await eventually(() => expect(tutor.engine.view(c.id).messages.at(-1)?.status).toBe('sent'));
    const key = tutor.engine.view(c.id).messages.at(-1)?.key ?? '';
    await tutor.engine.pin(c.id, key, true);

    const t = await pageFor(env.browser, tutor, DESKTOP);
    const errors = watchErrors(t);
    await goTo(t, c.id, 'chemistry-l3');
    const d = await openDetails(t, '#chemistry-l3');
    await d.getByRole('button', { name: 'Edit topic and description' }).click();
    await d.getByLabel('Topic (shown under the name)').fill('Titration practical this week');
    await d.getByLabel('Description').fill('Chemistry, level 3: lessons, labs and revision.');
    expect(await axeSerious(t)).toEqual([]);
    await screenshot(t, 'polish-details-edit-desktop');
    await d.getByRole('button', { name: 'Save' }).click();
    await d.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await t.locator('.pane-head .topic').filter({ hasText: 'Titration practical this week' }).waitFor();
    expect(env.ts.server.internals.audit.list(1, 'channel.updated')[0]?.detail).toMatchObject({
      topic: 'Titration practical this week',
      description: 'Chemistry, level 3: lessons, labs and revision.',
    });

    // Members with their roles; arrows move between tabs (one tab stop).
    const members = d.getByRole('tabpanel');
    await members.getByRole('button', { name: 'Sam Student: view profile' }).waitFor();
    expect(await members.innerText()).toMatch(/Sam Student\s+Student/);
    await d.getByRole('tab', { name: /Members/ }).focus();
    await t.keyboard.press('ArrowRight');
    expect(await d.getByRole('tab', { name: 'Pinned (1)' }).getAttribute('aria-selected')).toBe('true');
    expect(await d.getByRole('tabpanel').innerText()).toMatch(/Lab coats on Thursday/);
    await screenshot(t, 'polish-details-pinned-desktop');
    await t.keyboard.press('ArrowRight');
    expect(await d.getByRole('tabpanel').innerText()).toMatch(/No files shared here yet/);
    expect(await axeSerious(t)).toEqual([]);
    // Jump from the Pinned tab: the details close and the message is focused in the list.
    await d.getByRole('tab', { name: 'Pinned (1)' }).click();
    await d.getByRole('button', { name: 'Jump to message' }).click();
    await d.waitFor({ state: 'hidden' });

    // The student reads the details, with no way to change them; the server refuses them anyway (T4).
    const s = await pageFor(env.browser, sam, DESKTOP);
    await goTo(s, c.id, 'chemistry-l3');
    const sd = await openDetails(s, '#chemistry-l3');
    expect(await sd.innerText()).toMatch(/Titration practical this week/);
    expect(await sd.getByRole('button', { name: 'Edit topic and description' }).count()).toBe(0);
    await s.setViewportSize(PHONE);
    await screenshot(s, 'polish-details-phone');
    expect(await axeSerious(s)).toEqual([]);
    await expect(
      sam.engine.api.request('PATCH', `/api/conversations/${c.id}`, z.unknown(), { description: 'mine' }),
    ).rejects.toMatchObject({ status: 403 });
    expect(errors).toEqual([]);
    await t.context().close();
    await s.context().close();
  });

  it('a name in the members opens the profile card (a sheet on a phone); "Message" follows who may message whom; a DM header shows presence', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tom Tutor' });
    const ann = await addUser(env.ts, env.admin, 'student', { name: 'Ann Able', connect: false });
    const bob = await addUser(env.ts, env.admin, 'student', { name: 'Bob Baker', connect: false });
    const c = await tutor.engine.createChannel('maths-gcse', 'public');
    await tutor.engine.api.request('POST', `/api/conversations/${c.id}/members`, z.unknown(), {
      userIds: [ann.id, bob.id],
    });
    await env.admin.api.request('PATCH', '/api/admin/settings', z.unknown(), {
      studentDmPolicy: 'staff_only',
    });
    try {
      const a = await pageFor(env.browser, ann, DESKTOP);
      const errors = watchErrors(a);
      await goTo(a, c.id, 'maths-gcse');
      const d = await openDetails(a, '#maths-gcse');
      // The app has read the workspace's rule (GET /api/workspace, at start): the card knows it.
      await eventually(async () =>
        expect(await a.evaluate(() => localStorage.getItem('commonroom:student-dm-policy'))).toBe(
          'staff_only',
        ),
      );
      await d.getByRole('button', { name: 'Bob Baker: view profile' }).click();
      // The card is named after the person, not a generic "Profile".
      const card = a.getByRole('dialog', { name: 'Bob Baker' });
      await card.getByTestId('profile-card').waitFor();
      expect(await card.innerText()).toMatch(/Bob Baker[\s\S]*Student/);
      // The rule refuses a DM between two students: no "Message" to press, and the reason in plain words.
      expect(await card.getByTestId('dm-refused').innerText()).toBe(
        'Students can only send direct messages to staff at this college.',
      );
      expect(await card.getByRole('button', { name: 'Message' }).count()).toBe(0);
      expect(await axeSerious(a)).toEqual([]);
      await screenshot(a, 'polish-profile-refused-desktop');
      await card.getByRole('button', { name: 'Close' }).click();

      // A member of staff may be messaged: the DM opens, its header shows Tom's presence with a dot.
      await d.getByRole('button', { name: 'Tom Tutor: view profile' }).click();
      await a.getByRole('dialog', { name: 'Tom Tutor' }).getByRole('button', { name: 'Message' }).click();
      await a.locator('#pane-title').filter({ hasText: 'Tom Tutor' }).waitFor();
      const presence = a.getByTestId('dm-presence');
      await presence.filter({ hasText: 'Active' }).waitFor();
      expect(await presence.locator('.presence-online').count()).toBe(1);
      await sendMessage(a, 'Is the mock on Monday?');
      await screenshot(a, 'polish-dm-presence-desktop');
      expect(errors).toEqual([]);

      // On a desktop the card is a popover beside the name clicked.
      const author = a.locator('.messages .msg .author', { hasText: 'Ann Able' }).first();
      await author.click();
      const pop = a.getByRole('dialog', { name: 'Ann Able' });
      await pop.getByTestId('profile-card').waitFor();
      const [from, at] = await Promise.all([author.boundingBox(), pop.boundingBox()]);
      expect(at && from && Math.round(at.y - (from.y + from.height))).toBe(6);
      expect(at && from && Math.round(at.x - from.x)).toBe(0);
      await screenshot(a, 'polish-profile-popover-desktop');
      await a.keyboard.press('Escape');
      await pop.waitFor({ state: 'hidden' });

      // On a phone the card is a sheet along the bottom edge, from a name in the messages.
      await a.setViewportSize(PHONE);
      await a.locator('.messages .msg .author', { hasText: 'Ann Able' }).first().click();
      const sheet = a.getByRole('dialog', { name: 'Ann Able' });
      await sheet.getByTestId('profile-card').waitFor();
      const box = await sheet.boundingBox();
      expect(box && Math.round(box.y + box.height)).toBe(PHONE.height);
      expect(box && Math.round(box.width)).toBe(PHONE.width);
      expect(await axeSerious(a)).toEqual([]);
      await screenshot(a, 'polish-profile-sheet-phone');
      await a.context().close();
    } finally {
      await env.admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { studentDmPolicy: 'anyone' });
    }
  });

  it('? opens the keyboard shortcuts (listing the real ones), Esc closes it; a ? typed in the composer is just a ?', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { connect: false });
    for (const [size, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const page = await pageFor(env.browser, amy, viewport);
      const errors = watchErrors(page);
      await page.locator('.sidebar .conv[data-conversation="general"]').click();
      await page.locator('#pane-title').filter({ hasText: 'general' }).waitFor();
      await page.locator('#pane-title').click();
      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      const text = await help.innerText();
      for (const line of ['Search messages', 'Previous or next conversation', 'New line', 'Send'])
        expect(text).toContain(line);
      expect(text).toMatch(/Ctrl\s*\+\s*K|⌘\s*\+\s*K/);
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `polish-shortcuts-${size}`);
      await page.keyboard.press('Escape');
      await help.waitFor({ state: 'hidden' });

      const box = page.getByLabel('Message', { exact: true });
      await box.click();
      await page.keyboard.type('Is it today?');
      expect(await box.inputValue()).toBe('Is it today?');
      expect(await help.count()).toBe(0);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
