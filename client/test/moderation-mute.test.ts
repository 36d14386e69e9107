import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ADMIN, addUser, eventually } from '../../sync-server/test/harness.ts';
import {
  axeSerious,
  messageTexts,
  openConversation,
  screenshot,
  sendMessage,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/** axe finds no serious or critical issue; the message names where and what it found. */
async function noSerious(page: Page, where: string): Promise<void> {
  const found = await axeSerious(page);
  expect(found, `${where}: ${JSON.stringify(found)}`).toEqual([]);
}

const msg = (page: Page, text: string) => page.locator('.messages .msg', { hasText: text }).first();

async function moreAction(page: Page, text: string, item: string): Promise<void> {
  const m = msg(page, text);
  await m.hover();
  await m.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

/**
 * Issue 14 §3 in real Chromium at 1440×900, a student and a tutor: a moderator's removal leaves "Removed by a
 * moderator" in its place at both (author included); a mute reaching a device that queued messages offline
 * refuses them with "not sent: you are muted in #general …", the composer gives way to a banner, and lifting
 * the mute brings the composer back and lets the refused message be sent again or discarded.
 */
describe('moderation in the PWA: removal placeholder and mute', () => {
  const env = useServerAndBrowser();

  const twoPeople = async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Student', connect: false });
    const sam = await addUser(env.ts, env.admin, 'tutor', { name: 'Sam Tutor', connect: false });
    const size = { width: 1440, height: 900 };
    const a = await env.browser.newContext({ viewport: size, bypassCSP: true });
    const b = await env.browser.newContext({ viewport: size, bypassCSP: true });
    const pa = await a.newPage();
    const pb = await b.newPage();
    await signIn(pa, env.ts.url, amy.email, amy.password);
    await signIn(pb, env.ts.url, sam.email, sam.password);
    const errors = watchErrors(pa, pb);
    await openConversation(pa, 'general');
    await openConversation(pb, 'general');
    return {
      pa,
      pb,
      amy,
      close: async () => {
        expect(errors).toEqual([]);
        await Promise.all([a.close(), b.close()]);
      },
    };
  };

  it('a removed message shows "Removed by a moderator" in its place for the reader and the author', async () => {
    const { pa, pb, close } = await twoPeople();
    await sendMessage(pa, 'Morning all');
    await sendMessage(pa, 'something unkind about Jo');
    await sendMessage(pa, 'See you in class');
    await eventually(async () => expect(await messageTexts(pb)).toContain('See you in class'));

    await moreAction(pb, 'something unkind about Jo', 'Remove message (moderator)');
    const dialog = pb.getByRole('dialog', { name: 'Remove this message?' });
    await dialog.getByText('Everyone will see that a moderator removed').waitFor();
    await dialog.getByLabel(/Reason/).fill('unkind about a classmate');
    await dialog.getByRole('button', { name: 'Remove' }).click();

    for (const page of [pb, pa]) {
      // In its place, between the messages around it; the text, reactions and actions gone.
      await eventually(async () =>
        expect(await messageTexts(page)).toEqual([
          'Morning all',
          'Removed by a moderator',
          'See you in class',
        ]),
      );
      const placeholder = page.locator('.messages .msg').nth(1);
      expect(await placeholder.locator('[data-placeholder="removed"]').count()).toBe(1);
      expect(await placeholder.locator('.reactions').count()).toBe(0);
      await placeholder.hover();
      expect(await placeholder.getByRole('button', { name: 'More actions' }).count()).toBe(0);
      expect(await page.locator('.messages').innerText()).not.toContain('unkind about Jo');
    }
    await screenshot(pb, 'removed-placeholder-reader');
    await screenshot(pa, 'removed-placeholder-author');
    await noSerious(pa, 'author view');

    // In a thread too: Amy's reply, removed, keeps its place there for both.
    const parent = msg(pa, 'Morning all');
    await parent.hover();
    await parent.getByRole('button', { name: 'Reply in thread' }).click();
    const threadA = pa.locator('.thread-panel');
    await threadA.getByLabel('Reply', { exact: true }).fill('a mean reply');
    await threadA.getByLabel('Reply', { exact: true }).press('Enter');
    await threadA.getByLabel('Reply', { exact: true }).fill('a kind reply');
    await threadA.getByLabel('Reply', { exact: true }).press('Enter');
    await eventually(async () =>
      expect(await msg(pb, 'Morning all').locator('.replies').innerText()).toMatch(/2 replies/),
    );
    await msg(pb, 'Morning all').locator('.replies').click();
    const threadB = pb.locator('.thread-panel');
    const mean = threadB.locator('.msg', { hasText: 'a mean reply' });
    await mean.hover();
    await mean.getByRole('button', { name: 'More actions' }).click();
    await pb.getByRole('menuitem', { name: 'Remove message (moderator)' }).click();
    await pb
      .getByRole('dialog', { name: 'Remove this message?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    for (const t of [threadA, threadB])
      await eventually(async () =>
        expect(await t.locator('.thread-replies .text').allInnerTexts()).toEqual([
          'Removed by a moderator',
          'a kind reply',
        ]),
      );
    await screenshot(pa, 'removed-placeholder-thread');
    await close();
  });

  it('a mute reaching a device with messages queued offline refuses them with its reason; lifting it lets the person post and resend', async () => {
    const { pa, pb, close } = await twoPeople();
    await sendMessage(pa, 'hello before the mute');
    await eventually(async () => expect(await messageTexts(pb)).toContain('hello before the mute'));

    // Amy writes two messages offline.
    await pa.context().setOffline(true);
    await eventually(async () => expect(await pa.getByTestId('sync-status').innerText()).toMatch(/Offline/));
    await sendMessage(pa, 'written on the bus one');
    await sendMessage(pa, 'written on the bus two');
    await eventually(async () =>
      expect(await pa.getByTestId('sync-status').innerText()).toMatch(/2 messages waiting/),
    );

    // Sam mutes her for an hour from the message menu.
    await moreAction(pb, 'hello before the mute', 'Mute Amy Student…');
    const dialog = pb.getByRole('dialog', { name: 'Mute Amy Student?' });
    await dialog.getByLabel('1 hour').check();
    await dialog.getByLabel(/Reason/).fill('spamming the channel');
    await screenshot(pb, 'mute-dialog');
    await noSerious(pb, 'mute dialog');
    await dialog.getByRole('button', { name: 'Mute' }).click();
    const done = pb.getByRole('dialog', { name: 'Amy Student is muted' });
    await done
      .getByRole('status')
      .filter({ hasText: /Amy Student is muted in #general until \w{3} \d{1,2} \w{3}, \d\d:\d\d\./ })
      .waitFor();
    await screenshot(pb, 'mute-done');
    await done.getByRole('button', { name: 'Done' }).click();

    // Back online: both queued messages are refused and stay visible to her with the reason.
    await pa.context().setOffline(false);
    const refused = pa.locator('.messages [data-status="rejected"]');
    await eventually(async () => expect(await refused.count()).toBe(2), 20_000);
    for (const t of await refused.allInnerTexts())
      expect(t).toMatch(/^Not sent: you are muted in #general until \w{3} \d{1,2} \w{3}, \d\d:\d\d\./);
    expect(await messageTexts(pb)).not.toContain('written on the bus one');
    // The composer gives way to a banner saying until when.
    const banner = pa.getByTestId('mute-banner');
    await eventually(async () =>
      expect(await banner.innerText()).toMatch(
        /You are muted in #general until .+\. You can still read here\./,
      ),
    );
    expect(await pa.getByLabel('Message', { exact: true }).count()).toBe(0);
    await screenshot(pa, 'muted-author-refused');
    await noSerious(pa, 'author view');

    // Sam lifts it from the member list.
    await pb.getByRole('button', { name: /members?$/ }).click();
    const members = pb.getByRole('dialog', { name: '#general' });
    await members.getByText(/Muted until/).waitFor();
    await screenshot(pb, 'members-muted');
    await members.getByRole('button', { name: "Lift Amy Student's mute" }).click();
    await members
      .getByRole('status')
      .filter({ hasText: 'Amy Student can post in #general again.' })
      .waitFor();
    await members.getByRole('button', { name: 'Close' }).click();

    // No reinstall: the banner goes, the composer is back; one refused message is sent again, one discarded.
    await eventually(async () => expect(await banner.count()).toBe(0));
    await msg(pa, 'written on the bus one').getByRole('button', { name: 'Send again' }).click();
    await eventually(async () => expect(await messageTexts(pb)).toContain('written on the bus one'));
    await msg(pa, 'written on the bus two').getByRole('button', { name: 'Discard' }).click();
    await eventually(async () => expect(await refused.count()).toBe(0));
    expect(await messageTexts(pa)).not.toContain('written on the bus two');
    await sendMessage(pa, 'thanks, sorry');
    await eventually(async () => expect(await messageTexts(pb)).toContain('thanks, sorry'));
    await close();
  });

  it('an admin mutes a person everywhere from their person page; their open app shows it at once; lifting it there frees them', async () => {
    const { pa, amy, close } = await twoPeople();
    await openConversation(pa, 'it-support');
    const ctx = await env.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, ADMIN.email, ADMIN.password);
    await page.goto(`${env.ts.url}/admin/people/${amy.id}`);
    const card = page.getByRole('region', { name: 'Mutes' });
    await card.getByText('Not muted anywhere.').waitFor();
    await card.getByLabel('Where').selectOption({ label: 'Every channel' });
    await card.getByLabel('For how long').selectOption({ label: '1 week' });
    await card.getByLabel('Reason (optional)').fill('repeated harassment, see report');
    await card.getByRole('button', { name: 'Mute Amy Student' }).click();
    const confirm = page.getByRole('dialog', { name: 'Mute Amy Student?' });
    await confirm.getByText(/will not be able to post, edit or react in every channel for 1 week/).waitFor();
    await confirm.getByRole('button', { name: 'Mute' }).click();
    await page
      .getByRole('status')
      .filter({
        hasText:
          /Amy Student is muted in every channel until \w{3} \d{1,2} \w{3}, \d\d:\d\d\. They were told/,
      })
      .waitFor();
    await card.getByRole('listitem').filter({ hasText: 'Every channel' }).waitFor();
    await screenshot(page, 'admin-person-mutes');
    await noSerious(page, 'admin person page');

    // Amy's open app, in another channel, shows it without a reload.
    const banner = pa.getByTestId('mute-banner');
    await eventually(async () =>
      expect(await banner.innerText()).toMatch(
        /You are muted in #it-support \(and every other channel\) until /,
      ),
    );
    await screenshot(pa, 'muted-everywhere-banner');

    await card.getByRole('button', { name: 'Lift' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Amy Student can post in every channel again.' })
      .waitFor();
    await card.getByText('Not muted anywhere.').waitFor();
    await eventually(async () => expect(await banner.count()).toBe(0));
    await sendMessage(pa, 'can post again');
    await eventually(async () => expect(await messageTexts(pa)).toContain('can post again'));
    expect(errors).toEqual([]);
    await ctx.close();
    await close();
  });
});
