import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 13 §2 in Chromium at 1440×900: adding a person with a one-time link and using it, the roster import
 * (preview, import, re-import changes nothing), and a person's channels following their role and cohorts.
 */
describe('the admin area: links, roster import, channels that follow', () => {
  const env = useServerAndBrowser();

  const desk = async () => {
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    return { ctx, page };
  };
  const noSerious = async (page: Page, where: string) => {
    const serious = await axeSerious(page);
    expect(serious, `${where}: ${JSON.stringify(serious)}`).toEqual([]);
  };

  it('T9: an admin adds a person with a one-time link, shown once; the person opens it, chooses a password and is signed in; the link then says it was used', async () => {
    const { ctx, page } = await desk();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/people`);
    await page.getByRole('button', { name: 'Add person' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a person' });
    await dialog.getByLabel('Full name').fill('Mia Thompson');
    await dialog.getByLabel('Email or username').fill('mia.t24');
    await dialog.getByLabel('Cohorts (courses)').fill('level2-it-skills, bio-l3');
    expect(await dialog.getByRole('radio', { name: /A one-time link/ }).isChecked()).toBe(true);
    await screenshot(page, 'admin-add-person-link');
    await dialog.getByRole('button', { name: 'Add person' }).click();

    const shown = page.getByRole('dialog', { name: 'Mia Thompson was added' });
    const field = shown.getByLabel("Mia Thompson's set-password link");
    await field.waitFor();
    const url = await field.inputValue();
    expect(url).toMatch(new RegExp(`^${env.ts.url}/set-password#[A-Za-z0-9_-]{32}$`));
    await noSerious(page, 'link shown');
    await screenshot(page, 'admin-link-shown');
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('status').filter({ hasText: 'Mia Thompson was added' }).waitFor();
    const mia = env.ts.server.internals.users.findByLogin('mia.t24');
    expect(mia?.cohort).toBe('level2-it-skills,bio-l3');
    const itSkills = env.ts.server.internals.conversations.byName('level2-it-skills')?.id ?? '';
    expect(env.ts.server.internals.conversations.isMember(itSkills, mia?.id ?? '')).toBe(true);

    // Mia, on her own device, opens the link.
    const other = await desk();
    const otherErrors = watchErrors(other.page);
    await other.page.goto(url);
    await other.page.getByText('Hello Mia Thompson.').waitFor();
    await noSerious(other.page, 'set password');
    await screenshot(other.page, 'set-password');
    // Students open their links on phones.
    await other.page.setViewportSize({ width: 390, height: 844 });
    await screenshot(other.page, 'set-password-phone');
    await other.page.setViewportSize({ width: 1440, height: 900 });
    await other.page.getByLabel('New password').fill('mias-own-password');
    await other.page.getByLabel('The same password again').fill('mias-own-passwrod');
    await other.page.getByRole('button', { name: 'Set password and sign in' }).click();
    await other.page.getByText('The two passwords are not the same.').waitFor();
    await other.page.getByLabel('The same password again').fill('mias-own-password');
    await other.page.getByRole('button', { name: 'Set password and sign in' }).click();
    await other.page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    expect(new URL(other.page.url()).pathname).toBe('/');
    await other.page.locator('.sidebar .conv[data-conversation="level2-it-skills"]').waitFor();

    // The same link again, on a third device: it says so, in words.
    const third = await desk();
    await third.page.goto(url);
    await third.page.getByRole('heading', { name: 'This link has already been used' }).waitFor();
    await noSerious(third.page, 'link used');
    await screenshot(third.page, 'set-password-used');
    // A fresh load (a fragment change alone is not a navigation).
    await third.page.goto('about:blank');
    await third.page.goto(`${env.ts.url}/set-password#${'A'.repeat(32)}`);
    await third.page.getByRole('heading', { name: 'This link does not work' }).waitFor();

    const actions = env.ts.server.internals.audit
      .list(200)
      .filter((e) => e.target === mia?.id)
      .map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['user.created', 'user.password-link', 'password.set-by-link']),
    );
    expect([...errors, ...otherErrors]).toEqual([]);
    await Promise.all([ctx.close(), other.ctx.close(), third.ctx.close()]);
  });

  it('T9: a roster with good and bad rows: the preview says what each row would do and writes nothing; the import does it; the same file again changes nothing', async () => {
    const known = await addUser(env.ts, env.admin, 'student', { name: 'Owen Price', connect: false });
    const csv = [
      'name,email,username,role,cohorts',
      'Aisha Khan,aisha.khan@college.test,,student,level3-adult-care',
      'Ben Carter,,ben.c24,student,level2-it-skills;level2-customer-service',
      `Owen Price,${known.email},,tutor,level3-adult-care`,
      'Grace Okafor,grace.okafor@college.test,,teacher,',
      ',missing.name@college.test,,student,',
      'Bad Role,bad.role@college.test,,headteacher,',
      'Dup Aisha,aisha.khan@college.test,,student,',
      'Bad Email,not-an-address,,student,',
    ].join('\n');
    const { ctx, page } = await desk();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/people`);
    await page.getByRole('link', { name: 'Import from CSV' }).click();
    await page.getByRole('heading', { name: 'Import people from CSV', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/people/import');
    await noSerious(page, 'import empty');
    await screenshot(page, 'admin-import');

    // The template downloads.
    const [template] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download template' }).click(),
    ]);
    expect(template.suggestedFilename()).toBe('commonroom-people-template.csv');

    const before = env.ts.server.internals.users.count();
    await page.locator('input[type=file]').setInputFiles({
      name: 'roster.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    const preview = page.getByRole('heading', { name: '2. Check what will happen' });
    await preview.waitFor();
    expect(env.ts.server.internals.users.count()).toBe(before);
    const group = page.getByRole('group', { name: 'Show rows' });
    const tab = (name: RegExp) => group.getByRole('button', { name });
    const tabText = async (name: RegExp) =>
      ((await tab(name).textContent()) ?? '').replace(/\s+/g, ' ').trim();
    expect(await tabText(/new$/)).toBe('3 new');
    expect(await tabText(/to update$/)).toBe('1 to update');
    expect(await tabText(/with errors$/)).toBe('4 with errors');
    const notes = (line: number) => page.locator(`tr[data-line="${line}"] .notes-cell`).innerText();
    expect(await notes(4)).toBe('Role: Student → Tutor · Joins level3-adult-care');
    expect(await notes(6)).toBe('The name is missing.');
    expect(await notes(7)).toMatch(/^“headteacher” is not a role\./);
    expect(await notes(8)).toBe('The same email address as line 2: each person once.');
    await noSerious(page, 'import preview');
    await screenshot(page, 'admin-import-preview');
    await page.setViewportSize({ width: 820, height: 1180 });
    await screenshot(page, 'admin-import-preview-tablet');
    await page.setViewportSize({ width: 1440, height: 900 });
    await tab(/with errors$/).click();
    expect(await page.locator('.import-table tbody tr').count()).toBe(4);

    await page.getByRole('button', { name: 'Import 4 valid rows' }).click();
    await page
      .getByRole('dialog', { name: 'Import these people?' })
      .getByRole('button', { name: 'Import 4 rows' })
      .click();
    const done = page
      .getByRole('status')
      .filter({ hasText: '3 people added, 1 updated, 0 unchanged, 4 rows skipped' });
    await done.waitFor();
    await page.getByRole('button', { name: 'Download links (CSV)' }).waitFor();
    await noSerious(page, 'import done');
    await screenshot(page, 'admin-import-done');
    expect(env.ts.server.internals.users.count()).toBe(before + 3);
    expect(env.ts.server.internals.users.get(known.id)?.role).toBe('tutor');
    const [links] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download links (CSV)' }).click(),
    ]);
    const linkCsv = await (await links.createReadStream()).toArray();
    const linkText = Buffer.concat(linkCsv as Buffer[]).toString('utf8');
    expect(linkText.split('\r\n')[0]).toBe('name,login,link');
    expect(linkText).toMatch(/Aisha Khan,aisha\.khan@college\.test,http:\/\/127\.0\.0\.1:\d+\/set-password#/);

    // The same file again: all rows unchanged or errors, nothing to import.
    await page.getByRole('button', { name: 'Import another file' }).click();
    await page.locator('input[type=file]').setInputFiles({
      name: 'roster.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await preview.waitFor();
    expect(await tabText(/unchanged$/)).toBe('4 unchanged');
    expect(await tabText(/new$/)).toBe('0 new');
    await page.getByText('Nothing to import: every row is unchanged or has an error.').waitFor();
    expect(await page.getByRole('button', { name: 'Nothing to import' }).isDisabled()).toBe(true);
    await screenshot(page, 'admin-import-reimport');
    expect(env.ts.server.internals.users.count()).toBe(before + 3);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('T9: a roster of 20,000 rows previews, shows 200 rows at a time, and imports from the browser', async () => {
    const lines = ['name,email,role,cohorts'];
    for (let i = 0; i < 20_000; i++)
      lines.push(
        `Bulk Learner ${i},bulk.learner${i}@college.test,student,${i % 3 ? 'level2-it-skills' : 'bio-l3'}`,
      );
    const { ctx, page } = await desk();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/people/import`);
    const before = env.ts.server.internals.users.count();
    await page.locator('input[type=file]').setInputFiles({
      name: 'whole-college.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(lines.join('\n')),
    });
    await page.getByRole('button', { name: 'Import 20,000 valid rows' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('.import-table tbody tr').count()).toBe(200);
    await page.getByRole('button', { name: 'Show more' }).click();
    expect(await page.locator('.import-table tbody tr').count()).toBe(1_200);
    await page.getByRole('checkbox', { name: /one-time set-password link/ }).uncheck();
    await page.getByRole('button', { name: 'Import 20,000 valid rows' }).click();
    await page
      .getByRole('dialog', { name: 'Import these people?' })
      .getByRole('button', { name: 'Import 20,000 rows' })
      .click();
    await page
      .getByRole('status')
      .filter({ hasText: '20,000 people added, 0 updated, 0 unchanged.' })
      .waitFor({ timeout: 60_000 });
    await page.getByText('New people have no password yet').waitFor();
    expect(env.ts.server.internals.users.count()).toBe(before + 20_000);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it("T9: an admin changes a student's role and cohorts; the student's open app gains and loses the channels", async () => {
    const s = await addUser(env.ts, env.admin, 'student', { name: 'Zara Ahmed', connect: false });
    const student = await desk();
    await signIn(student.page, env.ts.url, s.email, s.password);
    const conv = (name: string) => student.page.locator(`.sidebar .conv[data-conversation="${name}"]`);
    expect(await conv('tutors-only').count()).toBe(0);

    const { ctx, page } = await desk();
    const errors = watchErrors(page, student.page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/people/${s.id}`);
    await page.getByRole('heading', { name: 'Zara Ahmed', level: 1 }).waitFor();

    await page.getByLabel('New role').selectOption('tutor');
    await page.getByRole('button', { name: 'Change role' }).click();
    await page
      .getByRole('dialog', { name: 'Change role' })
      .getByRole('button', { name: 'Change role' })
      .click();
    await page.getByRole('status').filter({ hasText: 'Zara Ahmed is now Tutor.' }).waitFor();
    await conv('tutors-only').waitFor();

    // Cohorts: join a course channel; the student's sidebar shows it without a reload.
    await page.getByLabel('Cohorts (courses)').fill('level3-adult-care');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'joined level3-adult-care' }).waitFor();
    await eventually(async () => {
      const joined = await student.page
        .locator('.sidebar .conv[data-conversation="level3-adult-care"]')
        .count();
      expect(joined).toBe(1);
    });

    // Back to student: the staff channel goes.
    await page.getByLabel('New role').selectOption('student');
    await page.getByRole('button', { name: 'Change role' }).click();
    await page
      .getByRole('dialog', { name: 'Change role' })
      .getByRole('button', { name: 'Change role' })
      .click();
    await page.getByRole('status').filter({ hasText: 'Zara Ahmed is now Student.' }).waitFor();
    await eventually(async () => expect(await conv('tutors-only').count()).toBe(0));
    await noSerious(page, 'person with cohorts');
    await screenshot(page, 'admin-person-cohorts');

    // Reset by link: the link is shown once, and the student's open app is signed out.
    await page.getByRole('radio', { name: /one-time link/ }).check();
    await page.getByRole('button', { name: 'Reset password' }).click();
    await page
      .getByRole('dialog', { name: 'Reset password' })
      .getByRole('button', { name: 'Reset password' })
      .click();
    await page.getByRole('dialog', { name: 'Set-password link for Zara Ahmed' }).waitFor();
    await screenshot(page, 'admin-reset-link');
    await page.getByRole('button', { name: 'Done' }).click();
    await student.page.getByRole('button', { name: 'Sign in' }).waitFor();

    // The People table shows the cohort, and filters by it.
    await page.goto(`${env.ts.url}/admin/people`);
    await page.getByLabel('Cohort', { exact: true }).selectOption('level3-adult-care');
    await eventually(async () => {
      const rows = page.locator('.admin-table tbody tr[data-person]');
      expect(await rows.locator('.person-link').allInnerTexts()).toContain('Zara Ahmed');
      // Every row shown is in the cohort (other tests in this file add people to it too).
      for (const cohorts of await rows.locator('td:nth-child(4)').allInnerTexts())
        expect(cohorts.split(/\s+/)).toContain('level3-adult-care');
    });
    await screenshot(page, 'admin-people-cohorts');
    expect(errors).toEqual([]);
    await Promise.all([ctx.close(), student.ctx.close()]);
  });
});
