import { readFileSync } from 'node:fs';
import { CaseExport, ConversationExport, LeadReply, ReportReply } from '@commonroom/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 14 §7 in Chromium: an admin sets retention in Admin → Settings (audited); a lead sees the periods
 * on the Export screen, exports a person's messages as a readable page and a case as data, downloads them
 * through the browser, and the files hold what the server holds, a hostile message as inert text.
 */
const XSS = '<img src=x onerror="alert(1)"> hello';

describe('retention and export in the browser', () => {
  const env = useServerAndBrowser();

  const noSerious = async (page: Page, where: string) => {
    const serious = await axeSerious(page);
    expect(serious, `${where}: ${JSON.stringify(serious)}`).toEqual([]);
  };
  const download = async (
    page: Page,
    click: () => Promise<void>,
  ): Promise<{ name: string; text: string }> => {
    const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
    return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), 'utf8') };
  };

  it('issue 14 §7: retention set by an admin, read by a lead; exports of a person and a case download as inert HTML and versioned JSON, audited', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Clarke' });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Foster' });
    const lena = await addUser(env.ts, env.admin, 'staff', { name: 'Lena Marsh', connect: false });
    await env.admin.api.request('PUT', `/api/admin/users/${lena.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    const general = channel(ben.engine, 'general');
    await amy.engine.send(general, 'Is the library open on Saturday?');
    await amy.engine.settled();
    const key = await ben.engine.send(general, XSS);
    await ben.engine.settled();
    const { itemId } = await amy.engine.api.request('POST', '/api/safeguarding/reports', ReportReply, {
      id: 'report-browser-export',
      conversationId: general,
      authorId: ben.id,
      localId: key.split(':')[1] ?? '',
      reason: 'harassment',
      detail: '',
    });

    const size = { viewport: { width: 1440, height: 900 }, bypassCSP: true };
    const actx = await env.browser.newContext(size);
    const lctx = await env.browser.newContext(size);
    const adminPage = await actx.newPage();
    const lead = await lctx.newPage();
    const errors = watchErrors(adminPage, lead);

    // The admin sets retention; nothing else on the settings page changes.
    await signIn(adminPage, env.ts.url, ADMIN.email, ADMIN.password);
    await adminPage.goto(`${env.ts.url}/admin/settings`);
    const channels = adminPage.getByLabel('Channels (days)');
    await channels.waitFor();
    expect(await channels.inputValue()).toBe('');
    await channels.fill('0');
    await adminPage.getByRole('button', { name: 'Save retention' }).click();
    await adminPage.getByRole('alert').filter({ hasText: 'Channels: enter 1 to 3650 whole days' }).waitFor();
    await channels.fill('365');
    await adminPage.getByLabel('Safeguarding store (days)').fill('2555');
    await adminPage.getByRole('button', { name: 'Save retention' }).click();
    await adminPage.getByRole('status').filter({ hasText: 'Retention saved.' }).waitFor();
    expect(
      env.ts.server.internals.audit
        .list(20)
        .filter((e) => e.action === 'retention.changed')
        .map((e) => e.detail),
    ).toEqual([{ channelsDays: { from: null, to: 365 }, safeguardingDays: { from: null, to: 2555 } }]);
    await noSerious(adminPage, 'settings');
    await adminPage.getByRole('heading', { name: 'Settings' }).waitFor();
    await adminPage.locator('.retention-form').scrollIntoViewIfNeeded();
    await screenshot(adminPage, 'retention-settings');
    await adminPage.setViewportSize({ width: 390, height: 844 });
    await adminPage.locator('.retention-form').scrollIntoViewIfNeeded();
    await screenshot(adminPage, 'retention-settings-phone');

    // The lead: the Export screen shows the periods; a person's messages export as a readable page.
    await signIn(lead, env.ts.url, lena.email, lena.password);
    await lead.goto(`${env.ts.url}/safeguarding/export`);
    await lead.getByRole('heading', { name: 'Export', level: 1 }).waitFor();
    const periods = lead.locator('.sg-retention');
    await eventually(async () =>
      expect(await periods.innerText()).toMatch(
        /Channels\s+365 days\s+Direct messages\s+Kept forever\s+Safeguarding store\s+2555 days/,
      ),
    );
    await lead.getByLabel('Find a person').fill('Ben');
    await lead.getByRole('button', { name: 'Export messages Ben Foster' }).click();
    const dialog = lead.getByRole('dialog', { name: 'Export messages by Ben Foster' });
    await dialog.getByRole('radio', { name: /Readable page/ }).check();
    await dialog.getByLabel('Why are you exporting this?').fill('Referral to the local authority');
    await noSerious(lead, 'export dialog');
    await screenshot(lead, 'export-dialog');
    const page = await download(lead, () => dialog.getByRole('button', { name: 'Download' }).click());
    expect(page.name).toMatch(/^commonroom-messages-of-ben-foster-\d{4}-\d{2}-\d{2}\.html$/);
    expect(page.text).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt; hello');
    expect(page.text).not.toMatch(/<img|<script/i);
    expect(page.text).toContain('Lena Marsh');
    expect(page.text).toContain('Referral to the local authority');
    await dialog.getByRole('status').filter({ hasText: 'written to the audit log' }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await noSerious(lead, 'export screen');
    await screenshot(lead, 'export-screen');
    await lead.setViewportSize({ width: 390, height: 844 });
    await screenshot(lead, 'export-screen-phone');
    await lead.setViewportSize({ width: 1440, height: 900 });

    // The downloaded page, opened in the browser from the file: nothing runs, and it reads as a record.
    const viewer = await lctx.newPage();
    const dialogs: string[] = [];
    viewer.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await viewer.setContent(page.text);
    await viewer.getByRole('heading', { name: 'Messages written by Ben Foster' }).waitFor();
    expect(await viewer.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await screenshot(viewer, 'export-html-file');

    // A case from its page, as data.
    await lead.goto(`${env.ts.url}/safeguarding/items/${itemId}`);
    await lead.getByRole('heading', { name: `Report #${itemId}`, level: 1 }).waitFor();
    await noSerious(lead, 'item page');
    await screenshot(lead, 'export-item-page');
    await lead.getByRole('button', { name: 'Export case…' }).click();
    const caseDialog = lead.getByRole('dialog', { name: `Export case #${itemId}` });
    await caseDialog.getByRole('radio', { name: /Data \(JSON\)/ }).check();
    await caseDialog.getByLabel('Why are you exporting this?').fill('Case review meeting on Friday');
    const data = await download(lead, () => caseDialog.getByRole('button', { name: 'Download' }).click());
    expect(data.name).toBe(`commonroom-case-${itemId}-${new Date().toISOString().slice(0, 10)}.json`);
    const parsed = CaseExport.parse(JSON.parse(data.text));
    expect(parsed.message?.text).toBe(XSS);
    expect(parsed.case.reporters.map((r) => r.name)).toEqual(['Amy Clarke']);
    expect(
      env.ts.server.internals.audit
        .list(50)
        .filter((e) => e.action === 'safeguarding.exported')
        .map((e) => [e.actorId, e.detail]),
    ).toEqual([
      [lena.id, { what: 'case', format: 'json', reason: 'Case review meeting on Friday', messages: 2 }],
      [lena.id, { what: 'person', format: 'html', reason: 'Referral to the local authority', messages: 1 }],
    ]);

    // A conversation from the monitoring transcript, once opened with a reason.
    await lead.goto(`${env.ts.url}/safeguarding/monitor`);
    await lead.getByRole('button', { name: 'Open #general' }).click();
    await lead.getByLabel('Reason').fill('Checking the group after the report');
    await lead.getByRole('button', { name: 'Open read-only' }).click();
    await lead.getByRole('heading', { name: '#general', level: 1 }).waitFor();
    await lead.getByRole('button', { name: 'Export conversation…' }).click();
    const convDialog = lead.getByRole('dialog', { name: 'Export #general' });
    await convDialog.getByRole('radio', { name: /Data \(JSON\)/ }).check();
    await convDialog.getByLabel('Why are you exporting this?').fill('Evidence for the case review');
    const conv = ConversationExport.parse(
      JSON.parse(
        (await download(lead, () => convDialog.getByRole('button', { name: 'Download' }).click())).text,
      ),
    );
    expect(conv.conversation.id).toBe(general);
    expect(conv.messages.map((m) => m.text)).toEqual(
      expect.arrayContaining(['Is the library open on Saturday?', XSS]),
    );
    expect(errors).toEqual([]);
    for (const p of [amy, ben]) p.engine.disconnect();
  });
});
