import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/** Issue 13 §4 (workspace settings) and §5 (the audit log viewer) in Chromium at desktop size. */
describe('the admin area: Settings and Audit log', () => {
  const env = useServerAndBrowser();

  it('T9: an admin changes the workspace name and DM policy; a student sees the name and is held to the policy on their next DM', async () => {
    const sara = await addUser(env.ts, env.admin, 'student', { name: 'Sara Lindqvist', connect: false });
    await addUser(env.ts, env.admin, 'student', { name: 'Omar Haddad', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/settings');
    await expect(page.getByLabel('Workspace name').inputValue()).resolves.toBe('Commonroom');
    expect(await page.getByRole('button', { name: 'Save settings' }).isDisabled()).toBe(true);
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'admin-settings');

    await page.getByLabel('Workspace name').fill('Northfield College');
    await page.getByLabel('Students may message: staff only').check();
    await page.getByLabel('Session length (days)').fill('7');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
    expect(env.ts.server.internals.settings.read()).toEqual({
      workspaceName: 'Northfield College',
      studentDmPolicy: 'staff_only',
      sessionLengthDays: 7,
      dmSupervisorId: null,
      attachmentMaxFileMb: 25,
      attachmentDailyMb: 200,
    });
    expect(env.ts.server.internals.audit.list(1, 'settings.changed')[0]?.detail).toEqual({
      workspaceName: { from: 'Commonroom', to: 'Northfield College' },
      studentDmPolicy: { from: 'anyone', to: 'staff_only' },
      sessionLengthDays: { from: 14, to: 7 },
    });
    // A deep link survives a reload, showing what was saved.
    await page.reload();
    await expect(page.getByLabel('Workspace name').inputValue()).resolves.toBe('Northfield College');
    expect(await page.getByLabel('Students may message: staff only').isChecked()).toBe(true);
    // A bad value is refused at the form, in words, and nothing is sent.
    await page.getByLabel('Session length (days)').fill('400');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Choose a session length of 1 to 90 whole days.' })
      .waitFor();
    // The field is marked and focused, so the fix starts there.
    expect(await page.getByLabel('Session length (days)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('number');
    await screenshot(page, 'admin-settings-error');

    // A student: the header and the tab carry the new name; a DM to another student is refused in words.
    const sctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const student = await sctx.newPage();
    errors.push(...watchErrors(student));
    await signIn(student, env.ts.url, sara.email, sara.password);
    await student.getByRole('heading', { name: 'Northfield College' }).waitFor();
    await eventually(async () => expect(await student.title()).toMatch(/Northfield College$/));
    // Renamed while her app is open: the header follows at once (a notice to every open app), no reload.
    for (const name of ['Northfield Sixth Form', 'Northfield College']) {
      await env.admin.api.request('PATCH', '/api/admin/settings', z.unknown(), { workspaceName: name });
      await student.getByRole('heading', { name, exact: true }).waitFor({ timeout: 10_000 });
    }
    await student.getByRole('button', { name: '+ New message' }).click();
    const dialog = student.getByRole('dialog', { name: 'New message' });
    await dialog.getByPlaceholder('Type a name').fill('Omar');
    await dialog.getByRole('button', { name: 'Message' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: 'Students can only send direct messages to staff at this college.' })
      .waitFor();

    // Back to "anyone": the very next attempt opens the DM.
    await page.locator('input[name="dm-policy"][value="anyone"]').check();
    await page.getByLabel('Session length (days)').fill('7');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
    await dialog.getByRole('button', { name: 'Message' }).click();
    await student.locator('#pane-title').filter({ hasText: 'Omar Haddad' }).waitFor();
    // Started with no connection, the app still shows the college's name (the last one heard). Only once
    // the service worker controls the page does it open with no network (on a busy machine it may not yet).
    await eventually(async () => {
      await student.reload();
      expect(await student.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    }, 20_000);
    await sctx.setOffline(true);
    await student.reload();
    await student.getByRole('heading', { name: 'Northfield College' }).waitFor();
    await sctx.setOffline(false);
    expect(errors).toEqual([]);
    await sctx.close();
    await ctx.close();
  });

  it('issue 17: an admin sets the attachment limits (largest file, each person a day) at phone and desktop sizes; a bad value is refused in words; audited', async () => {
    for (const [label, viewport] of [
      ['phone', { width: 390, height: 844 }],
      ['desktop', { width: 1280, height: 800 }],
    ] as const) {
      const ctx = await env.browser.newContext({ viewport, bypassCSP: true });
      const page = await ctx.newPage();
      const errors = watchErrors(page);
      await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
      await page.goto(`${env.ts.url}/admin/settings`);
      const card = page.getByRole('group', { name: 'Attachments' });
      await card.waitFor();
      // The phone saves 10 and 100; the desktop then shows them and puts the defaults back.
      const [file, daily] = label === 'phone' ? ['25', '200'] : ['10', '100'];
      await expect(page.getByLabel('Largest file (MB)').inputValue()).resolves.toBe(file);
      await expect(page.getByLabel('Each person’s files a day (MB)').inputValue()).resolves.toBe(daily);
      await card.scrollIntoViewIfNeeded();
      expect(await axeSerious(page)).toEqual([]);
      await screenshot(page, `admin-attachment-limits-${label}`);
      await page.getByLabel('Largest file (MB)').fill('0');
      await page.getByRole('button', { name: 'Save attachment limits' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: 'Largest file (MB): enter 1 to 1,024 whole MB.' })
        .waitFor();
      expect(await page.getByLabel('Largest file (MB)').getAttribute('aria-invalid')).toBe('true');
      await screenshot(page, `admin-attachment-limits-error-${label}`);
      await page.getByLabel('Largest file (MB)').fill(label === 'phone' ? '10' : '25');
      await page.getByLabel('Each person’s files a day (MB)').fill(label === 'phone' ? '100' : '200');
      await page.getByRole('button', { name: 'Save attachment limits' }).click();
      await page.getByRole('status').filter({ hasText: 'Attachment limits saved' }).waitFor();
      const s = env.ts.server.internals.settings.read();
      expect([s.attachmentMaxFileMb, s.attachmentDailyMb]).toEqual(label === 'phone' ? [10, 100] : [25, 200]);
      expect(env.ts.server.internals.audit.list(1, 'settings.changed')[0]?.detail).toEqual(
        label === 'phone'
          ? { attachmentMaxFileMb: { from: 25, to: 10 }, attachmentDailyMb: { from: 200, to: 100 } }
          : { attachmentMaxFileMb: { from: 10, to: 25 }, attachmentDailyMb: { from: 100, to: 200 } },
      );
      expect(errors).toEqual([]);
      await ctx.close();
    }
  });

  it('T9: an admin reads the audit log newest first, filters it by actor, action, target and date, pages it, and exports the view as CSV', async () => {
    // Failed sign-ins of made-up logins (a password-guessing run), older than what follows.
    for (let i = 0; i < 70; i++) env.ts.server.internals.audit.record(null, 'login.failed', `guess${i}`);
    const priya = await addUser(env.ts, env.admin, 'student', { name: 'Priya Ramanathan', connect: false });
    const { z } = await import('zod');
    await env.admin.api.request('PATCH', `/api/admin/users/${priya.id}/role`, z.unknown(), { role: 'tutor' });
    // A failed sign-in whose typed login is a spreadsheet formula: it must reach the CSV as text.
    await fetch(`${env.ts.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: '=1+1', password: 'wrong password' }),
    });
    // A UK college: dates as day/month/year in the date pickers.
    const ctx = await env.browser.newContext({
      viewport: { width: 1440, height: 900 },
      bypassCSP: true,
      acceptDownloads: true,
      locale: 'en-GB',
    });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/audit`);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const rows = page.locator('.audit-table tbody tr[data-entry]');
    await rows.first().waitFor();
    // Newest first: the admin's sign-in just now, then what came before, 50 to a page.
    expect(await rows.count()).toBe(50);
    expect(await rows.first().locator('td').allInnerTexts()).toEqual([
      expect.any(String),
      'Administrator',
      'Signed in',
      '—',
      expect.stringMatching(/^address: /),
    ]);
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'admin-audit');
    const ids = async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.entry))).map(Number);
    const newest = await ids();
    await page.getByRole('button', { name: 'Older' }).click();
    await page.getByText(/^Entries 51–\d+$/).waitFor();
    // Keyset pages: the next page holds only older entries, none shown already.
    const older = await ids();
    expect(older.length).toBeGreaterThan(0);
    expect(Math.max(...older)).toBeLessThan(Math.min(...newest));
    await page.getByRole('button', { name: 'Newer' }).click();
    await eventually(async () => expect(await ids()).toEqual(newest));

    // By action (words in the list) and target (a person by name): the role change, with names in words.
    await page.getByLabel('Action').selectOption({ label: 'Changed a role' });
    await page.getByLabel('Target').fill('priya');
    await eventually(async () => expect(await rows.count()).toBe(1));
    const cells = await rows.first().locator('td').allInnerTexts();
    expect(cells.slice(1)).toEqual([
      'Administrator',
      'Changed a role',
      'Priya Ramanathan',
      'student → tutor',
    ]);
    await screenshot(page, 'admin-audit-filtered');
    await page.setViewportSize({ width: 820, height: 1180 });
    await screenshot(page, 'admin-audit-tablet');
    await page.setViewportSize({ width: 1440, height: 900 });

    // By actor name: only what Priya did (she signed in when her account was made).
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Actor').fill('Ramanathan');
    await eventually(async () =>
      expect(new Set(await rows.locator('td:nth-child(2)').allInnerTexts())).toEqual(
        new Set(['Priya Ramanathan']),
      ),
    );
    // By date: today has entries; a day long ago has none.
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Action').selectOption({ label: 'Failed sign-in' });
    const today = await page.evaluate(() => new Date().toLocaleDateString('en-CA'));
    await page.getByLabel('From', { exact: true }).fill(today);
    await page.getByLabel('To', { exact: true }).fill(today);
    await eventually(async () => expect(await rows.count()).toBe(50));
    await page.getByLabel('From', { exact: true }).fill('2020-01-01');
    await page.getByLabel('To', { exact: true }).fill('2020-01-31');
    await page.getByText('Nothing in the log matches these filters.').waitFor();
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill('');

    // Export the filtered view (failed sign-ins): a real download, every row of the view, formula as text.
    await eventually(async () => expect(await rows.count()).toBe(50));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^commonroom-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = await download.path();
    const table: string[][] = parse(readFileSync(file, 'utf8'), { bom: true });
    expect(table[0]?.slice(0, 4)).toEqual(['Time (UTC)', 'Actor', 'Actor id', 'Action']);
    const body = table.slice(1);
    expect(body).toHaveLength(71);
    expect(new Set(body.map((r) => r[4]))).toEqual(new Set(['login.failed']));
    expect(body.map((r) => r[5])).toContain("'=1+1");
    expect(env.ts.server.internals.audit.list(1, 'audit.exported')[0]?.detail).toEqual({
      filter: { action: 'login.failed' },
    });
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
