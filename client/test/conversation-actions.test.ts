import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import {
  launchProfile,
  messageTexts,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** A message in the channel list, found by its text. */
const msg = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text }).first();

/** Opens the "More actions" menu of a message and picks an item. */
async function moreAction(page: Page, text: string, item: string): Promise<void> {
  const m = msg(page, text);
  await m.hover();
  await m.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

async function react(page: Page, text: string, emojiName: string): Promise<void> {
  const m = msg(page, text);
  await m.hover();
  await m.getByRole('button', { name: 'Add reaction' }).click();
  await page
    .getByRole('dialog', { name: 'Choose an emoji' })
    .getByRole('button', { name: emojiName })
    .click();
}

const chips = (page: Page, text: string): Promise<string[]> =>
  msg(page, text).locator('.reactions .chip').allInnerTexts();

/** Threads, edits, deletes, reactions and pins between two people in real Chromium (issue 4). */
describe('conversation features in the PWA', () => {
  const env = useServerAndBrowser();

  const twoPeople = async (roleB: 'student' | 'tutor' = 'student') => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Student', connect: false });
    const ben = await addUser(env.ts, env.admin, roleB, {
      name: `Ben ${roleB === 'tutor' ? 'Tutor' : 'Student'}`,
      connect: false,
    });
    const a = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const b = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const pa = await a.newPage();
    const pb = await b.newPage();
    await signIn(pa, env.ts.url, amy.email, amy.password);
    await signIn(pb, env.ts.url, ben.email, ben.password);
    // A script error anywhere fails the test, even when the page still looks right.
    const errors = watchErrors(pa, pb);
    await openConversation(pa, 'general');
    await openConversation(pb, 'general');
    return {
      pa,
      pb,
      ben,
      close: async () => {
        expect(errors).toEqual([]);
        await Promise.all([a.close(), b.close()]);
      },
    };
  };

  it('a reply in a thread updates the count on the other side; "also send to channel" shows it in the channel', async () => {
    const { pa, pb, close } = await twoPeople();
    await sendMessage(pa, 'Who has the notes for unit 4?');
    await eventually(async () => expect(await messageTexts(pb)).toContain('Who has the notes for unit 4?'));

    const parent = msg(pb, 'Who has the notes for unit 4?');
    await parent.hover();
    await parent.getByRole('button', { name: 'Reply in thread' }).click();
    const thread = pb.locator('.thread-panel');
    await thread.getByRole('heading', { name: 'Thread' }).waitFor();
    await thread.getByLabel('Reply', { exact: true }).fill('I do, sending them now');
    await thread.getByLabel('Reply', { exact: true }).press('Enter');
    await eventually(async () =>
      expect(await thread.locator('.thread-replies .text').allInnerTexts()).toEqual([
        'I do, sending them now',
      ]),
    );
    // Amy sees the thread summary on her message, live, and the reply in the thread.
    await eventually(async () =>
      expect(await msg(pa, 'Who has the notes for unit 4?').locator('.replies').innerText()).toMatch(
        /1 reply/,
      ),
    );
    expect(await messageTexts(pa)).not.toContain('I do, sending them now');
    await msg(pa, 'Who has the notes for unit 4?').locator('.replies').click();
    await eventually(async () =>
      expect(await pa.locator('.thread-panel .thread-replies .text').allInnerTexts()).toEqual([
        'I do, sending them now',
      ]),
    );

    // A reply also sent to the channel appears in both places.
    await thread.getByLabel('Also send to channel').check();
    await thread.getByLabel('Reply', { exact: true }).fill('Everyone: notes are on the drive');
    await thread.getByLabel('Reply', { exact: true }).press('Enter');
    await eventually(async () =>
      expect(await messageTexts(pa)).toContain('Everyone: notes are on the drive'),
    );
    await eventually(async () =>
      expect(await msg(pa, 'Who has the notes for unit 4?').locator('.replies').innerText()).toMatch(
        /2 replies/,
      ),
    );
    await screenshot(pa, 'thread-desktop');
    await pa.setViewportSize({ width: 390, height: 844 });
    await screenshot(pa, 'thread-phone');
    await close();
  });

  it('edit and delete: the other person sees both live; reactions toggle for both people; a refused edit can be dismissed', async () => {
    const { pa, pb, ben, close } = await twoPeople('tutor');
    await sendMessage(pa, 'The deadline is Thursday');
    await sendMessage(pa, 'Oops, wrong channel');
    await eventually(async () => expect(await messageTexts(pb)).toContain('Oops, wrong channel'));

    await moreAction(pa, 'The deadline is Thursday', 'Edit message');
    const edit = pa.getByLabel('Edit message', { exact: true });
    await edit.fill('The deadline is Friday');
    await edit.press('Enter');
    await eventually(async () => expect(await messageTexts(pb)).toContain('The deadline is Friday'));
    await expect(msg(pb, 'The deadline is Friday').locator('.edited').innerText()).resolves.toBe('(edited)');

    await moreAction(pa, 'Oops, wrong channel', 'Delete message');
    await pa.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
    await eventually(async () => expect(await messageTexts(pb)).not.toContain('Oops, wrong channel'));
    expect(await messageTexts(pa)).not.toContain('Oops, wrong channel');

    // Reactions: Amy adds 👍, Ben adds his by the chip, Amy takes hers back.
    await react(pa, 'The deadline is Friday', 'thumbs up');
    await eventually(async () => expect(await chips(pb, 'The deadline is Friday')).toEqual(['👍 1']));
    await msg(pb, 'The deadline is Friday').locator('.reactions .chip').click();
    await eventually(async () => expect(await chips(pa, 'The deadline is Friday')).toEqual(['👍 2']));
    await expect(
      msg(pa, 'The deadline is Friday').locator('.reactions .chip').getAttribute('aria-label'),
    ).resolves.toMatch(/you, Ben Tutor|Ben Tutor, you/);
    // Who reacted, without hover: a right click (a long press on a phone) lists them under the chips.
    await msg(pa, 'The deadline is Friday').locator('.reactions .chip').click({ button: 'right' });
    await expect(msg(pa, 'The deadline is Friday').locator('.reacted-by').innerText()).resolves.toMatch(
      /Ben Tutor/,
    );
    await msg(pa, 'The deadline is Friday').locator('.reactions .chip').click();
    await eventually(async () => expect(await chips(pb, 'The deadline is Friday')).toEqual(['👍 1']));
    await expect(
      msg(pb, 'The deadline is Friday').locator('.reactions .chip').getAttribute('aria-pressed'),
    ).resolves.toBe('true');

    // A student's edit adding @channel is not sent: the box says why, and Save waits for it to go.
    await moreAction(pa, 'The deadline is Friday', 'Edit message');
    await edit.fill('@channel The deadline is Friday');
    await edit.press('Enter');
    await msg(pa, 'The deadline is Friday')
      .getByText(/Only tutors, teachers, staff and admins can notify everyone/)
      .waitFor();
    await expect(
      msg(pa, 'The deadline is Friday').getByRole('button', { name: 'Save' }).isDisabled(),
    ).resolves.toBe(true);
    await edit.press('Escape');
    expect(await pa.getByTestId('sync-status').innerText()).not.toMatch(/waiting/);

    // A tutor's @channel edit made offline, then the tutor made a student before it arrives: the server
    // refuses it; the message says so and keeps its text; Dismiss clears it, and it can be edited again.
    await sendMessage(pb, 'Reading list is on the drive');
    await eventually(async () => expect(await messageTexts(pa)).toContain('Reading list is on the drive'));
    await pb.context().setOffline(true);
    await eventually(async () => expect(await pb.getByTestId('sync-status').innerText()).toMatch(/Offline/));
    await moreAction(pb, 'Reading list is on the drive', 'Edit message');
    const benEdit = pb.getByLabel('Edit message', { exact: true });
    await benEdit.fill('@channel Reading list is on the drive');
    await benEdit.press('Enter');
    await eventually(async () =>
      expect(await pb.getByTestId('sync-status').innerText()).toMatch(/1 change waiting/),
    );
    await env.admin.api.request('PATCH', `/api/admin/users/${ben.id}/role`, z.unknown(), {
      role: 'student',
    });
    await pb.context().setOffline(false);
    const refused = msg(pb, 'Reading list is on the drive').locator('[data-status="rejected"]');
    await eventually(async () => expect(await refused.innerText()).toMatch(/Your change was not accepted/));
    expect(await messageTexts(pa)).not.toContain('@channel Reading list is on the drive');
    await refused.getByRole('button', { name: 'Dismiss' }).click();
    await eventually(async () => expect(await refused.count()).toBe(0));
    expect(await pb.getByTestId('sync-status').innerText()).not.toMatch(/not sent/);
    await moreAction(pb, 'Reading list is on the drive', 'Edit message');
    await benEdit.fill('Reading list is on the drive, week 3');
    await benEdit.press('Enter');
    await eventually(async () =>
      expect(await messageTexts(pa)).toContain('Reading list is on the drive, week 3'),
    );
    await close();
  });

  it('a tutor pins a message; the student sees it marked and in the pinned list, and can jump to it', async () => {
    const { pa, pb, close } = await twoPeople('tutor');
    await sendMessage(pb, 'Exam timetable: room 12, 9am');
    await eventually(async () => expect(await messageTexts(pa)).toContain('Exam timetable: room 12, 9am'));
    // A student has no pin action in a channel.
    const m = msg(pa, 'Exam timetable: room 12, 9am');
    await m.hover();
    await m.getByRole('button', { name: 'More actions' }).click();
    await expect(pa.getByRole('menuitem', { name: 'Pin to conversation' }).count()).resolves.toBe(0);
    await pa.keyboard.press('Escape');

    await moreAction(pb, 'Exam timetable: room 12, 9am', 'Pin to conversation');
    await eventually(async () =>
      expect(await msg(pa, 'Exam timetable: room 12, 9am').locator('.pinned').count()).toBe(1),
    );
    await pa.getByRole('button', { name: 'Pinned messages: 1' }).click();
    const list = pa.getByRole('dialog', { name: /Pinned in #general/ });
    await list.getByText('Exam timetable: room 12, 9am').waitFor();
    await list.getByRole('button', { name: 'Jump to message' }).click();
    await eventually(async () =>
      expect(await pa.evaluate(() => document.activeElement?.textContent ?? '')).toContain(
        'Exam timetable: room 12, 9am',
      ),
    );

    // A pinned reply in a thread: jumping to it opens the thread with that reply focused.
    const parent = msg(pb, 'Exam timetable: room 12, 9am');
    await parent.hover();
    await parent.getByRole('button', { name: 'Reply in thread' }).click();
    const thread = pb.locator('.thread-panel');
    for (const text of ['Bring a calculator', 'Bring two pens', 'Arrive ten minutes early']) {
      await thread.getByLabel('Reply', { exact: true }).fill(text);
      await thread.getByLabel('Reply', { exact: true }).press('Enter');
      await thread.locator('.thread-replies .msg', { hasText: text }).waitFor();
    }
    const reply = thread.locator('.thread-replies .msg', { hasText: 'Bring two pens' });
    await reply.hover();
    await reply.getByRole('button', { name: 'More actions' }).click();
    await pb.getByRole('menuitem', { name: 'Pin to conversation' }).click();
    await pa.getByRole('button', { name: 'Pinned messages: 2' }).click();
    const list2 = pa.getByRole('dialog', { name: /Pinned in #general/ });
    await list2
      .getByRole('listitem')
      .filter({ hasText: 'Bring two pens' })
      .getByRole('button', { name: 'Jump to message' })
      .click();
    await pa.locator('.thread-panel').getByRole('heading', { name: 'Thread' }).waitFor();
    await eventually(async () =>
      expect(
        await pa.evaluate(() => {
          const el = document.activeElement;
          return el?.closest('.thread-panel')
            ? (el.querySelector('.text')?.textContent ?? '')
            : 'not in thread';
        }),
      ).toBe('Bring two pens'),
    );
    await close();
  });

  it('a half-written message stays with its conversation, across switching and a reload, and goes at sign-out', async () => {
    const { pa, close } = await twoPeople();
    const box = pa.getByLabel('Message', { exact: true });
    await box.fill('Draft for general, not sent');
    await openConversation(pa, 'it-support');
    await expect(box.inputValue()).resolves.toBe('');
    await openConversation(pa, 'general');
    await expect(box.inputValue()).resolves.toBe('Draft for general, not sent');
    await pa.reload();
    await openConversation(pa, 'general');
    await expect(box.inputValue()).resolves.toBe('Draft for general, not sent');
    await pa.getByRole('button', { name: 'Sign out', exact: true }).click();
    await pa.getByLabel('Email or username').waitFor();
    expect(await pa.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('draft')))).toEqual([]);
    await close();
  });

  it('offline: an edit and a reaction survive a reload, and reach the other person once back online', async () => {
    const olive = await addUser(env.ts, env.admin, 'student', { name: 'Offline Olive', connect: false });
    const will = await addUser(env.ts, env.admin, 'tutor', { name: 'Watching Will', connect: false });
    // The other person is a second Chromium, live on the channel the whole time.
    const watcherCtx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const watcher = await watcherCtx.newPage();
    await signIn(watcher, env.ts.url, will.email, will.password);
    await openConversation(watcher, 'general');
    await sendMessage(watcher, 'Please react when you have read this');
    const profile = mkdtempSync(join(tmpdir(), 'commonroom-profile-'));
    try {
      const ctx = await launchProfile(profile);
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const errors = watchErrors(page, watcher);
      await signIn(page, env.ts.url, olive.email, olive.password);
      await openConversation(page, 'general');
      await msg(page, 'Please react when you have read this').waitFor();
      await sendMessage(page, 'My answer is 42');
      await eventually(async () =>
        expect(await msg(page, 'My answer is 42').getAttribute('class')).not.toMatch(/waiting/),
      );
      await eventually(async () => expect(await messageTexts(watcher)).toContain('My answer is 42'));
      await eventually(async () => {
        await page.reload();
        expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
      }, 20_000);
      await openConversation(page, 'general');

      await ctx.setOffline(true);
      await eventually(async () =>
        expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
      );
      await moreAction(page, 'My answer is 42', 'Edit message');
      const edit = page.getByLabel('Edit message', { exact: true });
      await edit.fill('My answer is 43');
      await edit.press('Enter');
      await react(page, 'Please react when you have read this', 'done');
      // Both written to the device (not still saving) before the reload: that is the promise made.
      await eventually(async () => {
        const status = await page.getByTestId('sync-status').innerText();
        expect(status).toMatch(/2 changes waiting/);
        expect(status).not.toMatch(/saving/);
      });

      await page.reload();
      await openConversation(page, 'general');
      await eventually(async () => expect(await messageTexts(page)).toContain('My answer is 43'));
      await eventually(async () =>
        expect(await chips(page, 'Please react when you have read this')).toEqual(['✅ 1']),
      );
      // Nothing has reached the other person while Olive is offline.
      expect(await messageTexts(watcher)).toContain('My answer is 42');
      expect(await chips(watcher, 'Please react when you have read this')).toEqual([]);

      await ctx.setOffline(false);
      await eventually(async () => {
        const texts = await messageTexts(watcher);
        expect(texts).toContain('My answer is 43');
        expect(texts).not.toContain('My answer is 42');
        expect(await chips(watcher, 'Please react when you have read this')).toEqual(['✅ 1']);
        expect(await msg(watcher, 'My answer is 43').innerText()).toMatch(/edited/);
      }, 20_000);
      await eventually(async () =>
        expect(await page.getByTestId('sync-status').innerText()).not.toMatch(/waiting/),
      );
      await screenshot(watcher, 'offline-edit-reaction-seen-by-other');
      expect(errors).toEqual([]);
      await ctx.close();
    } finally {
      await watcherCtx.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
});
