import type { Page } from 'playwright-core';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MANY_MESSAGES,
  addUser,
  channel,
  eventually,
  loginAdmin,
  startServer,
} from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  launch,
  openConversation,
  screenshot,
  signIn,
  watchErrors,
  type BrowserEnv,
} from './browser.ts';

/**
 * Issue 16's search screen in real Chromium against a real server: Ctrl+K opens it, typing finds messages
 * on the device at once, ↓ and Enter open one at the message; a message only the server holds (the
 * older segment of a conversation) comes back marked "from the server"; offline the device's
 * results stay with a plain note; recent searches are kept until sign-out; message text is never HTML.
 */

const shot = (page: Page, name: string): Promise<void> => screenshot(page, `search-${name}`);

const dialog = (page: Page) => page.getByRole('dialog', { name: 'Search messages' });
const field = (page: Page) => dialog(page).getByRole('combobox', { name: 'Search messages' });
const results = (page: Page) => dialog(page).getByRole('listbox', { name: 'Results' }).getByRole('option');

describe('search screen', () => {
  // Small segments: a conversation's older history stays on the server until someone scrolls back to it.
  const env = {} as BrowserEnv;
  beforeAll(async () => {
    env.ts = await startServer({ limits: { segmentSize: 4, ...MANY_MESSAGES } });
    env.admin = await loginAdmin(env.ts);
    env.browser = await launch();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.ts?.destroy();
  });

  it('Ctrl+K opens it; results as one types, device and server merged; arrows and Enter open a message; offline note; recent searches', async () => {
    // More people than the "From" list shows at once.
    for (let i = 1; i <= 25; i++)
      await env.admin.api.request('POST', '/api/admin/users', z.unknown(), {
        displayName: `Pupil ${String(i).padStart(2, '0')}`,
        email: `pupil${i}-${Date.now() % 100000}@college.test`,
        role: 'student',
        password: `password-pupil-${i}`,
      });
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Finder', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Poster' });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tess Tutor' });
    const general = channel(ben.engine, 'general');
    await ben.engine.open(general);
    // A private channel Amy is in; its first message is in an older segment than her device loads, so only
    // the server finds it.
    const trips = await tutor.engine.createChannel('trip-planning', 'private', 'Trips');
    await tutor.engine.api.request('POST', `/api/conversations/${trips.id}/members`, z.unknown(), {
      userIds: [amy.id],
    });
    await tutor.engine.open(trips.id);
    const forms = await tutor.engine.send(trips.id, 'The museum consent forms are in the office essay tray');
    for (const t of [
      'Bus at nine',
      'Bring a packed lunch',
      'Back by four',
      'Wear good shoes',
      'Ask me anything',
    ])
      await tutor.engine.send(trips.id, t);
    const older = await ben.engine.send(general, 'Essay feedback comes back next week');
    const newer = await ben.engine.send(
      general,
      'The essay deadline is Friday at 5, see https://moodle.example/x',
    );
    const img = await ben.engine.send(general, '<img src=x onerror="window.hacked=1"> essay <b>bold</b>');
    await ben.engine.settled();
    await tutor.engine.settled();

    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    await openConversation(page, 'general');

    // Escape closes; focus goes back to the button that opened it.
    const button = page.getByRole('button', { name: /^Search/ });
    await button.click();
    await field(page).waitFor();
    await expect.poll(() => field(page).evaluate((el) => el === document.activeElement)).toBe(true);
    await expect
      .poll(() => dialog(page).getByRole('list', { name: 'Filters' }).innerText())
      .toMatch(/From.*When.*Only in.*Has a link/s);
    await shot(page, 'empty-desktop');
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'hidden' });
    await expect.poll(() => button.evaluate((el) => el === document.activeElement)).toBe(true);

    // Ctrl+K; device results as one types, newest first, the words marked.
    await page.keyboard.press('Control+k');
    await field(page).fill('deadl');
    await eventually(async () =>
      expect(await results(page).allInnerTexts()).toEqual([
        expect.stringContaining('The essay deadline is Friday'),
      ]),
    );
    expect(await dialog(page).locator('mark').allInnerTexts()).toEqual(['deadline']);

    // The server adds the trip channel's older message (its time interleaves with the device's).
    await field(page).fill('essay');
    const fromServer = results(page).filter({ hasText: 'from the server' });
    await eventually(async () => {
      expect(await results(page).count()).toBe(4);
      expect(await fromServer.allInnerTexts()).toEqual([
        expect.stringMatching(/^Tess Tutor in #trip-planning · .*\n?The museum consent forms/s),
      ]);
    });
    // Text, never HTML: the angle brackets are letters, no element was made, nothing ran.
    expect(
      await results(page)
        .filter({ hasText: '<img src=x onerror="window.hacked=1"> essay <b>bold</b>' })
        .count(),
    ).toBe(1);
    expect(await dialog(page).locator('.search-results img, .search-results b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { hacked?: number }).hacked)).toBeUndefined();
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'results-desktop');

    // "From" is a typeahead: typing lists at most 20 people whose names start so, ↓ and Enter pick one,
    // Escape closes only the list.
    const from = dialog(page).getByRole('combobox', { name: 'From' });
    const people = dialog(page).getByRole('listbox', { name: 'From: people' }).getByRole('option');
    await from.fill('pupil');
    await eventually(async () => expect(await people.count()).toBe(20));
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'from-typeahead-desktop');
    await from.press('Escape');
    await eventually(async () => expect(await people.count()).toBe(0));
    expect(await dialog(page).isVisible()).toBe(true);
    await from.fill('tes');
    await eventually(async () => expect(await people.allInnerTexts()).toEqual(['Tess Tutor']));
    expect(await from.getAttribute('aria-expanded')).toBe('true');
    await from.press('ArrowDown');
    await from.press('Enter');
    expect(await from.inputValue()).toBe('Tess Tutor');
    await eventually(async () =>
      expect(await results(page).allInnerTexts()).toEqual([expect.stringMatching(/museum/)]),
    );
    await dialog(page).getByRole('button', { name: 'Anyone (clear Tess Tutor)' }).click();
    expect(await from.inputValue()).toBe('');
    await eventually(async () => expect(await results(page).count()).toBe(4));
    // Punctuation alone has nothing to look for: a plain hint, not the newest messages, and no error.
    await field(page).fill('!!! ?');
    await dialog(page)
      .getByText('Type a word to search for: punctuation on its own matches nothing.')
      .waitFor();
    expect(await results(page).count()).toBe(0);
    expect(await dialog(page).getByText('could not be searched').count()).toBe(0);
    await field(page).fill('essay');
    await eventually(async () => expect(await results(page).count()).toBe(4));
    await dialog(page).getByLabel('Has a link').check();
    await eventually(async () =>
      expect(await results(page).allInnerTexts()).toEqual([expect.stringMatching(/deadline.*moodle/s)]),
    );
    await dialog(page).getByLabel('Has a link').uncheck();
    await dialog(page).getByLabel('In threads').check();
    await dialog(page).getByText('No messages match “essay”.').waitFor();
    await dialog(page).getByLabel('In threads').uncheck();
    await eventually(async () => expect(await results(page).count()).toBe(4));
    // Best match: both sides rank their own (the server is asked for its best), each message still once.
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/search?')) asked.push(new URL(r.url()).searchParams.get('order') ?? '');
    });
    await dialog(page).getByLabel('Sort').selectOption({ label: 'Best match' });
    await eventually(() => expect(asked).toContain('best'));
    await eventually(async () => {
      expect(await results(page).count()).toBe(4);
      expect(await fromServer.count()).toBe(1);
    });
    await dialog(page).getByLabel('Sort').selectOption({ label: 'Newest first' });
    await eventually(() => expect(asked.at(-1)).toBe('newest'));
    // More than a page: the server answers 30 and says there is more; "More results" asks for the rest
    // with its cursor, each message still once.
    for (let i = 0; i < 35; i++) await ben.engine.send(general, `field trip agenda item ${i}`);
    await ben.engine.settled();
    await field(page).fill('agenda');
    const moreButton = dialog(page).getByRole('button', { name: 'More results from the server' });
    await moreButton.waitFor();
    await moreButton.click();
    await eventually(async () => {
      expect(await results(page).count()).toBe(35);
      expect(await moreButton.count()).toBe(0);
    });
    // Results show a page (50) at a time, however many the device and the server's pages hold: 60 here,
    // from the device (the segments it followed as they arrived; messages still being indexed join when
    // indexed, without typing again) and the server's pages. How the 60 split between the two depends on
    // how far the device had followed, so the count may say "so far": "Show more results" then shows the
    // next page and asks the server for its next page too.
    for (let i = 0; i < 60; i++) await ben.engine.send(general, `tofu stall item ${i}`);
    await ben.engine.settled();
    await field(page).fill('tofu');
    const showMore = dialog(page).getByRole('button', { name: 'Show more results' });
    const count = dialog(page).locator('.search-count');
    await eventually(async () => {
      // Fewer than a page held: the server's next page is asked for.
      if ((await moreButton.count()) > 0) await moreButton.click();
      expect(await results(page).count()).toBe(50);
      const said = (await count.count()) > 0 ? await count.innerText() : '(no count)';
      expect(said).toMatch(/^Showing 50 of (5[1-9]|60)( so far)?\.$/);
    }, 30_000);
    await showMore.click();
    await eventually(async () => {
      expect(await results(page).count()).toBe(60);
      expect(await showMore.count()).toBe(0);
      expect(await moreButton.count()).toBe(0);
    }, 30_000);
    await field(page).fill('essay');
    await eventually(async () => expect(await results(page).count()).toBe(4));
    // "Only in #general" keeps to the open conversation: Ben's three (sent within a millisecond or so, so
    // their order among themselves is not asserted).
    await dialog(page).getByLabel('Only in #general').check();
    await eventually(async () => {
      const texts = (await results(page).allInnerTexts()).sort();
      expect(texts).toEqual([
        expect.stringContaining('<img'),
        expect.stringContaining('Essay feedback'),
        expect.stringContaining('The essay deadline'),
      ]);
    });

    // ↓ twice and Enter: the third result, opened at the message.
    await field(page).press('ArrowDown');
    await field(page).press('ArrowDown');
    expect(await results(page).nth(2).getAttribute('aria-selected')).toBe('true');
    const third = await results(page).nth(2).innerText();
    const key = third.includes('<img') ? img : third.includes('feedback') ? older : newer;
    await field(page).press('Enter');
    await dialog(page).waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => location.hash)).toBe(`#/c/${general}/m/${key}`);
    const jumped = (k: string) => page.locator(`.msg[data-key="${k}"].msg-jumped`);
    await jumped(key).waitFor();

    // The server's hit opens its conversation at the message, by click.
    await page.keyboard.press('Control+k');
    await dialog(page).getByRole('button', { name: 'essay' }).click(); // a recent search
    await eventually(async () => expect(await results(page).count()).toBe(4));
    await fromServer.click();
    await page.locator('#pane-title').filter({ hasText: 'trip-planning' }).waitFor();
    expect(await page.evaluate(() => location.hash)).toBe(`#/c/${trips.id}/m/${forms}`);
    await jumped(forms).waitFor();

    // Offline: the device's results stay, with a plain note for the server's part.
    await ctx.setOffline(true);
    await page.keyboard.press('Control+k');
    await field(page).fill('deadline');
    await dialog(page)
      .getByText('Showing what is on this device; connect to search older messages.')
      .waitFor();
    expect(await results(page).allInnerTexts()).toEqual([expect.stringContaining('The essay deadline')]);
    await shot(page, 'offline-desktop');
    await page.keyboard.press('Escape');
    await ctx.setOffline(false);

    // Sign-out forgets the recent searches.
    expect(await page.evaluate(() => localStorage.getItem('commonroom:recent-searches'))).toContain('essay');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Email or username').waitFor();
    await eventually(async () =>
      expect(await page.evaluate(() => localStorage.getItem('commonroom:recent-searches'))).toBeNull(),
    );
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('When: quick choices and a custom range, by the time the message shows, on the device and the server', async () => {
    // The browser's clock is fixed (timers still run) and Pat's device writes at chosen times: a message
    // written 40 days ago (synced now, so the server received it today) and one written 2 days ago.
    const DAY = 86_400_000;
    const now = Date.UTC(2026, 10, 20, 12);
    let writtenAt = now - 40 * DAY;
    const pat = await addUser(env.ts, env.admin, 'tutor', { name: 'Pat Past', now: () => writtenAt });
    const uma = await addUser(env.ts, env.admin, 'student', { name: 'Uma Dates', connect: false });
    const general = channel(pat.engine, 'general');
    await pat.engine.open(general);
    await pat.engine.send(general, 'The wombat club met in the library');
    writtenAt = now - 2 * DAY;
    // Four more then the newest: the old message is in an older segment (4 a segment), which only the
    // server holds for Uma; the newest is in the segment her device loads.
    let again = '';
    for (const t of ['Chairs', 'Tables', 'Lights', 'Projector', 'Wombat club again on Tuesday'])
      again = await pat.engine.send(general, t);
    await pat.engine.settled();

    const ctx = await env.browser.newContext({
      viewport: { width: 1280, height: 800 },
      bypassCSP: true,
      locale: 'en-GB',
    });
    const page = await ctx.newPage();
    await page.clock.setFixedTime(now);
    const errors = watchErrors(page);
    const asked: URLSearchParams[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/search?')) asked.push(new URL(r.url()).searchParams);
    });
    await signIn(page, env.ts.url, uma.email, uma.password);
    await openConversation(page, 'general');
    await page.keyboard.press('Control+k');
    await field(page).fill('wombat');
    const fromServer = results(page).filter({ hasText: 'from the server' });
    await eventually(async () => {
      // Typed as the app opened, the device may not have indexed the newest message yet and the server's
      // copy stands in for it until it has: the search runs again when the index takes it in.
      expect(await results(page).count()).toBe(2);
      // The server's hit shows the time written on it (11 Oct), not when the server received it (today).
      expect(await fromServer.allInnerTexts()).toEqual([
        expect.stringMatching(/^Pat Past in #general · 11 Oct[\s\S]*The wombat club met/),
      ]);
    });

    const when = dialog(page).getByLabel('When');
    await when.selectOption({ label: 'Past 7 days' });
    // Local days: "Past 7 days" starts at midnight six days before today.
    const sixDaysAgo = await page.evaluate((t) => {
      const d = new Date(t);
      return new Date(d.getFullYear(), d.getMonth(), d.getDate() - 6).getTime();
    }, now);
    await eventually(async () => {
      expect(asked.at(-1)?.get('after')).toBe(String(sixDaysAgo));
      expect(await results(page).allInnerTexts()).toEqual([expect.stringContaining('Wombat club again')]);
    });
    await when.selectOption({ label: 'Today' });
    await dialog(page).getByText('No messages match “wombat”.').waitFor();
    expect(await axeSerious(page)).toEqual([]);

    // A custom range around 40 days ago: only the server holds that message, and it alone is found.
    await when.selectOption({ label: 'Choose dates…' });
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    await dialog(page)
      .getByLabel('From date')
      .fill(day(now - 41 * DAY));
    await dialog(page)
      .getByLabel('To date')
      .fill(day(now - 39 * DAY));
    await eventually(async () => {
      expect(asked.at(-1)?.get('before')).not.toBeNull();
      expect(await results(page).allInnerTexts()).toEqual([
        expect.stringMatching(/from the server[\s\S]*The wombat club met/),
      ]);
    });
    // The digits of a date field are in the device's order; the range is also said in words.
    await dialog(page)
      .getByText(/^Sat.* 10 October 2026 to Mon.* 12 October 2026$/)
      .waitFor();
    await shot(page, 'dates-desktop');
    expect(await axeSerious(page)).toEqual([]);
    // The same range with its ends typed the wrong way round finds the same.
    await dialog(page)
      .getByLabel('From date')
      .fill(day(now - 39 * DAY));
    await dialog(page)
      .getByLabel('To date')
      .fill(day(now - 41 * DAY));
    await eventually(async () => expect(await results(page).count()).toBe(1));
    await page.setViewportSize({ width: 390, height: 844 });
    // A phone folds the filters behind a button that says how many are on; open, they are all there.
    await shot(page, 'dates-phone-folded');
    expect(await when.isVisible()).toBe(false);
    await dialog(page).getByRole('button', { name: 'Filters · 1 on' }).click();
    await when.waitFor();
    await shot(page, 'dates-phone');
    expect(await axeSerious(page)).toEqual([]);

    // A reply found opens its thread at the reply (its place in context), on the phone too.
    await when.selectOption({ label: 'Any time' });
    const reply = await pat.engine.send(general, 'Bring quokka snacks', { parent: again });
    await pat.engine.settled();
    await field(page).fill('quokka');
    await eventually(async () =>
      expect(await results(page).allInnerTexts()).toEqual([expect.stringMatching(/\(thread\)[\s\S]*quokka/)]),
    );
    await field(page).press('Enter');
    await dialog(page).waitFor({ state: 'hidden' });
    await page.locator(`.thread-panel .msg[data-key="${reply}"].msg-jumped`).waitFor();
    expect(errors).toEqual([]);
    await ctx.close();
    pat.engine.disconnect();
  });

  it('after a restart, offline: a message of an older segment this device once loaded is found and shown (its segment read from the device)', async () => {
    const cara = await addUser(env.ts, env.admin, 'student', { name: 'Cara Restart', connect: false });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Theo Tutor' });
    const room = await tutor.engine.createChannel('library-news', 'private', 'Library');
    await tutor.engine.api.request('POST', `/api/conversations/${room.id}/members`, z.unknown(), {
      userIds: [cara.id],
    });
    await tutor.engine.open(room.id);
    // Segments of 4: the first message ends up two segments below the newest.
    await tutor.engine.send(room.id, 'The fines amnesty ends on Friday');
    for (let i = 1; i <= 8; i++) await tutor.engine.send(room.id, `Opening hours note ${i}`);
    await tutor.engine.settled();

    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, cara.email, cara.password);
    await openConversation(page, 'library-news');
    // Scrolled back to it: its segments are on the device now, and so in the device's index.
    const amnesty = page.locator('.messages .msg', { hasText: 'fines amnesty' });
    await eventually(async () => {
      if ((await amnesty.count()) > 0) return;
      // The list also loads older history by itself when scrolled to the top: the button may have gone.
      await page
        .getByRole('button', { name: 'Show older messages' })
        .click({ timeout: 2_000 })
        .catch(() => undefined);
      expect(await amnesty.count()).toBeGreaterThan(0);
    }, 20_000);
    await page.keyboard.press('Control+k');
    await field(page).fill('amnesty');
    await eventually(async () =>
      expect(await results(page).allInnerTexts()).toEqual([expect.stringMatching(/fines amnesty/)]),
    );
    await page.keyboard.press('Escape');

    // A restart loads only the newest segment; then the network goes.
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    await page.keyboard.press('Control+k');
    await field(page).fill('amnesty');
    await eventually(async () =>
      expect(await results(page).allInnerTexts()).toEqual([expect.stringMatching(/fines amnesty/)]),
    );
    expect(await results(page).filter({ hasText: 'from the server' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('on a phone: a full-screen dialog with big targets, opened from the conversation list', async () => {
    const zoe = await addUser(env.ts, env.admin, 'student', { name: 'Zoe Phone', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, zoe.email, zoe.password);
    await shot(page, 'button-phone');
    await page.getByRole('button', { name: /^Search/ }).click();
    await field(page).waitFor();
    const box = await dialog(page).boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 390, height: 844 });
    await shot(page, 'empty-phone');
    await field(page).fill('essay');
    await eventually(async () => expect(await results(page).count()).toBeGreaterThan(0));
    await shot(page, 'results-phone');
    // The filters opened, and "From" typed into: its list over the results, within the screen.
    await dialog(page).getByRole('button', { name: 'Filters' }).click();
    const from = dialog(page).getByRole('combobox', { name: 'From' });
    await from.fill('pu');
    const people = dialog(page).getByRole('listbox', { name: 'From: people' });
    await eventually(async () => expect(await people.getByRole('option').count()).toBe(20));
    const list = await people.boundingBox();
    expect((list?.x ?? -1) >= 0 && (list?.x ?? 0) + (list?.width ?? 999) <= 390).toBe(true);
    await shot(page, 'from-typeahead-phone');
    expect(await axeSerious(page)).toEqual([]);
    await from.press('Escape');
    await eventually(async () => {
      for (const b of await results(page).all())
        expect((await b.boundingBox())?.height).toBeGreaterThanOrEqual(44);
    });
    expect(await axeSerious(page)).toEqual([]);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('"Show more results" also asks the server for its next page when the held results run short', async () => {
    // 70 messages the device never loaded (older segments): the server holds them, 30 a page.
    const yan = await addUser(env.ts, env.admin, 'student', { name: 'Yan Reader', connect: false });
    const zoe = await addUser(env.ts, env.admin, 'student', { name: 'Zoe Sender' });
    const general = channel(zoe.engine, 'general');
    await zoe.engine.open(general);
    for (let i = 0; i < 70; i++) await zoe.engine.send(general, `kiwi fundraiser note ${i}`);
    await zoe.engine.settled();
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, yan.email, yan.password);
    await openConversation(page, 'general');
    await page.keyboard.press('Control+k');
    await field(page).fill('kiwi');
    const moreButton = dialog(page).getByRole('button', { name: 'More results from the server' });
    const showMore = dialog(page).getByRole('button', { name: 'Show more results' });
    // Fewer than a page held: the server's button asks for its next page.
    await moreButton.click();
    await eventually(async () => {
      expect(await results(page).count()).toBe(50);
      expect(await dialog(page).locator('.search-count').innerText()).toBe('Showing 50 of 60 so far.');
    });
    expect(await moreButton.count()).toBe(0);
    // One click shows the held ten and brings the server's last page: no second button to find.
    await showMore.click();
    await eventually(async () => {
      expect(await results(page).count()).toBe(70);
      expect(await moreButton.count()).toBe(0);
      expect(await showMore.count()).toBe(0);
    });
    expect(await field(page).evaluate((el) => el === document.activeElement)).toBe(true);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('a message that arrives while a search is shown joins its results, without typing again', async () => {
    const vic = await addUser(env.ts, env.admin, 'student', { name: 'Vic Watcher', connect: false });
    const wes = await addUser(env.ts, env.admin, 'student', { name: 'Wes Writer' });
    const general = channel(wes.engine, 'general');
    await wes.engine.open(general);
    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, vic.email, vic.password);
    await openConversation(page, 'general');
    await page.keyboard.press('Control+k');
    await field(page).fill('platypus');
    // Asked once, of the device and the server: nothing yet.
    await dialog(page).getByText('No messages match “platypus”.').waitFor();
    await wes.engine.send(general, 'The platypus club meets on Friday');
    await wes.engine.settled();
    // It reaches Vic's device, the device's index takes it in, and the search on screen runs again.
    await eventually(async () => {
      expect(await results(page).allInnerTexts()).toEqual([expect.stringContaining('platypus club')]);
    }, 20_000);
    expect(await results(page).filter({ hasText: 'from the server' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
