import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, eventually } from '../../sync-server/test/harness.ts';
import { axeSerious, screenshot, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/** Issue 13 §1, §2 in Chromium: the admin area's People screens, and that only admins ever see them. */
describe('the admin area: People', () => {
  const env = useServerAndBrowser();

  it('T9: an admin adds a person, changes their role and deactivates them, at 1440×900; deep links survive reload and back', async () => {
    for (const n of ['Priya Patel', 'Liam Walsh', 'Chloe Evans'])
      await addUser(env.ts, env.admin, 'student', { name: n, connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    const audit = async (where: string) => {
      const serious = await axeSerious(page);
      expect(serious, `${where}: ${JSON.stringify(serious)}`).toEqual([]);
    };
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.getByRole('button', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/people');
    await page.locator('.admin-table tbody tr[data-person]').first().waitFor();
    await audit('people');
    await screenshot(page, 'admin-people');

    // Search as you type.
    await page.getByLabel('Search people').fill('liam');
    await eventually(async () =>
      expect(await page.locator('.admin-table tbody .person-link').allInnerTexts()).toEqual(['Liam Walsh']),
    );
    await page.getByLabel('Search people').fill('nobody-like-this');
    await page.getByText('No one matches this search.').waitFor();
    await page.getByLabel('Search people').fill('');

    // Add one person.
    await page.getByRole('button', { name: 'Add person' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a person' });
    await dialog.getByLabel('Full name').fill('Nadia Hussain');
    await dialog.getByLabel('Email or username').fill('nadia.hussain@college.test');
    await dialog.getByLabel('Role').selectOption('student');
    await dialog.getByRole('radio', { name: 'A password I give them' }).check();
    await dialog.getByLabel('Initial password').fill('welcome-nadia-2026');
    await screenshot(page, 'admin-add-person');
    await dialog.getByRole('button', { name: 'Add person' }).click();
    await page.getByRole('status').filter({ hasText: 'Nadia Hussain was added' }).waitFor();
    const nadia = env.ts.server.internals.users.findByLogin('nadia.hussain@college.test');
    expect(nadia?.role).toBe('student');

    // Her page, by a deep link that survives a reload.
    await page.getByLabel('Search people').fill('nadia');
    await page.getByRole('link', { name: 'Nadia Hussain' }).click();
    await page.getByRole('heading', { name: 'Nadia Hussain', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/admin/people/${nadia?.id}`);
    await page.reload();
    await page.getByRole('heading', { name: 'Nadia Hussain', level: 1 }).waitFor();

    // Change her role, confirmed.
    await page.getByLabel('New role').selectOption('tutor');
    await page.getByRole('button', { name: 'Change role' }).click();
    await page
      .getByRole('dialog', { name: 'Change role' })
      .getByRole('button', { name: 'Change role' })
      .click();
    await page.getByRole('status').filter({ hasText: 'Nadia Hussain is now Tutor.' }).waitFor();
    expect(env.ts.server.internals.users.get(nadia?.id ?? '')?.role).toBe('tutor');

    // Deactivate her, confirmed; the page says what happened.
    await page.getByRole('button', { name: 'Deactivate' }).click();
    const confirm = page.getByRole('dialog', { name: 'Deactivate Nadia Hussain?' });
    await screenshot(page, 'admin-confirm-deactivate');
    await confirm.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('status').filter({ hasText: 'Nadia Hussain was deactivated.' }).waitFor();
    expect(env.ts.server.internals.users.get(nadia?.id ?? '')?.active).toBe(false);
    await page.getByRole('button', { name: 'Reactivate' }).waitFor();
    await audit('person');
    await screenshot(page, 'admin-person');
    const actions = env.ts.server.internals.audit
      .list(200)
      .filter((e) => e.target === nadia?.id)
      .map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['user.created', 'user.role-changed', 'user.deactivated']),
    );

    // The back button returns to the list; the filter by status finds her.
    await page.goBack();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await page.getByLabel('Status').selectOption('deactivated');
    await eventually(async () =>
      expect(await page.locator('.admin-table tbody .person-link').allInnerTexts()).toEqual([
        'Nadia Hussain',
      ]),
    );
    await page.getByLabel('Status').selectOption('');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.admin-table tbody tr[data-person]').first().waitFor();
    await screenshot(page, 'admin-people-phone');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('T9: a student and a tutor see no Admin entry, are sent home from /admin/people, and get 403 from the admin routes', async () => {
    for (const role of ['student', 'tutor'] as const) {
      const p = await addUser(env.ts, env.admin, role, { connect: false });
      const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await ctx.newPage();
      await signIn(page, env.ts.url, p.email, p.password);
      expect(await page.getByRole('button', { name: 'Admin', exact: true }).count()).toBe(0);
      await page.goto(`${env.ts.url}/admin/people`);
      await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
      await eventually(() => expect(new URL(page.url()).pathname).toBe('/'));
      expect(await page.getByRole('heading', { name: 'People' }).count()).toBe(0);
      const statuses = await page.evaluate(async (id) => {
        const get = (path: string) => fetch(path, { credentials: 'same-origin' }).then((r) => r.status);
        return [
          await get('/api/admin/users'),
          await get('/api/admin/users?query=a'),
          await get(`/api/admin/users/${id}`),
          await fetch(`/api/admin/users/${id}/deactivate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          }).then((r) => r.status),
        ];
      }, p.id);
      expect(statuses, role).toEqual([403, 403, 403, 403]);
      await ctx.close();
    }
  });
});
