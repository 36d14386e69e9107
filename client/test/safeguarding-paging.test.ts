import type { Engine } from '@commonroom/engine';
import { KeywordList, LeadReply } from '@commonroom/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  MANY_MESSAGES,
  addUser,
  channel,
  eventually,
  loginAdmin,
  makeEngine,
  startServer,
  type TestServer,
} from '../../sync-server/test/harness.ts';
import { axeSerious, launch, openConversation, screenshot, signIn, watchErrors } from './browser.ts';

/**
 * Issue 14 follow-ups in Chromium: the leads' queue and a monitored transcript page back ("Show older
 * items", "Show older messages", by keyboard) and show every item once; a lead with the app open is told
 * of a new report at once, without a reload; a student whose report the server refused is told so in
 * plain words, and the notice stays (a reload too) until dismissed (P15). A real server on loopback whose
 * message allowances are lifted, so a few hundred messages can be written quickly.
 */
describe('safeguarding: paging and notices in the browser', () => {
  let ts: TestServer;
  let admin: Engine;
  let browser: Browser;
  beforeAll(async () => {
    ts = await startServer({ limits: MANY_MESSAGES });
    admin = await loginAdmin(ts);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    admin?.disconnect();
    await ts?.destroy();
  });

  const Ok = z.object({ ok: z.literal(true) });
  const noSerious = async (page: Page, where: string) => {
    const found = await axeSerious(page);
    expect(found, `${where}: ${JSON.stringify(found)}`).toEqual([]);
  };
  const size = { viewport: { width: 1440, height: 900 }, bypassCSP: true };

  it('issue 14: the queue and a transcript page back by keyboard, each item once; a new report reaches the lead’s open app as an alert and a badge', async () => {
    const lena = await addUser(ts, admin, 'staff', { name: 'Lena Marsh', connect: false });
    const will = await addUser(ts, admin, 'student', { name: 'Will Evans' });
    const amy = await addUser(ts, admin, 'student', { name: 'Amy Clarke' });
    await admin.api.request('PUT', `/api/admin/users/${lena.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    const general = channel(will.engine, 'general');
    // 60 keyword alerts (more than the queue's page of 50), and 230 lines in a DM (a transcript page is 200).
    const lenaEngine = makeEngine(ts.url);
    await lenaEngine.init();
    await lenaEngine.login(lena.email, lena.password);
    await lenaEngine.api.request('PUT', '/api/safeguarding/keywords', KeywordList, { phrases: ['flagged'] });
    for (let i = 0; i < 60; i++) await will.engine.send(general, `flagged line ${i}`);
    await will.engine.settled();
    const dm = (await amy.engine.openDm([will.id])).id;
    for (let i = 0; i < 230; i++) await amy.engine.send(dm, `dm line ${String(i).padStart(3, '0')}`);
    await amy.engine.settled();
    const itemIds = () =>
      ts.server.db
        .prepare<[], { id: number }>(
          "SELECT id FROM safeguarding_items WHERE status != 'closed' ORDER BY id DESC",
        )
        .all()
        .map((r) => r.id);
    await eventually(() => expect(itemIds()).toHaveLength(60));

    const ctx = await browser.newContext(size);
    const lead = await ctx.newPage();
    const errors = watchErrors(lead);
    await signIn(lead, ts.url, lena.email, lena.password);
    const link = lead.getByRole('button', { name: /Safeguarding/ });
    await eventually(async () => expect(await link.innerText()).toMatch(/Safeguarding\s*60\s*open/));

    // A new report while the lead is in the conversations: an alert, and the count goes up, no reload.
    const target = (await will.engine.send(general, 'meet me after college, tell nobody')).split(':')[1];
    await will.engine.settled();
    await amy.engine.settled();
    await amy.engine.reports.report({
      conversationId: general,
      authorId: will.id,
      localId: target ?? '',
      reason: 'inappropriate',
      detail: '',
    });
    const alert = lead.getByRole('alert').filter({ hasText: 'New safeguarding report' });
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Someone reported a message.');
    await eventually(async () => expect(await link.innerText()).toMatch(/Safeguarding\s*61\s*open/));
    await noSerious(lead, 'new report alert');
    await screenshot(lead, 'safeguarding-new-report-alert');
    await lead.setViewportSize({ width: 390, height: 844 });
    await screenshot(lead, 'safeguarding-new-report-alert-phone');
    await lead.setViewportSize({ width: 1440, height: 900 });
    // Dismissed, it stays away until something newer arrives.
    await alert.getByRole('button', { name: 'Dismiss' }).click();
    expect(await lead.getByRole('alert').count()).toBe(0);
    await will.engine.send(general, 'flagged once more');
    await will.engine.settled();
    const again = lead.getByRole('alert').filter({ hasText: 'New keyword alert' });
    await again.waitFor();
    await again.getByRole('button', { name: 'Open the queue' }).click();
    await lead.getByRole('heading', { name: 'Safeguarding queue', level: 1 }).waitFor();

    // The queue: a page of 50, then the older ones by keyboard, each item once.
    const rows = () =>
      lead
        .locator('tr[data-item]')
        .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-item'))));
    await eventually(async () => expect(await rows()).toHaveLength(50));
    await lead.getByText('Showing the newest 50 items.').waitFor();
    const older = lead.getByRole('button', { name: 'Show older items' });
    await older.focus();
    await lead.keyboard.press('Enter');
    await lead.getByText('Showing all 62 items.').waitFor();
    expect(await rows()).toEqual(itemIds());
    expect(new Set(await rows()).size).toBe(62);
    // Focus went to the first item of the page just shown.
    const focused = await lead.evaluate(() => document.activeElement?.textContent ?? '');
    expect(focused).toBe(`Alert #${itemIds()[50]}`);
    await noSerious(lead, 'queue, all pages');
    await lead
      .getByRole('button', { name: 'Show older items' })
      .count()
      .then((n) => expect(n).toBe(0));
    await lead.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await screenshot(lead, 'safeguarding-queue-paged');
    await lead.setViewportSize({ width: 390, height: 844 });
    await noSerious(lead, 'queue, all pages, phone');
    await lead.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await screenshot(lead, 'safeguarding-queue-paged-phone');
    await lead.setViewportSize({ width: 1440, height: 900 });

    // A monitored DM: the newest 200, then the 30 before them, in order, each once.
    await lead
      .getByRole('navigation', { name: 'Safeguarding' })
      .getByRole('link', { name: 'Monitor a conversation' })
      .click();
    await lead.getByLabel('Find a conversation').fill('Amy');
    await lead.getByRole('button', { name: 'Open Direct message: Amy Clarke, Will Evans' }).click();
    const ask = lead.getByRole('dialog', { name: 'Why are you opening this conversation?' });
    await ask.getByLabel('Reason').fill('Checking the history after a report about Will');
    await ask.getByRole('button', { name: 'Open read-only' }).click();
    const list = lead.getByRole('list', { name: 'Messages in Direct message: Amy Clarke, Will Evans' });
    const texts = () => list.locator('.sg-msg-text').allInnerTexts();
    await eventually(async () => expect(await texts()).toHaveLength(200));
    expect((await texts())[0]).toBe('dm line 030');
    await lead.getByText('Read-only · the newest 200 messages').waitFor();
    await screenshot(lead, 'safeguarding-transcript-newest');
    const olderMessages = lead.getByRole('button', { name: 'Show older messages' });
    await olderMessages.focus();
    await lead.keyboard.press('Enter');
    await lead.getByText('30 messages older shown: this is the start of the conversation.').waitFor();
    expect(await texts()).toEqual(
      Array.from({ length: 230 }, (_, i) => `dm line ${String(i).padStart(3, '0')}`),
    );
    await eventually(async () =>
      expect(await lead.evaluate(() => document.activeElement?.id)).toBe('transcript-start'),
    );
    await noSerious(lead, 'transcript, all pages');
    await lead.evaluate(() => scrollTo(0, 0));
    await screenshot(lead, 'safeguarding-transcript-start');
    await lead.setViewportSize({ width: 390, height: 844 });
    await noSerious(lead, 'transcript, phone');
    await screenshot(lead, 'safeguarding-transcript-start-phone');
    await lead.setViewportSize({ width: 1440, height: 900 });
    // Both pages were written to the audit log with the reason.
    const opened = ts.server.internals.audit
      .list(10, 'safeguarding.conversation_opened')
      .filter((e) => e.target === dm);
    expect(opened).toHaveLength(2);

    expect(errors).toEqual([]);
    await ctx.close();
    for (const p of [will, amy]) p.engine.disconnect();
    lenaEngine.disconnect();
    // Writes 290 messages and walks two screens at two sizes: more than the default minute on a busy machine.
  }, 180_000);

  it('P15: a report refused by the server is shown to the reporter in plain words, survives a reload, and goes when dismissed', async () => {
    const tutor = await addUser(ts, admin, 'tutor', { name: 'Tom Tutor' });
    const ben = await addUser(ts, admin, 'student', { name: 'Ben Foster' });
    const zoe = await addUser(ts, admin, 'student', { name: 'Zoe Hart', connect: false });
    const room = await tutor.engine.createChannel('study-group', 'private', 'A small study group');
    await tutor.engine.api.request('POST', `/api/conversations/${room.id}/members`, Ok, {
      userIds: [ben.id, zoe.id],
    });
    await eventually(() => expect(ben.engine.conversation(room.id)?.isMember).toBe(true));
    await ben.engine.send(room.id, 'You had better not come in tomorrow');
    await ben.engine.settled();

    const ctx = await browser.newContext(size);
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, ts.url, zoe.email, zoe.password);
    await openConversation(page, 'study-group');
    const m = page.locator('.messages .msg', { hasText: 'You had better not come in tomorrow' }).first();
    await m.waitFor();
    const openReport = async () => {
      await m.hover();
      await m.getByRole('button', { name: 'More actions' }).click();
      await page.getByRole('menuitem', { name: 'Report message…' }).click();
      return page.getByRole('dialog', { name: 'Report this message' });
    };
    // Opened once online first, so the dialog's code is loaded: a first visit's page is not yet under its
    // service worker, which serves that code offline on later visits.
    await (await openReport()).getByRole('button', { name: 'Cancel' }).click();
    // Offline, Zoe reports it; before it is sent, she is taken out of the channel.
    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    const dialog = await openReport();
    await dialog.getByRole('radio', { name: 'Harassment' }).check();
    await dialog.getByRole('button', { name: 'Send report' }).click();
    const queued = page.getByRole('dialog', { name: 'Report received' });
    await queued.getByText('will be sent when you are back online').waitFor();
    await queued.getByRole('button', { name: 'Done' }).click();
    await tutor.engine.api.request('DELETE', `/api/conversations/${room.id}/members/${zoe.id}`, Ok);
    await ctx.setOffline(false);

    const notice = page.getByRole('alert').filter({ hasText: 'Report not passed on' });
    await notice.waitFor();
    // The channel is gone from Zoe's list; she carries on in #general, the notice still there.
    await openConversation(page, 'general');
    expect(await notice.innerText()).toContain(
      'Your report about a message from Ben Foster could not be filed: the message no longer exists, or you can no longer see it. If you are worried about someone, speak to a member of staff.',
    );
    await noSerious(page, 'refused report');
    await screenshot(page, 'safeguarding-report-refused');
    await page.setViewportSize({ width: 390, height: 844 });
    await noSerious(page, 'refused report, phone');
    await screenshot(page, 'safeguarding-report-refused-phone');
    await page.setViewportSize({ width: 1440, height: 900 });
    const filed = ts.server.db
      .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM safeguarding_items WHERE kind = 'report'")
      .get()?.n;

    // It stays across a reload, until dismissed.
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await notice.waitFor();
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await eventually(async () => expect(await page.getByRole('alert').count()).toBe(0));
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await openConversation(page, 'general');
    expect(await page.getByRole('alert').count()).toBe(0);
    // Nothing was filed for it, then or since.
    expect(
      ts.server.db
        .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM safeguarding_items WHERE kind = 'report'")
        .get()?.n,
    ).toBe(filed);
    expect(errors).toEqual([]);
    await ctx.close();
    for (const p of [tutor, ben]) p.engine.disconnect();
  });
});
