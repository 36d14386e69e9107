import { describe, expect, it } from 'vitest';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** Issue 13 §4 in Chromium: everyone's profile page, and changing one's own password. */
describe('the profile page', () => {
  const env = useServerAndBrowser();

  it("T9: a student edits their name, pronouns and avatar colour; a tutor watching the channel sees them on the student's message", async () => {
    const sam = await addUser(env.ts, env.admin, 'student', { name: 'Sam Okafor', connect: false });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tessa Moyo', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const tctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const watcher = await tctx.newPage();
    const errors = watchErrors(page, watcher);
    await signIn(page, env.ts.url, sam.email, sam.password);
    await openConversation(page, 'general');
    await sendMessage(page, 'hello from sam 5e1a');
    await signIn(watcher, env.ts.url, tutor.email, tutor.password);
    await openConversation(watcher, 'general');
    const samsMessage = watcher.locator('.msg').filter({ hasText: 'hello from sam 5e1a' });
    await samsMessage.locator('.author', { hasText: 'Sam Okafor' }).waitFor();

    await page.getByRole('button', { name: 'Profile' }).click();
    await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/profile');
    expect(await page.getByRole('button', { name: 'Save profile' }).isDisabled()).toBe(true);
    expect(await axeSerious(page)).toEqual([]);

    await page.getByLabel('Display name').fill('');
    await page.getByLabel('Display name').fill('Samuel Okafor');
    await page.getByLabel('Pronouns').fill('he/him');
    await page.getByRole('radio', { name: 'Teal' }).check();
    await screenshot(page, 'profile');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();
    expect(env.ts.server.internals.users.get(sam.id)).toMatchObject({
      displayName: 'Samuel Okafor',
      pronouns: 'he/him',
      avatarColour: 'teal',
    });

    // Shown to others at once: the tutor's open channel redraws the author, pronouns and colour.
    await samsMessage.locator('.author', { hasText: 'Samuel Okafor' }).waitFor();
    expect(await samsMessage.locator('.pronouns').innerText()).toBe('he/him');
    expect(await samsMessage.locator('.avatar').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(
      'rgb(11, 107, 107)',
    );
    // The deep link survives a reload, and the back link returns to the messages.
    await page.reload();
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe('Samuel Okafor');
    expect(await page.getByRole('radio', { name: 'Teal' }).isChecked()).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'profile-phone');
    await page.getByRole('link', { name: '← Back to messages' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await page.getByText('Samuel Okafor').first().waitFor();
    expect(errors).toEqual([]);
    await ctx.close();
    await tctx.close();
  });

  it("T10: changing one's password: a wrong current one is refused in words; then the other device is signed out and must sign in, and this one stays", async () => {
    const lena = await addUser(env.ts, env.admin, 'student', { name: 'Lena Fischer', connect: false });
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const phoneCtx = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phone = await phoneCtx.newPage();
    const errors = watchErrors(page, phone);
    await signIn(page, env.ts.url, lena.email, lena.password);
    await signIn(phone, env.ts.url, lena.email, lena.password);
    await eventually(() => expect(env.ts.server.internals.hub.sessionsOf(lena.id)).toHaveLength(2));

    await page.goto(`${env.ts.url}/profile`);
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await page.getByLabel('Current password').fill('this is not it');
    await page.getByLabel('New password', { exact: true }).fill('lena-new-password-2026');
    await page.getByLabel('New password again').fill('lena-new-password-2026');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'Your current password is not right.' }).waitFor();
    // Said at the form, before the server is asked: the two new ones differ.
    await page.getByLabel('Current password').fill(lena.password);
    await page.getByLabel('New password again').fill('lena-new-password-2025');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two new passwords are not the same.' }).waitFor();
    await page.getByLabel('New password again').fill('lena-new-password-2026');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    expect(await axeSerious(page)).toEqual([]);
    await screenshot(page, 'profile-password-changed');

    // The phone: its socket is closed by the server and it shows the sign-in page, which takes the new one.
    await phone.getByText('Your session has ended. Please sign in again.').waitFor({ timeout: 20_000 });
    await screenshot(phone, 'profile-other-device-signed-out');
    await phone.getByLabel('Email or username').fill(lena.email);
    await phone.getByLabel('Password').fill(lena.password);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();
    await phone.getByLabel('Password').fill('lena-new-password-2026');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.getByRole('navigation', { name: 'Conversations' }).waitFor();

    // This device stayed signed in: back to the messages, and still so after a reload.
    await page.getByRole('link', { name: '← Back to messages' }).click();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await page.reload();
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
    await phoneCtx.close();
  });
});
