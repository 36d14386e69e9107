import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ADMIN, addUser, channel, eventually, texts } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** Issue 13 §3 in Chromium: the admin Channels screens, tutors managing members, one post to many channels. */
describe('the admin area: Channels', () => {
  const env = useServerAndBrowser();

  /** People with a cohort list, straight into the database (they never sign in here). */
  const cohortPeople = (prefix: string, names: string[], cohort: string): string[] => {
    const ids = names.map((_, i) => `${prefix}${i}`);
    env.ts.server.db.transaction(() => {
      names.forEach((displayName, i) =>
        env.ts.server.internals.users.insert({
          id: `${prefix}${i}`,
          email: `${prefix}${i}@college.test`,
          username: null,
          displayName,
          role: 'student',
          passwordHash: 'x',
          cohort,
        }),
      );
    })();
    return ids;
  };
  const noSeriousAxe = async (page: Page, where: string) => {
    const serious = await axeSerious(page);
    expect(serious, `${where}: ${JSON.stringify(serious)}`).toEqual([]);
  };
  const status = (page: Page, text: string | RegExp) =>
    page.getByRole('status').filter({ hasText: text }).waitFor();

  it('T9: an admin creates a channel with a slugified name bound to a cohort, adds people and a whole cohort, archives and renames it, and posts one announcement to several channels, at 1440×900', async () => {
    const bio = cohortPeople('bioc', ['Amara Okafor', 'Ben Carter', 'Cara Singh'], 'biology-l3');
    const maths = cohortPeople('mathc', ['Dev Mistry', 'Ella Brown'], 'maths-gcse');
    const priya = await addUser(env.ts, env.admin, 'student', { name: 'Priya Patel', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/channels');
    await page.locator('.admin-table tbody tr[data-channel="general"]').waitFor();
    await noSeriousAxe(page, 'channels');
    await screenshot(page, 'admin-channels');

    // Create: the name is slugified as it is typed; the cohort's people join.
    await page.getByRole('button', { name: 'New channel' }).click();
    const dialog = page.getByRole('dialog', { name: 'New channel' });
    await dialog.getByLabel('Name').pressSequentially('Biology L3');
    expect(await dialog.getByLabel('Name').inputValue()).toBe('biology-l3');
    await dialog.getByLabel('Description (optional)').fill('Biology level 3, year 1');
    await dialog.getByLabel('Course cohort (optional)').fill('biology-l3');
    await dialog.getByText('3 people are in biology-l3: they join when you save.').waitFor();
    await noSeriousAxe(page, 'new channel');
    await screenshot(page, 'admin-channel-create');
    await dialog.getByRole('button', { name: 'Create channel' }).click();
    await status(page, '#biology-l3 was created. 3 people of biology-l3 joined it.');
    const made = env.ts.server.internals.conversations.byName('biology-l3');
    expect(made).toMatchObject({ kind: 'public', cohort: 'biology-l3' });
    const id = made?.id ?? '';
    const memberIds = () => env.ts.server.internals.conversations.members(id);
    expect(memberIds()).toEqual(expect.arrayContaining(bio));

    // Search and filter find it; its page is a deep link that survives a reload.
    await page.getByLabel('Search channels').fill('biology');
    await eventually(async () =>
      expect(await page.locator('.admin-table tbody .person-link').allInnerTexts()).toEqual(['#biology-l3']),
    );
    await page.getByRole('link', { name: '#biology-l3' }).click();
    await page.getByRole('heading', { name: '#biology-l3', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/channels/${id}`);
    await page.reload();
    await page.getByRole('heading', { name: '#biology-l3', level: 1 }).waitFor();

    // Add one person by search, then a whole cohort.
    await page.getByLabel('Find people to add').fill('priya');
    await page.getByRole('checkbox', { name: /Priya Patel/ }).check();
    await page.getByRole('button', { name: 'Add 1 person' }).click();
    await status(page, '1 person added.');
    await page.getByLabel('Add a whole cohort').selectOption('maths-gcse');
    await page.getByRole('button', { name: 'Add cohort' }).click();
    await status(page, '2 people added from the cohort maths-gcse.');
    expect(memberIds()).toEqual(expect.arrayContaining([priya.id, ...maths]));
    await page.locator(`.admin-table tr[data-member="${maths[0] ?? ''}"]`).waitFor();
    await noSeriousAxe(page, 'channel page');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'admin-channel-page');

    // Remove one, confirmed.
    await page.getByRole('button', { name: 'Remove Ella Brown' }).click();
    await page
      .getByRole('dialog', { name: 'Remove Ella Brown?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await status(page, 'Ella Brown was removed from #biology-l3.');
    expect(memberIds()).not.toContain(maths[1]);

    // Post one announcement to two channels from this device's own engine.
    await page.getByRole('link', { name: '← Channels' }).click();
    await page.getByRole('button', { name: 'Post to several channels' }).click();
    const post = page.getByRole('dialog', { name: 'Post to several channels' });
    await post.getByRole('checkbox', { name: /#biology-l3/ }).check();
    await post.getByRole('checkbox', { name: /#general/ }).check();
    await post.getByLabel('Message').fill('Enrolment closes on Friday at 5pm.');
    await noSeriousAxe(page, 'announce');
    await screenshot(page, 'admin-channels-announce');
    await post.getByRole('button', { name: 'Post to 2 channels' }).click();
    await status(page, 'Posted to 2 channels: #biology-l3, #general.');
    // It arrives in each channel: the admin's other device reads it there.
    for (const name of ['general', 'biology-l3']) {
      await env.admin.refreshConversations();
      const cid = channel(env.admin, name);
      await env.admin.open(cid);
      await eventually(() => expect(texts(env.admin, cid)).toContain('Enrolment closes on Friday at 5pm.'));
    }

    // Offline, the same dialog queues the posts on this device and says so; they go when it is back.
    await page.getByRole('link', { name: '← Back to messages' }).click();
    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Channels' }).click();
    await page.getByText('You are offline. The admin area needs a connection.').waitFor();
    await page.getByRole('button', { name: 'Post to several channels' }).click();
    await post.getByRole('checkbox', { name: /#biology-l3/ }).check();
    await post.getByRole('checkbox', { name: /#it-support/ }).check();
    await post.getByLabel('Message').fill('The library opens late on Monday.');
    await post.getByRole('button', { name: 'Post to 2 channels' }).click();
    await status(
      page,
      'Posted to 2 channels: #biology-l3, #it-support. You are offline: they will be sent when the connection returns.',
    );
    await ctx.setOffline(false);
    for (const name of ['biology-l3', 'it-support']) {
      const cid = channel(env.admin, name);
      await env.admin.open(cid);
      await eventually(() => expect(texts(env.admin, cid)).toContain('The library opens late on Monday.'));
    }
    await page.getByRole('button', { name: 'New channel' }).waitFor();
    // Back online, the list that could not load loads again by itself.
    await page.getByRole('link', { name: '#biology-l3' }).waitFor();

    // Archive, confirmed; the table shows it, and the server refuses posts there.
    await page.getByRole('link', { name: '#biology-l3' }).click();
    await page.getByRole('button', { name: 'Archive channel' }).click();
    const confirm = page.getByRole('dialog', { name: 'Archive #biology-l3?' });
    await screenshot(page, 'admin-channel-archive-confirm');
    await confirm.getByRole('button', { name: 'Archive' }).click();
    await status(page, '#biology-l3 was archived. No one can post in it now.');
    expect(env.ts.server.internals.conversations.get(id)?.archived).toBe(true);
    await page.getByRole('button', { name: 'Unarchive' }).waitFor();
    const actions = env.ts.server.internals.audit
      .list(200)
      .filter((e) => e.target === id)
      .map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'channel.created',
        'channel.members-added',
        'channel.member-removed',
        'channel.archived',
      ]),
    );
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'admin-channel-page-phone');
    await page.setViewportSize({ width: 1440, height: 900 });

    // Rename: slugified at the field, saved, audited from → to.
    const nameField = page.getByLabel('Name', { exact: true });
    await nameField.fill('');
    await nameField.pressSequentially('Biology L3 (2025)');
    expect(await nameField.inputValue()).toBe('biology-l3-2025-');
    await page.getByLabel('Topic').fill('Closed for the summer');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await status(page, 'Saved #biology-l3-2025.');
    await page.getByRole('heading', { name: '#biology-l3-2025', level: 1 }).waitFor();
    expect(env.ts.server.internals.conversations.get(id)).toMatchObject({
      name: 'biology-l3-2025',
      topic: 'Closed for the summer',
    });
    expect(env.ts.server.internals.audit.list(5).find((e) => e.target === id)?.detail).toEqual({
      name: { from: 'biology-l3', to: 'biology-l3-2025' },
      topic: { from: '', to: 'Closed for the summer' },
    });
    await page.goBack();
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
    await page.getByLabel('Archived').selectOption('yes');
    await eventually(async () =>
      expect(await page.locator('.admin-table tbody .person-link').allInnerTexts()).toEqual([
        '#biology-l3-2025',
      ]),
    );
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.getByLabel('Archived').selectOption('');
    await page.locator('.admin-table tbody tr[data-channel="general"]').waitFor();
    await screenshot(page, 'admin-channels-tablet');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('T4: a tutor adds students to a private channel from its details dialog and removes one; the student then sees it, with no editor; staff-only and archived show at her composer, and archived leaves her sidebar', async () => {
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tom Tutor', connect: false });
    const nadia = await addUser(env.ts, env.admin, 'student', { name: 'Nadia Hussain' });
    const liam = await addUser(env.ts, env.admin, 'student', { name: 'Liam Walsh', connect: false });
    const room = await tutor.engine.createChannel('year1-study-group', 'private', 'Revision together');
    expect(nadia.engine.conversation(room.id)).toBeUndefined();
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, tutor.email, tutor.password);
    await openConversation(page, 'year1-study-group');
    await page.getByRole('button', { name: '1 member' }).click();
    const dialog = page.getByRole('dialog', { name: '#year1-study-group' });
    // Several people, chosen across searches.
    await dialog.getByLabel('Find people to add').fill('nadia');
    await dialog.getByRole('checkbox', { name: /Nadia Hussain/ }).check();
    await dialog.getByLabel('Find people to add').fill('liam');
    await dialog.getByRole('checkbox', { name: /Liam Walsh/ }).check();
    await noSeriousAxe(page, 'details picker');
    await screenshot(page, 'channel-details-add-members');
    await dialog.getByRole('button', { name: 'Add 2 people' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Added Nadia Hussain, Liam Walsh.' }).waitFor();
    await dialog.getByRole('tab', { name: 'Members (3)' }).waitFor();
    // Nadia's device is told, and the channel is hers to read now.
    await eventually(() => expect(nadia.engine.conversation(room.id)?.isMember).toBe(true));
    // Remove Liam, confirmed in place.
    await dialog.getByRole('button', { name: 'Remove Liam Walsh…' }).click();
    await dialog.getByRole('button', { name: 'Remove Liam Walsh', exact: true }).click();
    await dialog.getByRole('status').filter({ hasText: 'Liam Walsh was removed.' }).waitFor();
    expect(env.ts.server.internals.conversations.members(room.id)).not.toContain(liam.id);
    await noSeriousAxe(page, 'details');
    await screenshot(page, 'channel-details-members');
    await ctx.close();

    // The student sees the channel, and its details without any editor.
    const sctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const spage = await sctx.newPage();
    errors.push(...watchErrors(spage));
    await signIn(spage, env.ts.url, nadia.email, nadia.password);
    await openConversation(spage, 'year1-study-group');
    await spage.getByRole('button', { name: '2 members' }).click();
    await spage.getByRole('dialog', { name: '#year1-study-group' }).getByText('Tom Tutor').waitFor();
    expect(await spage.getByLabel('Find people to add').count()).toBe(0);
    expect(await spage.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    await spage.keyboard.press('Escape');

    // An admin makes it staff only, then archives it: her open page says so at once, and once she moves
    // on, the archived channel leaves her sidebar.
    const patch = (body: Record<string, unknown>) =>
      env.admin.api.request('PATCH', `/api/admin/channels/${room.id}`, z.unknown(), body);
    await patch({ postPolicy: 'staff' });
    await spage
      .getByText(
        'Only tutors, teachers, staff and admins post in #year1-study-group. You can read and react here.',
      )
      .waitFor();
    await patch({ archived: true });
    await spage
      .getByText('This channel is archived: it keeps its history but takes no new messages.')
      .waitFor();
    await screenshot(spage, 'channel-archived-student');
    await openConversation(spage, 'general');
    await eventually(async () =>
      expect(await spage.locator('.sidebar .conv[data-conversation="year1-study-group"]').count()).toBe(0),
    );
    expect(errors).toEqual([]);
    await sctx.close();
    nadia.engine.disconnect();
  });
});
