import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 18's standard, "look at every screen at both sizes": a realistic college workspace (channels with
 * real names and messages, a DM, a thread, a pinned message, a photo, reactions, a long channel name) and
 * every messaging screen at phone (390×844) and desktop (1280×800) size, each checked by axe, with a
 * screenshot in .test-artifacts/screenshots/walk-<screen>-<size>.png to be looked at by a person. The
 * assertions are what a screen must show; how it looks is judged from the screenshots.
 */

const SIZES = [
  { name: 'phone', viewport: { width: 390, height: 844 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
] as const;
type Size = (typeof SIZES)[number];

const env = useServerAndBrowser();
type Person = Awaited<ReturnType<typeof addUser>>;

/** A real JPEG photo (a gradient with a shape), made by sharp so the server thumbnails real pixels. */
const photo = (): Promise<Buffer> =>
  sharp(
    Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1200">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1d3557"/><stop offset="1" stop-color="#a8dadc"/></linearGradient></defs>
      <rect width="100%" height="100%" fill="url(#g)"/><circle cx="800" cy="600" r="300" fill="#e9c46a"/></svg>`),
  )
    .jpeg({ quality: 80 })
    .toBuffer();

async function open(who: Person, size: Size, extra: BrowserContextOptions = {}): Promise<Page> {
  // bypassCSP only lets the test inject axe; the app's own CSP is what the server sends.
  const ctx = await env.browser.newContext({ viewport: size.viewport, bypassCSP: true, ...extra });
  const page = await ctx.newPage();
  await signIn(page, env.ts.url, who.email, who.password);
  return page;
}

/** The picture, then axe clean (a failure names the elements, to find them in the picture). */
async function shot(page: Page, name: string, size: Size): Promise<void> {
  await screenshot(page, `walk-${name}-${size.name}`);
  const found = await axeSerious(page);
  if (found.length === 0) return;
  const where = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } }).axe;
    const r = (await axe.run()) as {
      violations: { id: string; impact: string; nodes: { html: string; failureSummary: string }[] }[];
    };
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.html.slice(0, 160)} — ${n.failureSummary}`));
  });
  expect(where, name).toEqual([]);
}

const goTo = async (page: Page, id: string, title: string) => {
  await page.goto(`${env.ts.url}/#/c/${id}`);
  await page.locator('#pane-title').filter({ hasText: title }).waitFor();
};

/** One message, on the server before the next is written: the order people wrote them in is the order shown. */
async function say(
  who: Person,
  conversationId: string,
  text: string,
  opts: { parent?: string } = {},
): Promise<string> {
  const key = await who.engine.send(conversationId, text, opts);
  await who.engine.settled();
  return key;
}

type World = {
  jordan: Person;
  priya: Person;
  science: string;
  longName: string;
  dm: string;
};

