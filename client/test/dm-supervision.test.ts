import { describe, expect, it } from 'vitest';
import { ADMIN, addUser } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  messageTexts,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/**
 * Issue 14 §4 and §6 in Chromium at desktop size: an admin turns on supervised DMs choosing a member of
 * staff; a student opens a DM with another and sees "Supervised by …"; the supervisor sees the DM, reads
 * it and cannot post in it; the audit log screen's "Verify the chain" answers in words.
 */
describe('supervised DMs and the audit chain check', () => {
  const env = useServerAndBrowser();

  it('T9: an admin turns on supervision with Ms Jones; a student’s new DM says "Supervised by Ms Jones"; Ms Jones reads it silently', async () => {
    const jones = await addUser(env.ts, env.admin, 'teacher', { name: 'Ms Jones', connect: false });
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Okafor', connect: false });
    await addUser(env.ts, env.admin, 'student', { name: 'Ben Carter', connect: false });
    const desk = { viewport: { width: 1440, height: 900 }, bypassCSP: true };

    // The admin chooses supervision and the supervisor.
    const actx = await env.browser.newContext(desk);
    const page = await actx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/settings`);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await page.getByLabel('Students may message: anyone, with supervision').check();
    const supervisor = page.getByLabel('Supervisor');
    await supervisor.waitFor();
    // Saving without choosing is stopped at the form, in words, at the field.
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Choose the member of staff who supervises' }).waitFor();
    expect(await supervisor.getAttribute('aria-invalid')).toBe('true');
    // Only staff are offered.
    const offered = await supervisor.locator('option').allInnerTexts();
    expect(offered).toContain('Ms Jones (Teacher)');
    expect(offered.some((o) => o.includes('Amy Okafor'))).toBe(false);
    await supervisor.selectOption({ label: 'Ms Jones (Teacher)' });
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'admin-settings-supervised');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Ms Jones now supervises every conversation between students' })
      .waitFor();
    expect(env.ts.server.internals.settings.read()).toMatchObject({
      studentDmPolicy: 'supervised',
      dmSupervisorId: jones.id,
    });
    expect(env.ts.server.internals.audit.list(1, 'settings.changed')[0]?.detail).toMatchObject({
      studentDmPolicy: { from: 'anyone', to: 'supervised' },
      dmSupervisorId: { from: null, to: jones.id },
    });

    // A student opens a DM with another: the header names the supervisor; the title is the two of them.
    const sctx = await env.browser.newContext(desk);
    const student = await sctx.newPage();
    errors.push(...watchErrors(student));
    await signIn(student, env.ts.url, amy.email, amy.password);
    await student.getByRole('button', { name: '+ New message' }).click();
    const dialog = student.getByRole('dialog', { name: 'New message' });
    await dialog.getByPlaceholder('Type a name').fill('Ben');
    await dialog.getByRole('button', { name: 'Message' }).click();
    await student.locator('#pane-title').filter({ hasText: 'Ben Carter' }).waitFor();
    expect(await student.locator('#pane-title').innerText()).toBe('Ben Carter');
    await student.getByTestId('supervised-by').filter({ hasText: 'Supervised by Ms Jones' }).waitFor();
    // The count and the word are flex items of the button (its icon beside them): one line on screen.
    expect((await student.locator('.pane-head .members').textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      '2 members',
    );
    await sendMessage(student, 'are you coming to the revision session?');
    await student.locator('.messages .msg .text').filter({ hasText: 'revision session' }).waitFor();
    expect(await axeSerious(student)).toEqual([]);
    await screenshot(student, 'dm-supervised-student');

    // Ms Jones has the DM, titled with the students, reads it, and has no composer.
    const jctx = await env.browser.newContext(desk);
    const teacher = await jctx.newPage();
    errors.push(...watchErrors(teacher));
    await signIn(teacher, env.ts.url, jones.email, jones.password);
    // The two students in the order they joined (the same millisecond: then by id, which is random).
    const both = /^(Amy Okafor, Ben Carter|Ben Carter, Amy Okafor)$/;
    const entry = teacher.locator('.sidebar .conv .conv-name').filter({ hasText: both });
    await entry.click();
    await teacher.locator('#pane-title').filter({ hasText: both }).waitFor();
    await teacher
      .getByTestId('supervised-by')
      .filter({ hasText: 'You supervise this conversation' })
      .waitFor();
    await teacher.locator('.messages .msg .text').filter({ hasText: 'revision session' }).waitFor();
    expect(await messageTexts(teacher)).toEqual(['are you coming to the revision session?']);
    await teacher
      .getByText('You supervise this conversation: you can read it, but not post or react in it.')
      .waitFor();
    expect(await teacher.getByLabel('Message', { exact: true }).count()).toBe(0);
    expect(await axeSerious(teacher)).toEqual([]);
    await screenshot(teacher, 'dm-supervised-supervisor');

    // On a phone the label sits under the name too.
    await student.setViewportSize({ width: 390, height: 844 });
    await student.getByTestId('supervised-by').waitFor();
    await screenshot(student, 'dm-supervised-student-phone');

    expect(errors).toEqual([]);
    await Promise.all([actx.close(), sctx.close(), jctx.close()]);
  }, 120_000);

  it('T9: an admin checks the audit chain from the audit log screen: intact, then told where it was tampered with', async () => {
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/audit`);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    const ok = page.getByRole('status').filter({ hasText: 'The audit log is intact.' });
    await ok.waitFor();
    // The DM Amy opened reads as its members' names, not their ids.
    // (The first test opened it; this one only reads.)
    const opened = page
      .locator('tr', { has: page.locator('.action-name[title="dm.opened"]') })
      .filter({ hasText: 'Ben Carter' });
    expect(await opened.locator('.detail-cell').innerText()).toMatch(
      /^members: (Amy Okafor, Ben Carter|Ben Carter, Amy Okafor)$/,
    );
    const count = await env.ts.server.internals.audit.verify();
    // The check's own entry came after it: the count shown is one less than now.
    if (!count.ok) throw new Error(count.reason);
    expect(await ok.innerText()).toContain(`${(count.count - 1).toLocaleString('en-GB')} entries checked`);
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'admin-audit-verified');

    // Someone with the database file drops the trigger and rewrites an entry: the next check names it.
    const db = env.ts.server.db;
    const victim = (
      db.prepare("SELECT MIN(id) AS id FROM audit_log WHERE action = 'settings.changed'").get() as {
        id: number;
      }
    ).id;
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET detail = '{}' WHERE id = ?`).run(victim);
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    const broken = page
      .getByRole('status')
      .filter({ hasText: `The audit log has been tampered with at entry ${victim}.` });
    await broken.waitFor();
    expect(await broken.innerText()).toContain('This entry was changed after it was written.');
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'admin-audit-tampered');
    expect(errors).toEqual([]);
    await ctx.close();
  }, 120_000);
});
