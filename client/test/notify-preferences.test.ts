import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, channel, eventually, makeEngine } from '../../sync-server/test/harness.ts';
import type { browserSubscription } from '../../sync-server/test/push-harness.ts';
import { pushesTo } from '../../sync-server/test/push-harness.ts';
import { SCREENSHOTS, axeSerious, screenshot, signIn, watchErrors } from './browser.ts';
import { subscribeWithTestKeys, usePushBrowserEnv } from './push-browser.ts';

/**
 * Issue 15 §2 in Chromium, with a real server sending to a push service on loopback (headless Chromium
 * has no push service of its own, so each "device" subscribes with keys the test holds, from the page's own
 * session): a conversation muted from its header sends no notification and leaves the badge total; quiet
 * hours set in Admin → Settings and narrowed on the profile page hold on the server's injected clock; mark
 * all as read from the sidebar's menus, online and offline, reaches the person's other device.
 */

/** The server's clock: real time shifted to a moment a test sets, moving on from there; only forward. */
let offset = 0;
const setClock = (iso: string) => {
  offset = Date.parse(iso) - Date.now();
};
const now = () => Date.now() + offset;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** Saved for the test artifacts and for the design review (/work/shots/h15s when it exists). */
async function shot(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const review = process.env.SHOTS_DIR;
  if (review) {
    mkdirSync(review, { recursive: true });
    copyFileSync(join(SCREENSHOTS, `${name}.png`), join(review, `${name}.png`));
  }
}

