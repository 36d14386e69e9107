import { startTcpProxy, type TcpProxy } from '@commonroom/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { addUser, ADMIN, channel, eventually } from '../../sync-server/test/harness.ts';
import { login } from '../../sync-server/test/raw-client.ts';
import { fetchBytes, settledAttachment, sha256 } from '../../sync-server/test/uploads.ts';
import { attach, controlled, DESKTOP, message, offline, PDF, uploadsOnDevice } from './attachment-kit.ts';
import {
  axeSerious,
  openConversation,
  screenshot,
  signIn,
  useServerAndBrowser,
  watchErrors,
} from './browser.ts';

/**
 * Issue 17 in real Chromium through a loopback TCP proxy (the testkit's, as the server-side resume test
 * uses): an upload whose connection is cut mid-file resumes (tus) and completes, and the receiver gets the
 * file once and intact; on a slow link, another tab of the same person shows the waiting message with its
 * progress, read from IndexedDB, and its Cancel stops the upload in the tab doing it.
 */

function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const MB = 1024 * 1024;

describe('attachments over a link that drops or crawls (issue 17)', () => {
  const env = useServerAndBrowser();
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
  });

  /** The app served through a proxy, whose origin the server allows (as ALLOWED_ORIGINS would). */
  async function through(
    opts: { bitsPerSecond?: number } = {},
  ): Promise<{ proxy: TcpProxy; origin: string }> {
    const proxy = await startTcpProxy({ targetPort: env.ts.port, ...opts });
    proxies.push(proxy);
    const origin = `http://127.0.0.1:${proxy.port}`;
    // Known only once the proxy listens; the server reads the list live, as it does for its own port.
    env.ts.config.allowedOrigins.push(origin);
    return { proxy, origin };
  }

  it('a file sent from Chromium through a link cut mid-file resumes where the server stopped, completes, and the receiver sees the message once with the file intact', async () => {
    const { proxy, origin } = await through();
    const hal = await addUser(env.ts, env.admin, 'student', { name: 'Hal Resume', connect: false });
    const ctx = await env.browser.newContext(DESKTOP);
    const page = await ctx.newPage();
    const errors = watchErrors(page);
    await signIn(page, origin, hal.email, hal.password);
    await openConversation(page, 'general');
    await page.getByLabel('Message', { exact: true }).waitFor();

    // What tus asked the server, as Chromium saw it: each upload request's method, status and offsets.
    const tus: { method: string; status: number; from: number | null; to: number | null }[] = [];
    page.on('response', (r) => {
      if (!new URL(r.url()).pathname.startsWith('/api/uploads')) return;
      const offset = (v: string | undefined) => (v === undefined ? null : Number(v));
      tus.push({
        method: r.request().method(),
        status: r.status(),
        from: offset(r.request().headers()['upload-offset']),
        to: offset(r.headers()['upload-offset']),
      });
    });
    const bytes = seededBytes(3 * MB, 17);
    // The phone loses its signal once, 1 MB into the file.
    proxy.cutAfter(MB);
    await attach(page, [
      { name: 'coursework.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) },
    ]);
    await page.getByLabel('Message', { exact: true }).fill('My coursework, sent on a bad signal');
    await page.getByRole('button', { name: 'Send' }).click();
    const sent = message(page, 'My coursework, sent on a bad signal');
    await sent.locator('.file-card', { hasText: 'coursework.bin' }).waitFor({ timeout: 60_000 });
    await eventually(async () => expect(await uploadsOnDevice(page)).toBe(0));

    // Cut once, then resumed: tus asked the server how far it got (HEAD) and sent the rest from there. (What
    // crossed the link is not the measure here: Chromium itself sends a request again, from its first byte,
    // when a reused connection drops under it; the server refuses that copy, 409, as its offset has moved.)
    expect(proxy.cuts()).toBe(1);
    expect(tus.filter((r) => r.method === 'POST')).toHaveLength(1);
    const head = tus.find((r) => r.method === 'HEAD');
    expect(head?.to).toBeGreaterThan(0);
    expect(head?.to).toBeLessThan(bytes.length);
    // After the HEAD, the file goes on from the server's offset, chunk after chunk (1 MiB each), to its end.
    const resumed = tus.slice(tus.findIndex((r) => r.method === 'HEAD') + 1).filter((r) => r.status === 204);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed[0]?.from).toBe(head?.to);
    for (let i = 1; i < resumed.length; i++) expect(resumed[i]?.from).toBe(resumed[i - 1]?.to);
    expect(resumed.at(-1)).toEqual({
      method: 'PATCH',
      status: 204,
      from: resumed.at(-1)?.from,
      to: bytes.length,
    });
    // One upload on the server, not a second one started over.
    const rows = env.ts.server.db
      .prepare("SELECT id FROM attachments WHERE name = 'coursework.bin'")
      .all() as { id: string }[];
    expect(rows).toHaveLength(1);
    const id = rows[0]?.id ?? '';

    // The receiver: the message once, with this file, byte for byte.
    const general = channel(env.admin, 'general');
    await env.admin.open(general);
    await eventually(() => {
      const got = env.admin
        .view(general)
        .messages.filter((m) => m.text === 'My coursework, sent on a bad signal');
      expect(got).toHaveLength(1);
      expect(got[0]?.files.map((f) => f.id)).toEqual([id]);
    });
    const cookie = await login(env.ts.url, ADMIN.email, ADMIN.password);
    const a = await settledAttachment(env.ts.url, cookie, id);
    const { res, bytes: got } = await fetchBytes(env.ts.url, cookie, a.url);
    expect(res.status).toBe(200);
    expect(sha256(got)).toBe(sha256(bytes));
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it("another tab of the same person shows the waiting message with its file and the upload's progress, its Cancel stops the upload in the tab doing it, and it takes over when that tab closes", async () => {
    // 2 Mbit/s: a 3 MB file takes a dozen seconds, long enough to be seen going and cancelled.
    const { origin } = await through({ bitsPerSecond: 2_000_000 });
    const ida = await addUser(env.ts, env.admin, 'student', { name: 'Ida Two Tabs', connect: false });
    const ctx = await env.browser.newContext(DESKTOP);
    const one = await ctx.newPage();
    const two = await ctx.newPage();
    const errors = watchErrors(one, two);
    await signIn(one, origin, ida.email, ida.password);
    // Offline comes only once the app's parts are on the device (the service worker controls the page).
    await controlled(one);
    await openConversation(one, 'general');
    await two.goto(origin);
    await openConversation(two, 'general');
    for (const p of [one, two]) await p.getByLabel('Message', { exact: true }).waitFor();

    // Offline, sent from the first tab: the second shows it, with its file, and cancels it.
    await offline(ctx, one, true);
    await attach(one, [{ name: 'notes-a.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await one.getByLabel('Message', { exact: true }).fill('Sent from the first tab');
    await one.getByRole('button', { name: 'Send' }).click();
    const here = one.locator('.msg-pending', { hasText: 'Sent from the first tab' });
    const there = two.locator('.msg-pending', { hasText: 'Sent from the first tab' });
    await here.getByText('Waiting for network').waitFor();
    await there.getByText('notes-a.pdf').waitFor();
    await there.getByText('Waiting for network').waitFor();
    expect(await axeSerious(two)).toEqual([]);
    await screenshot(two, 'attach-other-tab-waiting-desktop');
    await there.getByRole('button', { name: 'Cancel' }).click();
    await there.waitFor({ state: 'detached' });
    await here.waitFor({ state: 'detached' });
    expect(await uploadsOnDevice(one)).toBe(0);

    // A big file from the first tab; online again, the second tab shows it uploading, as far as it got.
    await attach(one, [
      {
        name: 'big-scan.bin',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(seededBytes(3 * MB, 5)),
      },
    ]);
    await one.getByLabel('Message', { exact: true }).fill('Big scan from the first tab');
    await one.getByRole('button', { name: 'Send' }).click();
    const big = two.locator('.msg-pending', { hasText: 'Big scan from the first tab' });
    await big.getByText('Waiting for network').waitFor();
    await ctx.setOffline(false);
    await eventually(async () => {
      expect(await big.locator('.delivery').innerText()).toMatch(/Uploading [1-9]\d*%|Finishing the upload/);
      expect(Number(await big.locator('progress').getAttribute('value'))).toBeGreaterThan(0);
    }, 30_000);
    await screenshot(two, 'attach-other-tab-progress-desktop');
    await two.setViewportSize({ width: 390, height: 844 });
    await big.scrollIntoViewIfNeeded();
    await screenshot(two, 'attach-other-tab-progress-phone');
    await two.setViewportSize(DESKTOP.viewport);

    // Cancelled in the second tab: gone from both, and the first tab stops uploading it.
    await big.getByRole('button', { name: 'Cancel' }).click();
    await big.waitFor({ state: 'detached' });
    await one.locator('.msg-pending', { hasText: 'Big scan' }).waitFor({ state: 'detached' });
    expect(await uploadsOnDevice(one)).toBe(0);

    // The next message goes alone; by then nothing of the big file is on the server (an upload that went
    // on would have started again there, since the server forgot the cancelled one).
    await attach(one, [{ name: 'after.pdf', mimeType: 'application/pdf', buffer: PDF }]);
    await one.getByLabel('Message', { exact: true }).fill('After the cancel');
    await one.getByRole('button', { name: 'Send' }).click();
    await message(two, 'After the cancel').locator('.file-card').waitFor({ timeout: 60_000 });
    const general = channel(env.admin, 'general');
    await env.admin.open(general);
    await eventually(() =>
      expect(env.admin.view(general).messages.some((m) => m.text === 'After the cancel')).toBe(true),
    );
    expect(env.admin.view(general).messages.some((m) => m.text.startsWith('Big scan'))).toBe(false);
    expect(
      env.ts.server.db.prepare("SELECT count(*) AS n FROM attachments WHERE name = 'big-scan.bin'").get(),
    ).toEqual({ n: 0 });

    // The tab uploading closes mid-file: the other takes over and finishes from where the server got to.
    const handover = seededBytes(3 * MB, 9);
    await attach(one, [
      { name: 'handover.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(handover) },
    ]);
    await one.getByLabel('Message', { exact: true }).fill('Handed over between tabs');
    await one.getByRole('button', { name: 'Send' }).click();
    const handed = two.locator('.msg-pending', { hasText: 'Handed over between tabs' });
    await eventually(
      async () =>
        expect(await handed.locator('.delivery').innerText()).toMatch(
          /Uploading [1-9]\d*%|Finishing the upload/,
        ),
      30_000,
    );
    await one.close();
    await message(two, 'Handed over between tabs').locator('.file-card').waitFor({ timeout: 60_000 });
    await eventually(async () => expect(await uploadsOnDevice(two)).toBe(0));
    let handedId = '';
    await eventually(() => {
      const got = env.admin.view(general).messages.filter((m) => m.text === 'Handed over between tabs');
      expect(got).toHaveLength(1);
      handedId = got[0]?.files[0]?.id ?? '';
    });
    const cookie = await login(env.ts.url, ADMIN.email, ADMIN.password);
    const a = await settledAttachment(env.ts.url, cookie, handedId);
    expect(sha256((await fetchBytes(env.ts.url, cookie, a.url)).bytes)).toBe(sha256(handover));
    expect(errors).toEqual([]);
    await ctx.close();
    // Three files of 3 MB cross a 2 Mbit/s link (12 s each): more than the default minute.
  }, 120_000);
});
