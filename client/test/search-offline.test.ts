import type { Page, Worker } from 'playwright-core';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { addUser, channel, eventually } from '../../sync-server/test/harness.ts';
import { idbHolds, openConversation, signIn, useServerAndBrowser, watchErrors } from './browser.ts';

/**
 * Issue 16, the device half, in real Chromium against a real server: the app's search worker indexes what
 * the device holds and answers with the network off; edits, deletions and a moderator's removal are
 * reflected; a private channel's and another pair's DM words never reach this device's index, and a
 * channel the person is taken out of leaves it. The test speaks the worker's own protocol
 * (search/worker-protocol.ts) from inside the worker, as the search screen will.
 */

type Hit = { conversationId: string; key: string };

const searchWorker = async (page: Page): Promise<Worker> => {
  let found: Worker | undefined;
  await eventually(() => {
    found = page.workers().find((w) => w.url().includes('search-worker'));
    expect(found).toBeDefined();
  });
  return found as Worker;
};

/** One request through the worker's message handler; its answer is caught before it is posted. */
const ask = (worker: Worker, req: Record<string, unknown>): Promise<unknown> =>
  worker.evaluate(
    (r) =>
      new Promise((resolve, reject) => {
        const scope = self as unknown as {
          postMessage: (m: unknown) => void;
          onmessage: (e: { data: unknown }) => void;
        };
        const post = scope.postMessage.bind(scope);
        scope.postMessage = (m: unknown) => {
          const a = m as { id: number; ok?: unknown; error?: string };
          if (a.id !== r.id) return post(m);
          scope.postMessage = post;
          if (a.error !== undefined) reject(new Error(a.error));
          else resolve(a.ok);
        };
        scope.onmessage({ data: r });
      }),
    { id: 1_000_000 + Math.floor(Math.random() * 1e6), ...req },
  );

const search = async (page: Page, q: string): Promise<string[]> =>
  ((await ask(await searchWorker(page), { t: 'search', query: { q } })) as Hit[]).map((h) => h.key);

describe('device search, offline', () => {
  const env = useServerAndBrowser();

  it('finds messages with the network off; edits, deletions, removals and leaving are reflected; private words never arrive; sign-out deletes the index', async () => {
    const amy = await addUser(env.ts, env.admin, 'student', { name: 'Amy Search', connect: false });
    const ben = await addUser(env.ts, env.admin, 'student', { name: 'Ben Search' });
    const tutor = await addUser(env.ts, env.admin, 'tutor', { name: 'Tess Tutor' });
    const general = channel(ben.engine, 'general');
    await ben.engine.open(general);
    // send() answers with the message's key (author:localId); edit and delete take the localId.
    const say = (who: typeof ben, c: string, text: string): Promise<string> => who.engine.send(c, text);
    const localId = (key: string): string => key.slice(key.indexOf(':') + 1);

    // Words Amy must never hold: a private channel she is not in, and a DM between two others.
    const staff = await tutor.engine.createChannel('staff-room', 'private', 'Staff only');
    await tutor.engine.open(staff.id);
    await say(tutor, staff.id, 'pay review zanzibar on Monday');
    const dm = await tutor.engine.openDm([ben.id]);
    await tutor.engine.open(dm.id);
    await say(tutor, dm.id, 'your quokka essay was great');
    // A private channel Amy is in, until she is taken out.
    const group = await tutor.engine.createChannel('study-group', 'private', 'Revision');
    await tutor.engine.api.request('POST', `/api/conversations/${group.id}/members`, z.unknown(), {
      userIds: [amy.id],
    });
    await tutor.engine.open(group.id);
    const quiz = await say(tutor, group.id, 'Photosynthesis quiz on Wednesday');

    const deadline = await say(
      ben,
      general,
      'The essay deadline is Friday at 5, see https://moodle.example/x',
    );
    const cafe = await say(ben, general, 'Chloé’s café trip on Thursday 🎉');
    const phone = await say(ben, general, 'My old number is 07700 900461');
    const wrong = await say(ben, general, 'Wrong chat, sorry: zebrafish');
    const spam = await say(ben, general, 'Buy cheap essays here spamword7731');
    await ben.engine.settled();
    await tutor.engine.settled();

    const ctx = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, env.ts.url, amy.email, amy.password);
    await openConversation(page, 'general');
    await openConversation(page, 'study-group');
    await eventually(async () => expect(await search(page, 'deadl')).toEqual([deadline]));
    await eventually(async () => expect(await search(page, 'photos')).toEqual([quiz]));

    // Ben edits and deletes; the tutor removes the spam for everyone.
    await ben.engine.edit(general, localId(phone), 'Call the office instead');
    await ben.engine.delete(general, localId(wrong));
    await tutor.engine.open(general);
    await tutor.engine.remove(general, spam, 'spam');
    // The tutor takes Amy out of the study group.
    await tutor.engine.api.request('DELETE', `/api/conversations/${group.id}/members/${amy.id}`, z.unknown());
    await eventually(async () => {
      expect(await search(page, 'office')).toEqual([phone]);
      expect(await search(page, '07700')).toEqual([]);
      expect(await search(page, 'zebrafish')).toEqual([]);
      expect(await search(page, 'spamword7731')).toEqual([]);
      expect(await search(page, 'photosynthesis')).toEqual([]);
    });

    // The service worker takes control after the first visit: then the app (and its search worker) open offline.
    await eventually(async () => {
      await page.reload();
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    }, 20_000);

    // Network off: the search still answers, accents, plurals, emoji and prefixes included.
    await ctx.setOffline(true);
    await eventually(async () =>
      expect(await page.getByTestId('sync-status').innerText()).toMatch(/Offline/),
    );
    expect(await search(page, 'cafe')).toEqual([cafe]);
    expect(await search(page, 'CHLOE trip')).toEqual([cafe]);
    expect(await search(page, '🎉')).toEqual([cafe]);
    expect(await search(page, 'deadlines')).toEqual([deadline]);
    expect((await search(page, 'essay')).sort()).toEqual([deadline]);
    for (const q of ['zanzibar', 'quokka', 'photosynthesis', 'zebrafish', 'spamword7731', '07700'])
      expect(await search(page, q), q).toEqual([]);
    // Words never sent to this device, and a moderator's removal (purged by the engine too, P16), are in no
    // database of the origin; edited-away and deleted words are not in the search index's (the engine keeps
    // an edited message's first version in its own document, as it always has).
    for (const w of ['zanzibar', 'quokka', 'hotosynthesis', 'spamword7731'])
      expect(await idbHolds(page, w), w).toEqual([]);
    for (const w of ['zebrafish', '900461'])
      expect(
        (await idbHolds(page, w)).filter((place) => place.startsWith('commonroom-search')),
        w,
      ).toEqual([]);
    expect(await idbHolds(page, 'office')).toContainEqual(expect.stringMatching(/^commonroom-search\//));

    // A restart loads the saved index; it does not rebuild it.
    await page.reload();
    const opened = (await ask(await searchWorker(page), { t: 'open' })) as { documents: number };
    expect(opened.documents).toBeGreaterThanOrEqual(3);
    expect(await search(page, 'office')).toEqual([phone]);

    // Signing out deletes the index with everything else of the person's.
    await ctx.setOffline(false);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByLabel('Email or username').waitFor();
    await eventually(async () =>
      expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).not.toContain(
        'commonroom-search',
      ),
    );
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