/** The college: a tutor, a teacher, students; channels with a morning's conversation in them. */
async function seed(browser: Browser): Promise<World> {
  const priya = await addUser(env.ts, env.admin, 'tutor', { name: 'Priya Shah' });
  const daniel = await addUser(env.ts, env.admin, 'teacher', { name: 'Daniel Hughes' });
  const amara = await addUser(env.ts, env.admin, 'student', { name: 'Amara Okafor' });
  const jordan = await addUser(env.ts, env.admin, 'student', { name: 'Jordan Lee', connect: false });
  await priya.engine.updateProfile({ pronouns: 'she/her' });

  const science = await priya.engine.createChannel(
    'level3-applied-science',
    'public',
    'Unit 4 lab reports, practicals and revision',
  );
  const longName = await daniel.engine.createChannel(
    'computing-btec-year2-project-showcase-and-feedback',
    'public',
    'Show your final project and get feedback before the deadline',
  );
  const members = [daniel.id, amara.id, jordan.id];
  await priya.engine.api.request('POST', `/api/conversations/${science.id}/members`, z.unknown(), {
    userIds: members,
  });
  await daniel.engine.api.request('POST', `/api/conversations/${longName.id}/members`, z.unknown(), {
    userIds: [amara.id, jordan.id],
  });
  await priya.engine.refreshConversations();
  await daniel.engine.refreshConversations();
  await amara.engine.refreshConversations();
  await eventually(() => expect(amara.engine.conversation(science.id)?.isMember).toBe(true));

  const s = science.id;
  const reminder = await say(
    priya,
    s,
    '**Reminder:** lab reports for _Unit 4_ are due **Friday at 5pm**. Use the template on Moodle and include:\n- your method\n- a results table\n- an evaluation of errors',
  );
  await priya.engine.pin(s, reminder, true);
  await say(daniel, s, 'The practical room is open Thursday lunchtime if anyone needs to redo a titration.');
  const question = await say(
    amara,
    s,
    'Does the evaluation need to include percentage uncertainty, or just a comment on sources of error?',
  );
  await say(priya, s, 'Both please: calculate it for the burette readings.', { parent: question });
  await say(daniel, s, 'There is a worked example on page 12 of the booklet.', { parent: question });
  await say(amara, s, 'Thank you, that makes sense now.', { parent: question });
  await say(amara, s, 'Also, is the library open late on Thursday?');
  await say(amara, s, 'I need to print my graphs.');
  await say(priya, s, '@Jordan.Lee can you share your results table with the group? Yours was the clearest.');
  for (const [who, emoji] of [
    [amara, '👍'],
    [daniel, '👍'],
    [priya, '🎉'],
  ] as const)
    await who.engine.react(s, reminder, emoji, true);

  const general = channel(priya.engine, 'general');
  await say(priya, general, 'Welcome back everyone! Enrichment sign-ups close next Wednesday.');
  await say(
    daniel,
    longName.id,
    'Showcase slots are up: pick one by Monday. Bring a laptop and your poster.',
  );

  const dm = await priya.engine.openDm([jordan.id]);
  await say(priya, dm.id, 'Hi Jordan, have you got a minute after class to talk about your UCAS statement?');
  await priya.engine.settled();
  await daniel.engine.settled();
  await amara.engine.settled();

  // A photo from the practical, sent from a phone the way a person would.
  const ctx = await browser.newContext({ viewport: SIZES[1].viewport });
  const page = await ctx.newPage();
  await signIn(page, env.ts.url, amara.email, amara.password);
  await goTo(page, s, 'level3-applied-science');
  await page
    .locator('.composer input[type="file"]:not([capture])')
    .setInputFiles([{ name: 'titration-results.jpg', mimeType: 'image/jpeg', buffer: await photo() }]);
  const box = page.getByLabel('Message', { exact: true });
  await box.fill('Photo of my titration results from today');
  await box.press('Enter');
  await page.locator('.messages .msg-thumb img').waitFor();
  await ctx.close();
  return { jordan, priya, science: s, longName: longName.id, dm: dm.id };
}

/** The workspace, seeded once for both sizes, and a newcomer with nothing yet. */
let world: Promise<World & { newcomer: Person; quiet: string }> | null = null;
const theWorld = () =>
  (world ??= (async () => {
    const w = await seed(env.browser);
    const newcomer = await addUser(env.ts, env.admin, 'student', { name: 'Sam Newton', connect: false });
    const quiet = await w.priya.engine.createChannel('film-club', 'private', 'Friday screenings');
    await w.priya.engine.api.request('POST', `/api/conversations/${quiet.id}/members`, z.unknown(), {
      userIds: [newcomer.id],
    });
    return { ...w, newcomer, quiet: quiet.id };
  })());

