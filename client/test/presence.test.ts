import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUser,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  type TestServer,
} from '../../sync-server/test/harness.ts';
import {
  pushServerOptions,
  pushesTo,
  startPushService,
  withoutQuietHours,
} from '../../sync-server/test/push-harness.ts';
import { launch, signIn, watchErrors } from './browser.ts';
import { subscribeWithTestKeys } from './push-browser.ts';

/**
 * Issue 15 §3, §4 in Chromium, two people: a custom status set from the sidebar is shown to the other (DM
 * header, profile card); do not disturb holds back the push of a DM (a real push service on loopback
 * receives and decrypts what the server sends); "is typing…" is gone the moment the message shows.
 * Screenshots at phone and desktop size go to /work/shots/h15p/.
 */

const SHOTS = '/work/shots/h15p';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
async function sendAs(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
  await page.locator('.messages .msg .text', { hasText: text }).waitFor();
}

const shot = async (page: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
};

describe('presence and typing between two people in the browser (issue 15 §3, §4)', () => {
  let ts: TestServer;
  let browser: Browser;
  let push: Awaited<ReturnType<typeof startPushService>>;
  beforeAll(async () => {
    push = await startPushService();
    ts = await startServer(pushServerOptions());
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await ts?.destroy();
    push?.server.close();
  });

  it('a status shows to the other, DND holds back the push, typing clears as the message arrives', async () => {
    const admin = await loginAdmin(ts);
    await withoutQuietHours(admin);
    const amy = await addUser(ts, admin, 'student', { name: 'Amy Clarke', connect: false });
    const ben = await addUser(ts, admin, 'student', { name: 'Ben Ortiz', connect: false });
    const dm = (await amy.engine.openDm([ben.id])).id;
    const amyCtx = await browser.newContext({ viewport: DESKTOP });
    const benCtx = await browser.newContext({ viewport: PHONE });
    const a = await amyCtx.newPage();
    const b = await benCtx.newPage();
    const errors = watchErrors(a, b);
    await signIn(a, ts.url, amy.email, amy.password);
    await signIn(b, ts.url, ben.email, ben.password);
    await a.goto(`${ts.url}/#/c/${dm}`);
    await b.goto(`${ts.url}/#/c/${dm}`);
    await a.locator('#pane-title').filter({ hasText: 'Ben Ortiz' }).waitFor();
    await b.locator('#pane-title').filter({ hasText: 'Amy Clarke' }).waitFor();

    // Typing: shown to Amy while Ben types, and never together with his message once it shows.
    const typingLine = a.getByTestId('typing');
    await a.evaluate(() => {
      const w = window as unknown as { both: boolean[] };
      w.both = [];
      new MutationObserver(() => {
        const arrived = [...document.querySelectorAll('.messages .msg .text')].some(
          (e) => e.textContent === 'On my way',
        );
        const typing = (document.querySelector('[data-testid="typing"]')?.textContent ?? '') !== '';
        if (arrived) w.both.push(typing);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const box = b.getByLabel('Message', { exact: true });
    await box.fill('On my way');
    await eventually(async () => expect(await typingLine.innerText()).toBe('Ben Ortiz is typing…'));
    await shot(a, 'typing-desktop');
    await box.press('Enter');
    await a.locator('.messages .msg .text', { hasText: 'On my way' }).waitFor();
    const both = await a.evaluate(() => (window as unknown as { both: boolean[] }).both);
    expect(both.length).toBeGreaterThan(0);
    expect(both.every((typing) => !typing)).toBe(true);

    // Amy sets a status with DND from the sidebar; Ben sees it in the DM's header and on her card.
    await a.getByRole('button', { name: 'Set a status' }).click();
    const dialog = a.getByRole('dialog', { name: 'Your status' });
    await dialog.getByRole('button', { name: 'In class' }).click();
    await dialog.getByLabel('What are you up to?').fill('In class until 3pm');
    await dialog.getByLabel('Clear after').selectOption('today');
    await dialog.getByLabel(/Do not disturb/).check();
    await shot(a, 'status-dialog-desktop');
    await a.setViewportSize(PHONE);
    await shot(a, 'status-dialog-phone');
    await a.setViewportSize(DESKTOP);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await a.getByRole('button', { name: '📚 In class until 3pm' }).waitFor();
    const header = b.getByTestId('dm-presence');
    await eventually(async () =>
      expect(await header.innerText()).toBe('📚 In class until 3pm · Do not disturb'),
    );
    await shot(b, 'dm-header-phone');
    await sendAs(a, 'See you at 3');
    await b.locator('.messages .msg .text', { hasText: 'See you at 3' }).waitFor();
    await b.locator('.msg .author', { hasText: 'Amy Clarke' }).first().click();
    const card = b.getByTestId('profile-card');
    await card.waitFor();
    expect(await card.innerText()).toContain('📚 In class until 3pm · Do not disturb');
    expect(await card.innerText()).toContain('Student');
    await shot(b, 'profile-card-phone');
    await b.setViewportSize(DESKTOP);
    await shot(b, 'profile-card-desktop');
    await b.keyboard.press('Escape');
    await shot(b, 'dm-header-desktop');
    // The member list and the people picker say the same.
    await b.getByRole('button', { name: '2 members' }).click();
    const members = b.getByRole('list', { name: 'Members' });
    await eventually(async () =>
      expect(await members.innerText()).toContain('📚 In class until 3pm · Do not disturb'),
    );
    await shot(b, 'members-desktop');
    await b.setViewportSize(PHONE);
    await shot(b, 'members-phone');
    await b.keyboard.press('Escape');

    // DND: Amy's browser subscribes (its session, so it is this device), then closes the app. Ben's DM
    // pushes nothing; once her DND is cleared, his next DM reaches the push service.
    const sub = await subscribeWithTestKeys(a, `${push.url}/push/amy-laptop`);
    await a.goto('about:blank');
    const sendAsBen = (text: string) => sendAs(b, text);
    await sendAsBen('Are you free?');
    // Stored (acknowledged, no longer waiting to send) before DND is cleared: the push is decided as the
    // server stores the message, so an unacknowledged one could still be stored after the clearing.
    const freeMsg = b.locator('.messages .msg', { hasText: 'Are you free?' });
    await eventually(async () =>
      expect(await freeMsg.locator('[data-status]').getAttribute('data-status')).toBe('sent'),
    );
    const amyPhone = makeEngine(ts.url);
    await amyPhone.init();
    await amyPhone.login(amy.email, amy.password);
    amyPhone.connect();
    await amyPhone.settled();
    amyPhone.setStatus({ dnd: false, emoji: '', text: '', until: 0 });
    await eventually(async () => expect(await header.innerText()).toBe('Active'));
    amyPhone.disconnect();
    await eventually(async () => expect(await header.innerText()).toMatch(/^Last seen/));
    await sendAsBen('Now?');
    await eventually(() => expect(push.received.length).toBeGreaterThan(0));
    const bodies = pushesTo(push.received, sub).map((p) => p.body);
    // The DM sent under DND was never pushed; the one after was.
    expect(bodies).toEqual(['Now?']);
    expect(errors).toEqual([]);
    admin.disconnect();
    await amyCtx.close();
    await benCtx.close();
  });
});
