import type { Page } from 'playwright-core';
import { LeadReply } from '@commonroom/protocol';
import { describe, expect, it } from 'vitest';
import { addUser, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  idbHolds,
  messageTexts,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

const msg = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text }).first();

/**
 * Issue 14 §3 acceptance, three people in real Chromium: a student reports a message; the safeguarding lead
 * opens it from the queue and removes it for everyone; "Removed by a moderator" shows at the author and the
 * reader; and the words are gone from both browsers' IndexedDB (every database, store and record searched
 * byte for byte), the reader's after it was offline during the removal and came back (PROTOCOL P16).
 */
describe('a removal takes the words off every device', () => {
  const env = useServerAndBrowser();

  it('report → queue → remove for everyone → placeholder at both → gone from IndexedDB, also after being offline', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Clarke', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Foster', connect: false });
    const lena = await addUser(env.ts, env.admin, 'staff', { name: 'Lena Marsh', connect: false });
    await env.admin.api.request('PUT', `/api/admin/users/${lena.id}/safeguarding-lead`, LeadReply, {
      lead: true,
    });
    const desktop = { viewport: { width: 1440, height: 900 }, bypassCSP: true };
    const actx = await env.browser.newContext(desktop);
    const bctx = await env.browser.newContext(desktop);
    const lctx = await env.browser.newContext(desktop);
    const reader = await actx.newPage();
    const author = await bctx.newPage();
    const lead = await lctx.newPage();
    const errors = watchErrors(reader, author, lead);
    await signIn(reader, env.ts.url, amy.email, amy.password);
    await signIn(author, env.ts.url, ben.email, ben.password);
    await openConversation(reader, 'general');
    await openConversation(author, 'general');

    const words = 'meet me behind the sports hall tonight 4417';
    await sendMessage(author, 'Is anyone going to the match?');
    await sendMessage(author, words);
    await sendMessage(author, 'Or the library instead');
    await eventually(async () => expect(await messageTexts(reader)).toContain('Or the library instead'));
    for (const page of [reader, author])
      await eventually(async () => expect(await idbHolds(page, 'sports hall tonight 4417')).not.toEqual([]));

    // Amy reports it from the message menu.
    const m = msg(reader, words);
    await m.hover();
    await m.getByRole('button', { name: 'More actions' }).click();
    await reader.getByRole('menuitem', { name: 'Report message…' }).click();
    const dialog = reader.getByRole('dialog', { name: 'Report this message' });
    await dialog.getByRole('radio', { name: 'Inappropriate content' }).check();
    await dialog.getByRole('button', { name: 'Send report' }).click();
    const received = reader.getByRole('dialog', { name: 'Report received' });
    await received.getByRole('button', { name: 'Done' }).click();
    const itemId = await (async () => {
      let id = 0;
      await eventually(() => {
        const row = env.ts.server.db.prepare('SELECT id FROM safeguarding_items ORDER BY id DESC').get() as
          { id: number } | undefined;
        expect(row).toBeDefined();
        id = row?.id ?? 0;
      });
      return id;
    })();

    // Amy's phone loses its connection before the lead acts.
    await actx.setOffline(true);
    await eventually(async () =>
      expect(await reader.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );

    // Lena opens the report from the queue and removes the message for everyone, with a reason.
    await signIn(lead, env.ts.url, lena.email, lena.password);
    await lead.getByRole('button', { name: /Safeguarding/ }).click();
    await lead.getByRole('link', { name: `Report #${itemId}` }).click();
    await lead.getByRole('heading', { name: `Report #${itemId}`, level: 1 }).waitFor();
    await lead.getByRole('button', { name: 'Remove for everyone…' }).click();
    await lead.getByLabel('Reason (kept in the audit log)').fill('Arranging to meet a student alone');
    await screenshot(lead, 'safeguarding-remove-confirm');
    const serious = await axeSerious(lead);
    expect(serious, JSON.stringify(serious)).toEqual([]);
    await lead.getByRole('button', { name: 'Remove for everyone', exact: true }).click();
    await lead.getByRole('status').filter({ hasText: 'Removed for everyone.' }).waitFor();
    await lead.getByText('People see “Removed by a moderator” in its place').waitFor();
    // The original stays for the lead, in the history of the item.
    await lead.getByText('Removed by a moderator ·', { exact: false }).waitFor();
    await screenshot(lead, 'safeguarding-removed-item');
    await lead.setViewportSize({ width: 390, height: 844 });
    await screenshot(lead, 'safeguarding-removed-item-phone');

    // Ben (online) sees the placeholder, and his browser no longer holds the words.
    await eventually(async () =>
      expect(await messageTexts(author)).toEqual([
        'Is anyone going to the match?',
        'Removed by a moderator',
        'Or the library instead',
      ]),
    );
    await eventually(async () => expect(await idbHolds(author, 'sports hall tonight 4417')).toEqual([]));

    // Amy, offline, still holds them: nothing reached her yet.
    expect(await idbHolds(reader, 'sports hall tonight 4417')).not.toEqual([]);
    await actx.setOffline(false);
    await eventually(async () =>
      expect(await messageTexts(reader)).toEqual([
        'Is anyone going to the match?',
        'Removed by a moderator',
        'Or the library instead',
      ]),
    );
    await eventually(async () => expect(await idbHolds(reader, 'sports hall tonight 4417')).toEqual([]));
    await reader.setViewportSize({ width: 390, height: 844 });
    await screenshot(reader, 'removed-after-offline-phone');

    // A reload starts from what the device stored: still the placeholder, still no words.
    await reader.reload();
    await msg(reader, 'Removed by a moderator').waitFor();
    expect(await idbHolds(reader, 'sports hall tonight 4417')).toEqual([]);
    expect(
      env.ts.server.internals.audit
        .list(50)
        .filter((e) => e.target === String(itemId))
        .map((e) => e.action),
    ).toContain('safeguarding.message_removed');
    expect(errors).toEqual([]);
    await Promise.all([actx.close(), bctx.close(), lctx.close()]);
  });
});