describe('notification preferences in the browser', () => {
  const env = usePushBrowserEnv(now);

  /** This page's session registers a device with keys the test holds. */
  const subscribe = (page: Page, name: string) => subscribeWithTestKeys(page, `${env.push.url}/push/${name}`);
  /** The app closed on this device: once the server has seen its socket go, the device is pushed to. */
  const closeApp = async (page: Page, userId: string) => {
    await page.goto('about:blank');
    await eventually(() => expect(env.ts.server.internals.hub.sessionsOf(userId)).toHaveLength(0));
  };
  const bodies = (sub: ReturnType<typeof browserSubscription>, from: number) =>
    pushesTo(env.push.received, sub, from).map((p) => p.body);
  const send = async (e: Engine, conversationId: string, text: string) => {
    await e.send(conversationId, text);
    await e.settled();
  };
  /** A sidebar entry: a channel by name, a DM by id. */
  const conv = (page: Page, key: string) => page.locator(`.sidebar .conv[data-conversation="${key}"]`);
  /** On a phone the list and an open conversation are two screens: back to the list. */
  const toList = async (page: Page) => {
    const back = page.getByRole('button', { name: 'Back to conversations' });
    if (await back.isVisible()) await back.click();
  };
  const newContext = async (viewport = DESKTOP): Promise<BrowserContext> =>
    env.browser.newContext({ viewport, bypassCSP: true });

  it('issue 15: a conversation muted from its header sends no notification, leaves the badge total and shows muted', async () => {
    setClock('2026-12-07T12:00:00Z');
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Mute Amy', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Mute Ben' });
    const cara = await addUser(env.ts, env.admin, 'student', { name: 'Mute Cara' });
    const fromBen = (await ben.engine.openDm([amy.id])).id;
    const fromCara = (await cara.engine.openDm([amy.id])).id;
    await send(ben.engine, fromBen, 'Lunch at 1?');

    const ctx = await newContext();
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    const sub = await subscribe(page, 'amy-mute');
    await conv(page, fromBen).click();
    await page.getByRole('button', { name: 'Notifications' }).click();
    const dialog = page.getByRole('dialog', { name: 'Notifications for this conversation' });
    await dialog.getByText('Now mentions and direct messages, as set on your profile page.').waitFor();
    await dialog.getByRole('radio', { name: /Muted/ }).check();
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'h15s-notify-dialog-desktop');
    await page.setViewportSize(PHONE);
    await shot(page, 'h15s-notify-dialog-phone');
    await page.setViewportSize(DESKTOP);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Notifications: muted' }).waitFor();
    await conv(page, fromBen).getByRole('img', { name: 'muted' }).waitFor();
    expect(await conv(page, fromCara).getByRole('img', { name: 'muted' }).count()).toBe(0);

    // The app closed: Ben's DM (muted) pushes nothing; Cara's does.
    await closeApp(page, amy.id);
    const from = env.push.received.length;
    await send(ben.engine, fromBen, 'Are you there?');
    await send(cara.engine, fromCara, 'Notes from today');
    await eventually(() => expect(bodies(sub, from)).toContain('Notes from today'));
    expect(bodies(sub, from)).toEqual(['Notes from today']);

    // Back in the app: both are unread, but only Cara's counts in the tab's (and icon's) total.
    await page.goto(env.ts.url);
    await eventually(async () => expect(await conv(page, fromBen).innerText()).toContain('1 unread'));
    await eventually(async () => expect(await page.title()).toMatch(/^\(1\) /));
    await shot(page, 'h15s-sidebar-muted-desktop');
    await page.setViewportSize(PHONE);
    await page.reload();
    await conv(page, fromBen).waitFor({ state: 'attached' });
    await toList(page);
    await conv(page, fromBen).waitFor();
    await shot(page, 'h15s-sidebar-muted-phone');
    expect(errors).toEqual([]);
    await ctx.close();
    for (const p of [ben, cara]) p.engine.disconnect();
  });

  it('issue 15: quiet hours set by an admin and narrowed by a student hold on the server’s clock', async () => {
    setClock('2026-12-07T13:00:00Z');
    // The admin sets students' quiet hours to 21:00–08:00 in Admin → Settings.
    const actx = await newContext();
    const admin = await actx.newPage();
    const errors = watchErrors(admin);
    await signIn(admin, env.ts.url, ADMIN.email, ADMIN.password);
    await admin.goto(`${env.ts.url}/admin/settings`);
    const card = admin.getByRole('group', { name: 'Quiet hours' });
    await card.getByRole('checkbox', { name: 'Quiet hours for students' }).waitFor();
    const students = card.locator('.quiet-group').first();
    await students.getByLabel('From', { exact: true }).fill('21:00');
    await students.getByLabel('To', { exact: true }).fill('08:00');
    await admin.getByRole('button', { name: 'Save quiet hours' }).click();
    await admin.getByText('Quiet hours saved. They apply to the next message sent.').waitFor();
    expect(env.ts.server.internals.settings.quietHours()).toEqual({
      timeZone: 'Europe/London',
      students: { start: 21 * 60, end: 8 * 60 },
      staff: null,
    });
    await card.scrollIntoViewIfNeeded();
    expect(await axeSerious(admin)).toEqual([]);
    await shot(admin, 'h15s-admin-quiet-hours-desktop');
    await admin.setViewportSize(PHONE);
    await card.scrollIntoViewIfNeeded();
    await shot(admin, 'h15s-admin-quiet-hours-phone');
    await actx.close();

    // Sam may shorten them on his profile page, not lengthen them.
    const sam = await addUser(env.ts, env.admin, 'student', { name: 'Quiet Sam', connect: false });
    const ctx = await newContext();
    const page = await ctx.newPage();
    errors.push(...watchErrors(page));
    await signIn(page, env.ts.url, sam.email, sam.password);
    const sub = await subscribe(page, 'sam-quiet');
    await page.goto(`${env.ts.url}/profile`);
    const prefs = page.getByRole('form', { name: 'What you are notified of' });
    await prefs.getByRole('radio', { name: 'The college’s: 21:00 to 08:00' }).waitFor();
    expect(await prefs.getByRole('radio', { name: 'None' }).count()).toBe(0);
    await prefs.getByRole('radio', { name: /Shorter ones of my own/ }).check();
    await prefs.getByLabel('From', { exact: true }).fill('23:00');
    await prefs.getByLabel('To', { exact: true }).fill('09:00');
    await prefs.getByRole('button', { name: 'Save notification settings' }).click();
    await prefs.getByText('Your quiet hours must fit inside the college’s, 21:00 to 08:00.').waitFor();
    await prefs.getByLabel('To', { exact: true }).fill('07:00');
    await prefs.getByRole('button', { name: 'Save notification settings' }).click();
    await prefs.getByText('Saved. Quiet hours: 23:00 to 07:00.').waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await prefs.scrollIntoViewIfNeeded();
    await shot(page, 'h15s-profile-notify-desktop');
    await page.setViewportSize(PHONE);
    await prefs.scrollIntoViewIfNeeded();
    await shot(page, 'h15s-profile-notify-phone');
    await closeApp(page, sam.id);

    // A teacher's DM at 23:30 waits (his quiet hours); at 07:30 (inside the college's, past his) it comes.
    const tess = await addUser(env.ts, env.admin, 'teacher', { name: 'Quiet Tess' });
    const dm = (await tess.engine.openDm([sam.id])).id;
    setClock('2026-12-07T23:30:00Z');
    let from = env.push.received.length;
    await send(tess.engine, dm, 'Late reminder');
    setClock('2026-12-08T07:30:00Z');
    await send(tess.engine, dm, 'Morning reminder');
    await eventually(() => expect(bodies(sub, from)).toContain('Morning reminder'));
    expect(bodies(sub, from)).toEqual(['Morning reminder']);
    // Both are in the app, unread, when Sam opens it.
    from = env.push.received.length;
    await page.goto(env.ts.url);
    await eventually(async () => expect(await conv(page, dm).innerText()).toContain('2 unread'));
    expect(errors).toEqual([]);
    await ctx.close();
    tess.engine.disconnect();
  });

  it('issue 15: mark all as read, per section and for the workspace, works offline and reaches the other device', async () => {
    setClock('2026-12-08T12:00:00Z');
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Read Amy', connect: false });
    const ben = await addUser(env.ts, env.admin, 'teacher', { name: 'Read Ben' });
    // Not #general: the app opens it at start on a desktop, which reads it.
    const club = (await ben.engine.createChannel('reading-club', 'public')).id;
    await amy.engine.join(club);
    const announcements = channel(ben.engine, 'announcements');
    const dm = (await ben.engine.openDm([amy.id])).id;
    await send(ben.engine, club, 'Room change for Thursday');
    await send(ben.engine, announcements, 'Open evening next week');
    await send(ben.engine, dm, 'Can you stay after class?');

    const ctx = await newContext();
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    for (const key of ['reading-club', 'announcements', dm])
      await eventually(async () => expect(await conv(page, key).innerText()).toContain('unread'));

    // Channels: the heading's menu marks both channels read; the DM stays unread.
    await page.getByRole('button', { name: 'Channels: more' }).click();
    const item = page.getByRole('menuitem', { name: 'Mark all as read' });
    await item.waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await shot(page, 'h15s-sidebar-menu-desktop');
    await item.click();
    for (const key of ['reading-club', 'announcements'])
      await eventually(async () => expect(await conv(page, key).innerText()).not.toContain('unread'));
    expect(await conv(page, dm).innerText()).toContain('1 unread');
    await page.getByRole('button', { name: 'Channels: more' }).click();
    await page.getByRole('menuitem', { name: 'Nothing unread' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'hidden' });

    // Offline, the workspace's menu marks everything read on this device; it syncs when back online.
    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    await page.setViewportSize(PHONE);
    await toList(page);
    await page.getByRole('button', { name: 'Workspace: more' }).click();
    await shot(page, 'h15s-sidebar-menu-phone');
    await page.getByRole('menuitem', { name: 'Mark all as read' }).click();
    await eventually(async () => expect(await conv(page, dm).innerText()).not.toContain('unread'));
    await eventually(async () => expect(await page.title()).not.toMatch(/^\(/));
    await ctx.setOffline(false);

    // Amy's other device hears of it: nothing unread there either.
    const other = makeEngine(env.ts.url);
    await other.init();
    await other.login(amy.email, amy.password);
    other.connect();
    await other.settled();
    for (const id of [club, announcements, dm]) await other.open(id);
    await eventually(() =>
      expect([club, announcements, dm].map((id) => other.view(id).unread)).toEqual([0, 0, 0]),
    );
    expect(errors).toEqual([]);
    other.disconnect();
    ben.engine.disconnect();
    await ctx.close();
  });

  it('issue 15: changing a conversation’s notifications offline says it needs the network', async () => {
    const zoe = await addUser(env.ts, env.admin, 'student', { name: 'Offline Zoe', connect: false });
    const ctx = await newContext(PHONE);
    const page = await ctx.newPage();
    await signIn(page, env.ts.url, zoe.email, zoe.password);
    await conv(page, 'general').click();
    // A phone header keeps notifications in "More" (issue 18).
    await page.getByRole('button', { name: 'More for #general' }).click();
    await page.getByRole('menuitem', { name: 'Notifications…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Notifications for #general' });
    await dialog.getByRole('radio', { name: /Mentions only/ }).check();
    await ctx.setOffline(true);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('You are offline. Changing notifications needs the network').waitFor();
    await ctx.setOffline(false);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'More for #general' }).click();
    await page.getByRole('menuitem', { name: 'Notifications: mentions…' }).waitFor();
    expect(env.ts.server.internals.notifyPrefs.conversation(zoe.id, channel(env.admin, 'general'))).toBe(
      'mentions',
    );
    await ctx.close();
  });
});