describe('issue 18: a walk through every messaging screen at phone and desktop size', () => {
  // Some forty screens, each checked by axe: long, but one walk, as a person would take it.
  it.each(SIZES)(
    'every screen at $name size shows what it should, axe clean, with a screenshot to judge',
    async (size) => {
      const w = await theWorld();
      const { newcomer } = w;
      const quiet = { id: w.quiet };
      {
        // Sign-in.
        {
          const ctx = await env.browser.newContext({ viewport: size.viewport, bypassCSP: true });
          const page = await ctx.newPage();
          await page.goto(env.ts.url);
          await page.getByRole('button', { name: 'Sign in' }).waitFor();
          await shot(page, 'signin', size);
          await ctx.close();
        }

        // First run: a new student with nothing yet; an empty channel; an empty Activity.
        {
          const page = await open(newcomer, size);
          const errors = watchErrors(page);
          await shot(page, 'first-run', size);
          // #general's history is there for a newcomer too (it was said before they joined).
          await goTo(page, channel(w.priya.engine, 'general'), 'general');
          await page.locator('.messages').getByText('Welcome back everyone').waitFor();
          await goTo(page, quiet.id, 'film-club');
          await page.locator('.messages .empty').waitFor();
          await shot(page, 'empty-channel', size);
          await page.goto(`${env.ts.url}/#/activity`);
          await page.getByText('Nothing for you yet').waitFor();
          await shot(page, 'activity-empty', size);
          expect(errors).toEqual([]);
          await page.context().close();
        }

        const page = await open(w.jordan, size);
        const errors = watchErrors(page);
        // The sidebar: on a phone the first screen; on a desktop beside #general.
        await page.locator(`.sidebar .conv[data-conversation="level3-applied-science"]`).waitFor();
        await shot(page, 'sidebar', size);

        // A channel with a morning's messages: grouped, formatted, a photo, reactions, a thread, a pin.
        await goTo(page, w.science, 'level3-applied-science');
        await page.locator('.messages .msg-thumb img').waitFor();
        await page.locator('.messages').getByText('Yours was the clearest').waitFor();
        await shot(page, 'channel', size);

        // The thread.
        await page.getByRole('button', { name: /3 replies/ }).click();
        const thread = page.getByRole('complementary', { name: 'Thread' });
        await thread.getByText('worked example on page 12').waitFor();
        await shot(page, 'thread', size);
        await thread.getByRole('button', { name: 'Close thread' }).click();
        await thread.waitFor({ state: 'hidden' });

        // The composer: formatting help, the emoji picker, mention suggestions.
        await page.getByRole('button', { name: 'Formatting help' }).click();
        await page.locator('.format-hint').waitFor();
        await shot(page, 'formatting-hint', size);
        await page.getByRole('button', { name: 'Formatting help' }).click();
        await page.getByRole('button', { name: 'Insert emoji' }).click();
        await page.getByRole('dialog', { name: 'Choose an emoji' }).waitFor();
        await shot(page, 'emoji-picker', size);
        await page.keyboard.press('Escape');
        const box = page.getByLabel('Message', { exact: true });
        await box.fill('Thanks @Pri');
        await page.getByRole('listbox', { name: 'People to mention' }).waitFor();
        await shot(page, 'mention', size);
        await box.fill('');

        // A profile card from a name in the messages.
        await page.locator('.messages .msg .author', { hasText: 'Priya Shah' }).first().click();
        const card = page.getByRole('dialog', { name: 'Priya Shah' });
        await card.getByTestId('profile-card').waitFor();
        expect(await card.innerText()).toMatch(/Tutor[\s\S]*she\/her/);
        await shot(page, 'profile-card', size);
        await page.keyboard.press('Escape');
        await card.waitFor({ state: 'hidden' });

        // The channel's details, each tab.
        await page.locator('.pane-head .members').click();
        const details = page.getByRole('dialog', { name: '#level3-applied-science' });
        await details.getByRole('list', { name: 'Members' }).waitFor();
        await shot(page, 'details-members', size);
        await details.getByRole('tab', { name: /Pinned/ }).click();
        await details.getByText('lab reports for').waitFor();
        await shot(page, 'details-pinned', size);
        await details.getByRole('tab', { name: 'Files' }).click();
        // The photo Amara shared, with a way to its message.
        await details.getByRole('list', { name: 'Files' }).getByText('titration-results.jpg').waitFor();
        await shot(page, 'details-files', size);
        await page.keyboard.press('Escape');
        await details.waitFor({ state: 'hidden' });

        // The header's More menu.
        await page.getByRole('button', { name: 'More for #level3-applied-science' }).click();
        await page.getByRole('menu').getByRole('menuitem', { name: 'Leave channel…' }).waitFor();
        await shot(page, 'more-menu', size);
        await page.keyboard.press('Escape');

        // A long channel name.
        await goTo(page, w.longName, 'computing-btec');
        await shot(page, 'long-name', size);

        // The DM, with the other person's presence in its header.
        await goTo(page, w.dm, 'Priya Shah');
        await page.getByTestId('dm-presence').waitFor();
        await shot(page, 'dm', size);

        // Browse channels.
        if (size.name === 'phone') {
          await page.getByRole('button', { name: 'Back to conversations' }).click();
          await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
        }
        await page.getByRole('button', { name: 'Browse channels' }).click();
        const browse = page.getByRole('dialog', { name: 'Browse channels' });
        await browse.getByText('computing-btec-year2-project-showcase-and-feedback').first().waitFor();
        await shot(page, 'browse', size);
        await page.keyboard.press('Escape');

        // Activity: Priya's mention.
        await page.goto(`${env.ts.url}/#/activity`);
        await page.getByText('Priya Shah mentioned you').first().waitFor();
        await shot(page, 'activity', size);

        // A conversation one cannot see.
        await page.goto(`${env.ts.url}/#/c/not-a-conversation`);
        await page.getByTestId('no-access').waitFor();
        await shot(page, 'no-access', size);

        // Shortcuts help.
        await page.goto(`${env.ts.url}/#/c/${w.science}`);
        await page.locator('#pane-title').filter({ hasText: 'level3-applied-science' }).waitFor();
        await page.locator('#pane-title').click();
        await page.keyboard.press('?');
        await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
        await shot(page, 'shortcuts', size);
        await page.keyboard.press('Escape');

        // Offline, with messages waiting.
        await page.context().setOffline(true);
        await eventually(async () =>
          expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
        );
        await box.fill(`I will bring my results table on Thursday (from my ${size.name}).`);
        await box.press('Enter');
        await box.fill('Sorry, my wifi is down at home.');
        await box.press('Enter');
        // Both say so under them (the list has measured their new height).
        await eventually(async () =>
          expect(await page.locator('.messages').getByText('Waiting to send').count()).toBe(2),
        );
        await eventually(async () =>
          expect(await page.getByTestId('sync-status').innerText()).toMatch(/2 messages/),
        );
        if (size.name === 'phone') {
          await page.getByRole('button', { name: 'Back to conversations' }).click();
          await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
          await shot(page, 'offline-list', size);
          await page.locator('.sidebar .conv[data-conversation="level3-applied-science"]').click();
          await page.locator('#pane-title').filter({ hasText: 'level3-applied-science' }).waitFor();
        }
        await shot(page, 'offline', size);
        await page.context().setOffline(false);
        await eventually(async () =>
          expect(await page.getByTestId('sync-status').innerText()).not.toMatch(/waiting/),
        );

        // The profile page.
        if (size.name === 'phone') {
          await page.getByRole('button', { name: 'Back to conversations' }).click();
        }
        await page.getByRole('button', { name: 'Profile', exact: true }).click();
        await page.getByRole('heading', { name: 'Your profile' }).waitFor();
        await shot(page, 'profile-page', size);
        expect(errors).toEqual([]);
        await page.context().close();

        // A member of staff creates a channel.
        {
          const staff = await open(w.priya, size);
          await staff.getByRole('button', { name: 'Browse channels' }).click();
          const b = staff.getByRole('dialog', { name: 'Browse channels' });
          await b.getByLabel('Name', { exact: true }).pressSequentially('Year 13 Trip');
          await b.getByRole('heading', { name: 'Create a channel' }).scrollIntoViewIfNeeded();
          await shot(staff, 'create-channel', size);
          await staff.context().close();
        }

        // Dark theme: the channel, and the sidebar on a phone.
        {
          const dark = await open(w.jordan, size, { colorScheme: 'dark' });
          if (size.name === 'phone') await shot(dark, 'dark-sidebar', size);
          await goTo(dark, w.science, 'level3-applied-science');
          await dark.locator('.messages .msg-thumb img').waitFor();
          await shot(dark, 'dark-channel', size);
          await dark.getByRole('button', { name: /3 replies/ }).click();
          await dark.getByRole('complementary', { name: 'Thread' }).getByText('worked example').waitFor();
          await shot(dark, 'dark-thread', size);
          await dark.context().close();
        }
      }
    },
    300_000,
  );
});
