import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/**
 * Issue 14 §1, §2, §5, §6 in Chromium at 1440×900: an admin makes a staff member a safeguarding lead; a
 * student reports a message (once online, once offline and delivered later); the lead sees both in the
 * queue with context, changes status, assigns and adds a note; edits the keyword list and sees an alert
 * arrive; opens a DM with a reason, and the audit entry appears in the admin's audit log.
 */
describe('safeguarding in the browser', () => {
  const env = useServerAndBrowser();

  const items = (kind: string) =>
    env.ts.server.db
      .prepare<[string], { id: number; local_id: string; status: string }>(
        'SELECT id, local_id, status FROM safeguarding_items WHERE kind = ? ORDER BY id',
      )
      .all(kind);
  const msg = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text }).first();
  const report = async (page: Page, text: string, reason: string, detail: string, shot?: string) => {
    const m = msg(page, text);
    await m.hover();
    await m.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Report message…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Report this message' });
    await dialog.getByRole('radio', { name: reason }).check();
    await dialog.getByLabel('Anything else we should know? (optional)').fill(detail);
    if (shot) await screenshot(page, shot);
    await dialog.getByRole('button', { name: 'Send report' }).click();
    return page.getByRole('dialog', { name: 'Report received' });
  };

  it('issue 14: report (online and offline) → the lead’s queue with context → status, assignee, note; keywords; monitoring a DM is audited', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Clarke' });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Foster' });
    const lena = await addUser(env.ts, env.admin, 'staff', { name: 'Lena Marsh', connect: false });
    const general = channel(ben.engine, 'general');
    // One at a time, so the server's order is the order written here.
    const lines: [typeof amy, string][] = [
      [amy, 'Is the library open on Saturday?'],
      [ben, 'Nobody wants you in this group, just leave'],
      [amy, 'That is not nice.'],
      [ben, 'Everyone is laughing at you'],
    ];
    for (const [who, text] of lines) {
      await who.engine.send(general, text);
      await who.engine.settled();
    }
    const dm = await amy.engine.openDm([ben.id]);
    await amy.engine.send(dm.id, 'Please stop sending me messages');
    await amy.engine.settled();

    const size = { viewport: { width: 1440, height: 900 }, bypassCSP: true };
    const actx = await env.browser.newContext(size);
    const sctx = await env.browser.newContext(size);
    const lctx = await env.browser.newContext(size);
    const adminPage = await actx.newPage();
    const student = await sctx.newPage();
    const lead = await lctx.newPage();
    const errors = watchErrors(adminPage, student, lead);
    const noSerious = async (page: Page, where: string) => {
      const serious = await axeSerious(page);
      expect(serious, `${where}: ${JSON.stringify(serious)}`).toEqual([]);
    };

    // §1: the admin makes Lena a safeguarding lead from her page, confirmed and audited.
    await signIn(adminPage, env.ts.url, ADMIN.email, ADMIN.password);
    await adminPage.goto(`${env.ts.url}/admin/people/${lena.id}`);
    await adminPage.getByRole('heading', { name: 'Lena Marsh', level: 1 }).waitFor();
    await adminPage.getByRole('button', { name: 'Make safeguarding lead' }).click();
    await adminPage
      .getByRole('dialog', { name: 'Make Lena Marsh a safeguarding lead?' })
      .getByRole('button', { name: 'Make lead' })
      .click();
    await adminPage
      .getByRole('status')
      .filter({ hasText: 'Lena Marsh is now a safeguarding lead' })
      .waitFor();
    await adminPage.getByRole('button', { name: 'Remove safeguarding lead' }).waitFor();
    await adminPage.getByRole('button', { name: 'Remove safeguarding lead' }).scrollIntoViewIfNeeded();
    await screenshot(adminPage, 'safeguarding-admin-grant-lead');
    // The admin, not a lead, has no way in: the address sends them back to the conversations.
    await adminPage.goto(`${env.ts.url}/safeguarding`);
    await adminPage.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await eventually(() => expect(new URL(adminPage.url()).pathname).toBe('/'));

    // §2: Amy reports Ben's message; she is told it was received.
    await signIn(student, env.ts.url, amy.email, amy.password);
    await openConversation(student, 'general');
    const received = await report(
      student,
      'Nobody wants you in this group',
      'Bullying',
      'He has been saying this all week.',
      'safeguarding-report-dialog',
    );
    await received.getByText('your college’s safeguarding team has your report').waitFor();
    await noSerious(student, 'report received');
    await screenshot(student, 'safeguarding-report-received');
    await received.getByRole('button', { name: 'Done' }).click();
    expect(items('report')).toHaveLength(1);
    // A student sees no Safeguarding link.
    expect(await student.getByRole('button', { name: /Safeguarding/ }).count()).toBe(0);

    // Offline: the report waits on the device and says so; it is delivered when the connection returns.
    await sctx.setOffline(true);
    await eventually(async () =>
      expect(await student.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    const queued = await report(student, 'Everyone is laughing at you', 'Harassment', 'Again today.');
    await queued.getByText('will be sent when you are back online').waitFor();
    await screenshot(student, 'safeguarding-report-offline');
    // Most students report from a phone: the same dialog at phone size.
    await student.setViewportSize({ width: 390, height: 844 });
    await noSerious(student, 'report offline, phone');
    await screenshot(student, 'safeguarding-report-offline-phone');
    await student.setViewportSize({ width: 1440, height: 900 });
    await queued.getByRole('button', { name: 'Done' }).click();
    expect(items('report')).toHaveLength(1);
    await sctx.setOffline(false);
    await eventually(() => expect(items('report')).toHaveLength(2));

    // §3: the lead sees both in the queue, with a count in the sidebar.
    await signIn(lead, env.ts.url, lena.email, lena.password);
    const link = lead.getByRole('button', { name: /Safeguarding/ });
    await eventually(async () => expect(await link.innerText()).toMatch(/Safeguarding\s*2/));
    await link.click();
    await lead.getByRole('heading', { name: 'Safeguarding queue', level: 1 }).waitFor();
    await eventually(async () => expect(await lead.locator('tr[data-item]').count()).toBe(2));
    await noSerious(lead, 'queue');
    await screenshot(lead, 'safeguarding-queue');

    const first = items('report')[0];
    await lead.getByRole('link', { name: `Report #${first?.id}` }).click();
    await lead.getByRole('heading', { name: `Report #${first?.id}`, level: 1 }).waitFor();
    const transcript = lead.getByRole('list', { name: 'The reported message and the messages around it' });
    await eventually(async () =>
      expect(await transcript.locator('.sg-msg-text').allInnerTexts()).toEqual([
        'Is the library open on Saturday?',
        'Nobody wants you in this group, just leave',
        'That is not nice.',
        'Everyone is laughing at you',
      ]),
    );
    await lead.getByText('He has been saying this all week.').waitFor();
    await lead.getByLabel('Status', { exact: true }).selectOption('in_review');
    await lead.getByLabel('Assigned to').selectOption(lena.id);
    await lead.getByRole('button', { name: 'Save', exact: true }).click();
    await lead.getByRole('status').filter({ hasText: 'Saved: in review, assigned to Lena Marsh.' }).waitFor();
    await lead.getByLabel('Add a note').fill('Spoke to Amy at lunch; she feels safe. Meeting Ben tomorrow.');
    await lead.getByRole('button', { name: 'Add note' }).click();
    await lead.getByRole('status').filter({ hasText: 'Note added.' }).waitFor();
    await lead.getByText('Spoke to Amy at lunch; she feels safe.', { exact: false }).waitFor();
    await noSerious(lead, 'item');
    await lead.evaluate(() => scrollTo(0, 0));
    await screenshot(lead, 'safeguarding-item');
    expect(
      env.ts.server.internals.audit
        .list(50)
        .filter((e) => e.target === String(first?.id))
        .map((e) => e.action),
    ).toEqual(expect.arrayContaining(['safeguarding.item_updated', 'safeguarding.note_added']));
    expect(items('report')[0]?.status).toBe('in_review');

    // §5: the lead adds keywords; Ben's next message raises an alert that reaches the open queue.
    await lead
      .getByRole('navigation', { name: 'Safeguarding' })
      .getByRole('link', { name: 'Keyword alerts' })
      .click();
    await lead.getByLabel('Words and phrases, one a line').fill('kill*\nmeet me alone\nhurt my*');
    await lead.getByRole('button', { name: 'Save list' }).click();
    await lead.getByRole('status').filter({ hasText: 'Saved: 3 added, 0 removed.' }).waitFor();
    await noSerious(lead, 'keywords');
    await screenshot(lead, 'safeguarding-keywords');
    await lead.getByRole('navigation', { name: 'Safeguarding' }).getByRole('link', { name: 'Queue' }).click();
    await ben.engine.send(general, 'I am going to hurt myself tonight');
    await ben.engine.settled();
    await lead.getByRole('link', { name: /^Alert #/ }).waitFor();
    expect(await msg(student, 'I am going to hurt myself tonight').count()).toBe(1);

    // §6: the lead opens Amy and Ben's DM with a reason; the opening is in the admin's audit log.
    await lead
      .getByRole('navigation', { name: 'Safeguarding' })
      .getByRole('link', { name: 'Monitor a conversation' })
      .click();
    await lead.getByLabel('Find a conversation').fill('Amy');
    await lead.getByRole('button', { name: 'Open Direct message: Amy Clarke, Ben Foster' }).click();
    const ask = lead.getByRole('dialog', { name: 'Why are you opening this conversation?' });
    await ask.getByLabel('Reason').fill('Following up report: checking for further bullying');
    await noSerious(lead, 'monitor reason');
    await screenshot(lead, 'safeguarding-monitor-reason');
    await ask.getByRole('button', { name: 'Open read-only' }).click();
    await lead.getByRole('heading', { name: 'Direct message: Amy Clarke, Ben Foster', level: 1 }).waitFor();
    await lead.getByText('Please stop sending me messages').waitFor();
    await lead.getByRole('status').filter({ hasText: 'written to the audit log' }).waitFor();
    await screenshot(lead, 'safeguarding-monitor-transcript');
    await adminPage.goto(`${env.ts.url}/admin/audit`);
    await adminPage.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const row = adminPage
      .locator('.audit-table tbody tr', { hasText: 'Opened a conversation to monitor' })
      .first();
    await row.waitFor();
    expect(await row.innerText()).toContain('Lena Marsh');
    expect(await row.innerText()).toContain('Following up report: checking for further bullying');
    await screenshot(adminPage, 'safeguarding-audit-entry');

    // The reported person was told nothing: Ben's engine heard no safeguarding notice.
    expect(ben.engine.safeguardingVersion()).toBe(0);
    expect(errors).toEqual([]);
    for (const c of [actx, sctx, lctx]) await c.close();
  });
});
