import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, sendMessage, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 18 (messaging polish, part 2) in Chromium at phone and desktop sizes: no dead ends (leave asks
 * first, a conversation one cannot see says so with a way back), the right words (announcement empty state,
 * the create-channel name, what waits), people (profile card from a member list, the DM rules, presence in a
 * DM's header), channel details (topic and description by its moderators, Members / Pinned / Files) and the
 * `?` shortcuts help. Screenshots in .test-artifacts/screenshots/polish-*.png.
 */

const SIZES = [
  { name: 'phone', viewport: { width: 390, height: 844 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
] as const;

const env = useServerAndBrowser();

type Person = Awaited<ReturnType<typeof addUser>>;

async function pageFor(browser: Browser, who: Person, viewport: { width: number; height: number }) {
  // bypassCSP only lets the test inject axe; the app's own CSP is what the server sends.
  const ctx = await browser.newContext({ viewport, bypassCSP: true });
  const page = await ctx.newPage();
  await signIn(page, env.ts.url, who.email, who.password);
  return page;
}

const addMember = (tutor: Person, channelId: string, userId: string) =>
  tutor.engine.api.request('POST', `/api/conversations/${channelId}/members`, z.unknown(), {
    userIds: [userId],
  });

const goTo = async (page: Page, id: string, title: string) => {
  await page.goto(`${env.ts.url}/#/c/${id}`);
  await page.locator('#pane-title').filter({ hasText: title }).waitFor();
};

describe('issue 18: no dead ends, right words, people, channel details, shortcuts', () => {
  it('"Leave" asks first and warns a private channel is invite only; after it, and on a link one cannot open, a clear screen with a way back', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tia Tutor', connect: false });
    const sam = await addUser(env.ts, env.admin, 'student', { name: 'Sam Student', connect: false });
    const club = await tutor.engine.createChannel('film-club', 'private');
    for (const size of SIZES) {
      await addMember(tutor, club.id, sam.id);
      const page = await pageFor(env.browser, sam, size.viewport);
      const errors = watchErrors(page);
      await goTo(page, club.id, 'film-club');
      // Leaving is a rare action: in the header's "More" (issue 18), at both sizes.
      await page.getByRole('button', { name: 'More for #film-club' }).click();
      await page.getByRole('menuitem', { name: 'Leave channel…' }).click();
      const ask = page.getByRole('dialog', { name: 'Leave #film-club?' });
      await ask.waitFor();
      expect(await ask.getByTestId('leave-warning').innerText()).toMatch(
        /#film-club is private\. Once you leave you can’t join it again yourself/,
      );
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `polish-leave-ask-${size.name}`);
      // "Stay" changes nothing.
      await ask.getByRole('button', { name: 'Stay' }).click();
      await ask.waitFor({ state: 'hidden' });
      expect(await page.locator('#pane-title').innerText()).toMatch(/film-club/);

      await page.getByRole('button', { name: 'More for #film-club' }).click();
      await page.getByRole('menuitem', { name: 'Leave channel…' }).click();
      await page.getByRole('button', { name: 'Leave #film-club' }).click();
      const left = page.getByTestId('no-access');
      await left.getByRole('heading', { name: 'You left #film-club' }).waitFor();
      expect(await left.innerText()).toMatch(/a member can add you again/);
      await eventually(async () =>
        expect(await page.locator('.sidebar .conv[data-conversation="film-club"]').count()).toBe(0),
      );
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `polish-left-${size.name}`);
      await left.getByRole('button', { name: 'Back to channels' }).click();
      // A phone shows the list; a desktop opens #general, as at start.
      if (size.name === 'phone') await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
      else await page.locator('#pane-title').filter({ hasText: 'general' }).waitFor();

      // A link to it now (or to one that never existed) says so, never a blank pane.
      for (const id of [club.id, 'no-such-conversation']) {
        await page.goto(`${env.ts.url}/#/c/${id}`);
        await page.reload();
        const none = page.getByTestId('no-access');
        await none
          .getByRole('heading', { name: 'This conversation doesn’t exist or you don’t have access' })
          .waitFor();
        expect(await none.getByRole('button', { name: 'Back to channels' }).isVisible()).toBe(true);
      }
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `polish-no-access-${size.name}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });

  it('leaving a public channel says it can be joined again; after it, the channel can still be read and joined', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { connect: false });
    const sam = await addUser(env.ts, env.admin, 'student', { connect: false });
    const open = await tutor.engine.createChannel('chess-club', 'public');
    await addMember(tutor, open.id, sam.id);
    const page = await pageFor(env.browser, sam, SIZES[1].viewport);
    const errors = watchErrors(page);
    await goTo(page, open.id, 'chess-club');
    await page.getByRole('button', { name: 'More for #chess-club' }).click();
    await page.getByRole('menuitem', { name: 'Leave channel…' }).click();
    const ask = page.getByRole('dialog', { name: 'Leave #chess-club?' });
    expect(await ask.innerText()).toMatch(/You can join it again any time from Browse channels/);
    expect(await ask.getByTestId('leave-warning').count()).toBe(0);
    await ask.getByRole('button', { name: 'Leave #chess-club' }).click();
    const left = page.getByTestId('no-access');
    await left.getByRole('heading', { name: 'You left #chess-club' }).waitFor();
    await left.getByRole('button', { name: 'Read #chess-club' }).click();
    await page.getByRole('button', { name: 'Join #chess-club' }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a student reads "Announcements from staff will appear here"; the create form shows the name it makes and says what is wrong next to the field', async () => {
    const sam = await addUser(env.ts, env.admin, 'student', { connect: false });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { connect: false });
    const news = await env.admin.createChannel('college-news', 'announcement');
    await env.admin.api.request('POST', `/api/admin/channels/${news.id}/members`, z.unknown(), {
      userIds: [sam.id, tutor.id],
    });
    for (const size of SIZES) {
      const page = await pageFor(env.browser, sam, size.viewport);
      await goTo(page, news.id, 'college-news');
      const empty = page.locator('.messages .empty');
      expect(await empty.innerText()).toBe('Announcements from staff will appear here.');
      expect(await page.getByText('Say hello').count()).toBe(0);
      await screenshot(page, `polish-announcement-empty-${size.name}`);
      await page.context().close();

      const staff = await pageFor(env.browser, tutor, size.viewport);
      const errors = watchErrors(staff);
      await staff.getByRole('button', { name: 'Browse channels' }).click();
      const browse = staff.getByRole('dialog', { name: 'Browse channels' });
      const name = browse.getByLabel('Name', { exact: true });
      await name.pressSequentially("Year 1's Trip!");
      expect(await name.inputValue()).toBe('year-1s-trip-');
      expect(await browse.getByTestId('channel-name-preview').innerText()).toBe(
        'It will be called #year-1s-trip.',
      );
      if (size.name === 'phone') {
        await browse.getByRole('button', { name: 'Create', exact: true }).click();
        await staff.locator('#pane-title').filter({ hasText: 'year-1s-trip' }).waitFor();
      } else {
        // The phone run made it: the name is taken, and the field says so in plain words.
        await browse.getByRole('button', { name: 'Create', exact: true }).click();
        const said = browse.locator('#create-channel-name-error');
        await said.waitFor();
        expect(await said.innerText()).toBe(
          'There is already a channel called #year-1s-trip. Try another name.',
        );
        expect(await name.getAttribute('aria-invalid')).toBe('true');
        expect(await name.getAttribute('aria-describedby')).toContain('create-channel-name-error');
        expect(await axeSerious(staff)).toEqual([]);
        await browse.locator('.create-channel').scrollIntoViewIfNeeded();
        await screenshot(staff, `polish-create-channel-error-${size.name}`);
        await name.fill('');
        await browse.getByRole('button', { name: 'Create', exact: true }).click();
        expect(await said.innerText()).toMatch(/^Give the channel a name/);
      }
      expect(errors).toEqual([]);
      await staff.context().close();
    }
  });

  it('the sync line counts messages and changes apart: "1 message and 1 change waiting"', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { connect: false });
    for (const size of SIZES) {
      const page = await pageFor(env.browser, amy, size.viewport);
      await page.locator('.sidebar .conv[data-conversation="general"]').click();
      await page.locator('#pane-title').filter({ hasText: 'general' }).waitFor();
      const online = `Sent before the bus ${size.name}`;
      await sendMessage(page, online);
      const row = page.locator('.messages .msg', { hasText: online }).first();
      await row.waitFor();
      // Acknowledged ("Sent"), not only saved: the acknowledgement follows the server's fsync (P4).
      await eventually(async () =>
        expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('sent'),
      );
      await page.context().setOffline(true);
      await eventually(async () =>
        expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
      );
      await sendMessage(page, `Written on the bus ${size.name}`);
      await row.hover();
      await row.getByRole('button', { name: 'More actions' }).click();
      await page.getByRole('menuitem', { name: 'Edit message' }).click();
      const edit = page.getByLabel('Edit message', { exact: true });
      await edit.fill(`${online}, edited`);
      await edit.press('Enter');
      await eventually(async () =>
        expect(await page.getByTestId('sync-status').innerText()).toMatch(/1 message and 1 change waiting/),
      );
      // A phone shows the sync line with the list of conversations.
      if (size.name === 'phone') await page.getByRole('button', { name: 'Back to conversations' }).click();
      await screenshot(page, `polish-waiting-${size.name}`);
      await page.context().setOffline(false);
      await eventually(async () =>
        expect(await page.getByTestId('sync-status').innerText()).not.toMatch(/waiting/),
      );
      await page.context().close();
    }
  });
});
