import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 18, from a designer's walkthrough, in Chromium at phone and desktop sizes: the sidebar's and the
 * header's marks are drawn icons, not emoji (no empty boxes where a device has no emoji font); a phone's
 * conversation header holds back, the name and two buttons, the rarer actions in "More"; Alt+↑/↓ switch
 * conversations but never while typing or over a dialog; focus stays in the member list after Remove and
 * Keep. Screenshots in .test-artifacts/screenshots/header-*.png.
 */

const SIZES = [
  { name: 'phone', viewport: { width: 390, height: 844 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
] as const;

const env = useServerAndBrowser();

type Person = Awaited<ReturnType<typeof addUser>>;

async function pageFor(who: Person, viewport: { width: number; height: number }) {
  // bypassCSP only lets the test inject axe; the app's own CSP is what the server sends.
  const ctx = await env.browser.newContext({ viewport, bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, env.ts.url, who.email, who.password);
  return page;
}

const goTo = async (page: Page, id: string, title: string) => {
  await page.goto(`${env.ts.url}/#/c/${id}`);
  await page.locator('#pane-title').filter({ hasText: title }).waitFor();
};

/** The buttons a person can see in the conversation header, by their accessible names. */
const headerButtons = (page: Page) =>
  page
    .locator('.pane-head button:visible')
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent?.trim() ?? ''));

/** Characters in the emoji blocks anywhere in the sidebar's or header's own marks (not in names or statuses). */
const emojiIn = (page: Page, selector: string) =>
  page
    .locator(selector)
    .evaluateAll((els) =>
      els.map((e) => e.textContent ?? '').filter((t) => /[\u{1F000}-\u{1FAFF}\u{2600}-\u{27BF}]/u.test(t)),
    );

describe('issue 18: drawn icons, a calm phone header, keys that stay out of the way, focus after a change', () => {
  it('the sidebar and header draw their icons; a phone header has back, the name and two buttons, the rest in More', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tess Tutor', connect: false });
    const club = await tutor.engine.createChannel(
      'level3-applied-science-coursework-deadlines-and-feedback',
      'private',
    );
    const news = await env.admin.createChannel('college-news', 'announcement');
    await env.admin.api.request('POST', `/api/admin/channels/${news.id}/members`, z.unknown(), {
      userIds: [tutor.id],
    });
    const writer = tutor.engine;
    writer.connect();
    await writer.settled();
    const key = await writer.send(club.id, 'Coursework feedback is on Moodle now.');
    await writer.pin(club.id, key, true);
    await writer.settled();
    for (const size of SIZES) {
      const page = await pageFor(tutor, size.viewport);
      const errors = watchErrors(page);
      // The sidebar: a drawn # for public, a lock for private, a megaphone for announcements, a bell for
      // Activity. No emoji among them.
      const row = (name: string) => page.locator(`.sidebar .conv[data-conversation="${name}"] .glyph svg`);
      await row('college-news').waitFor();
      for (const name of ['general', club.name ?? '', 'college-news'])
        expect(await row(name).count(), name).toBe(1);
      expect(await page.locator('.sidebar .conv:not([data-conversation]) .glyph svg').count()).toBe(1);
      expect(await emojiIn(page, '.sidebar .glyph, .sidebar .search-button, .sidebar .head-more')).toEqual(
        [],
      );
      await screenshot(page, `header-sidebar-${size.name}`);

      await goTo(page, club.id, 'level3-applied-science');
      expect(await emojiIn(page, '.pane-head button, .pane-head .glyph')).toEqual([]);
      // One line for the name, however long: cut with an ellipsis, whole in its tooltip.
      const title = page.locator('#pane-title');
      if (size.name === 'phone')
        expect(await title.evaluate((h) => h.scrollWidth > h.clientWidth)).toBe(true);
      expect(
        await title.evaluate((h) => [getComputedStyle(h).textOverflow, getComputedStyle(h).whiteSpace]),
      ).toEqual(['ellipsis', 'nowrap']);
      const buttons = await headerButtons(page);
      if (size.name === 'phone') {
        // Back, members, More: the bell and the pins are in More.
        expect(buttons).toEqual([
          'Back to conversations',
          '1 member',
          'More for #level3-applied-science-coursework-deadlines-and-feedback',
        ]);
        // Each a full 44 px target.
        for (const b of await page.locator('.pane-head button:visible').all()) {
          const box = await b.boundingBox();
          expect(box && box.width >= 44 && box.height >= 44).toBe(true);
        }
      } else {
        expect(buttons).toEqual([
          'Pinned messages: 1',
          'Notifications',
          '1 member',
          'More for #level3-applied-science-coursework-deadlines-and-feedback',
        ]);
      }
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `header-channel-${size.name}`);

      // More opens with its first item focused; ↓ and ↑ move, Escape closes it back onto its button.
      const more = page.getByRole('button', { name: /^More for #level3/ });
      await more.click();
      const menu = page.getByRole('menu', { name: /^More for #level3/ });
      const items = await menu
        .getByRole('menuitem')
        .evaluateAll((els) =>
          els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.textContent),
        );
      expect(items).toEqual(
        size.name === 'phone'
          ? ['Notifications…', 'Pinned messages (1)', 'Leave channel…']
          : ['Leave channel…'],
      );
      await eventually(async () =>
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(items[0]),
      );
      if (size.name === 'phone') {
        await page.keyboard.press('ArrowDown');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(items[1]);
        await page.keyboard.press('ArrowUp');
        await page.keyboard.press('ArrowUp');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(items[2]);
      }
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `header-more-${size.name}`);
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden' });
      expect(await more.evaluate((b) => b === document.activeElement)).toBe(true);

      // From More, the pinned list opens (on a phone; a desktop has its own button).
      if (size.name === 'phone') {
        await more.click();
        await menu.getByRole('menuitem', { name: 'Pinned messages (1)' }).click();
        const pins = page.getByRole('dialog', { name: /Pinned/ });
        await pins.getByText('Coursework feedback is on Moodle now.').waitFor();
        await page.keyboard.press('Escape');
        await pins.waitFor({ state: 'hidden' });
      }

      // The announcement channel: no one leaves #announcements, but a named one can be left.
      await goTo(page, news.id, 'college-news');
      expect(await emojiIn(page, '.pane-head .glyph')).toEqual([]);
      expect(await page.locator('.pane-head .glyph svg').count()).toBe(1);
      expect(errors).toEqual([]);
      await page.context().close();
    }
    writer.disconnect();
  });

  it('Alt+↓ moves to the next conversation from the list, but not from the composer or over a dialog', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Key', connect: false });
    const page = await pageFor(amy, SIZES[1].viewport);
    const errors = watchErrors(page);
    await page.locator('#pane-title').filter({ hasText: 'general' }).waitFor();
    const order = await page
      .locator('.sidebar .conv')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.conversation ?? 'activity'));
    const after = order[order.indexOf('general') + 1];
    expect(after).toBeTruthy();

    // In the composer, Alt+↓ belongs to the text: the conversation stays.
    const box = page.getByLabel('Message', { exact: true });
    await box.fill('first line');
    await box.press('Alt+ArrowDown');
    expect(await page.locator('#pane-title').innerText()).toMatch(/general/);
    expect(await box.inputValue()).toBe('first line');

    // Over a dialog (the shortcuts help), nothing behind it changes.
    await page.locator('#pane-title').click();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    await page.keyboard.press('Alt+ArrowDown');
    expect(await page.locator('#pane-title').innerText()).toMatch(/general/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    // Anywhere else it moves, as the shortcuts help says.
    await page.locator('#pane-title').click();
    await page.keyboard.press('Alt+ArrowDown');
    await page
      .locator(`.sidebar .conv.selected[data-conversation="${after}"]`)
      .or(page.locator('.sidebar .conv.selected:not([data-conversation])'))
      .waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('after Keep and after Remove, focus stays in the member list: on the same row, then on the next one', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tom Tutor', connect: false });
    const people = await Promise.all(
      ['Ann Able', 'Bob Baker', 'Cat Cole'].map((name) =>
        addUser(env.ts, env.admin, 'student', { name, connect: false }),
      ),
    );
    const room = await tutor.engine.createChannel('maths-resit', 'private');
    await tutor.engine.api.request('POST', `/api/conversations/${room.id}/members`, z.unknown(), {
      userIds: people.map((p) => p.id),
    });
    for (const size of SIZES) {
      const page = await pageFor(tutor, size.viewport);
      const errors = watchErrors(page);
      await goTo(page, room.id, 'maths-resit');
      await page.locator('.pane-head .members').click();
      const d = page.getByRole('dialog', { name: '#maths-resit' });
      const list = d.getByRole('list', { name: 'Members' });
      await list.waitFor();
      const names = await list.locator('li .person-name').allInnerTexts();
      const victim = size.name === 'phone' ? 'Ann Able' : 'Bob Baker';
      const next = names[names.indexOf(victim) + 1] ?? names[names.indexOf(victim) - 1];

      // Remove… asks in place, focused on the confirmation; Keep puts focus back on the row's Remove.
      await d.getByRole('button', { name: `Remove ${victim}…` }).focus();
      await page.keyboard.press('Enter');
      await eventually(async () =>
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`Remove ${victim}`),
      );
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter'); // Keep
      await eventually(async () =>
        expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
          `Remove ${victim}…`,
        ),
      );

      // Remove, confirmed: the row goes and focus lands on the next person's row.
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      await d
        .getByRole('status')
        .filter({ hasText: `${victim} was removed.` })
        .waitFor();
      await eventually(async () =>
        expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
          `Remove ${next}…`,
        ),
      );
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `header-member-removed-${size.name}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
