import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startServer, type Options } from '../run-context.ts';
import {
  heldMessages,
  indexedDbBytes,
  launchProfile,
  readTimings,
  storeSize,
  visibleProbe,
} from './coldstart-browser.ts';
import { fillChannel, READER, writeTail, type FilledChannel } from './coldstart-fill.ts';

/**
 * Commonroom only: the PWA opened with no network in headless Chromium, with a big channel on the device.
 * A server (serving a fresh production build of client/) gets one channel of `messages`; the PWA signs in
 * on a persistent profile, opens the channel and presses "Show older messages" until the device holds
 * every segment; the browser closes and the server stops. Then Chromium starts again on that profile,
 * offline, at the channel's address (where the tab was), and the page times navigation start → the
 * channel's newest message inside the visible message list (see `visibleProbe`). `runs` cold starts, each
 * in a new browser process; the median is the figure.
 */
export type ColdStartResult = {
  serverMessages: number;
  /** What a start reads: the current segment's messages (the engine opens only that one, P13). */
  openedSegmentMessages: number;
  /** Counted from the profile's IndexedDB after the warm session (author documents' messages). */
  storedMessages: number;
  storedSegments: number;
  storedDocuments: number;
  indexedDbRows: number;
  /** The updates' own bytes, and the origin's IndexedDB files on disk (LevelDB compresses). */
  indexedDbPayloadMB: number;
  indexedDbDiskMB: number;
  fillSeconds: number;
  /** The warm session: from the first "Show older messages" until IndexedDB had been quiet for 3 s. */
  historySyncSeconds: number;
  coldStartMs: number;
  coldStartRunsMs: number[];
  firstPaintMs: number | null;
  firstContentfulPaintMs: number | null;
  domContentLoadedMs: number | null;
  jsHeapMB: number;
  messageRowsInDom: number;
};

// The fill is setup, not what is measured: the per-person rate limits would make it take minutes.
const LIFTED = {
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
};
const mb = (b: number): number => Math.round(b / 1024 / 102.4) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pageOf = async (ctx: BrowserContext): Promise<Page> => ctx.pages()[0] ?? (await ctx.newPage());

/** A production build of the PWA in its own directory (other work may be rebuilding client/dist). */
export function buildPwa(root: string): string {
  const out = mkdtempSync(join(tmpdir(), 'bench-pwa-'));
  execFileSync('npx', ['vite', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], {
    cwd: join(root, 'client'),
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return out;
}

/**
 * Signs in, waits for the service worker to control the page, opens the channel, watches the tail arrive
 * live, then loads the whole history. Returns the newest message's key and the seconds history took.
 */
async function warmSession(
  ctx: BrowserContext,
  base: string,
  port: number,
  ch: FilledChannel,
  plan: { segmentSize: number; warmTimeoutMs: number },
): Promise<{ newestKey: string; tail: number; segmentMessages: number; historySeconds: number }> {
  const page = await pageOf(ctx);
  await page.goto(base);
  await page.getByLabel('Email or username').fill(READER.username);
  await page.getByLabel('Password').fill(READER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor();
  // Offline start needs the service worker in control (it precaches the app shell on install).
  for (let i = 0; ; i++) {
    await page.evaluate('navigator.serviceWorker.ready');
    await page.reload();
    if (await page.evaluate('navigator.serviceWorker.controller !== null')) break;
    if (i > 20) throw new Error('service worker never took control');
  }
  await page.locator(`.sidebar .conv[data-conversation="${ch.name}"]`).click();
  // Its messages, or "No messages yet" when the fill ended on a rollover.
  await page.locator('.messages .msg, .messages .empty').first().waitFor({ timeout: 60_000 });
  const { newestKey, tail, segmentMessages } = await writeTail(port, ch, plan.segmentSize);
  await page.locator(`[data-key="${newestKey}"]`).waitFor({ timeout: plan.warmTimeoutMs });
  // "Show older messages" loads the segment before the oldest held (engine.loadOlder); pressed until no
  // older segment is left, then until nothing more has been written to IndexedDB for 3 s.
  const t0 = performance.now();
  const end = Date.now() + plan.warmTimeoutMs;
  while (Date.now() < end) {
    const more = await page.evaluate(
      `(() => { const b = document.querySelector('.load-older'); b?.click(); return b !== null; })()`,
    );
    if (!more) break;
    await sleep(100);
  }
  let last = { rows: -1, bytes: -1 };
  let quietSince = Date.now();
  while (Date.now() < end && Date.now() - quietSince < 3_000) {
    await sleep(500);
    const now = await storeSize(page);
    if (now.rows !== last.rows || now.bytes !== last.bytes) quietSince = Date.now();
    last = now;
  }
  return {
    newestKey,
    tail,
    segmentMessages,
    historySeconds: Math.round((performance.now() - t0 - 3_000) / 100) / 10,
  };
}

/** One cold start: a new browser process on the profile, offline, straight to the channel's address. */
async function coldStart(profile: string, url: string, newestKey: string, cpuProfile: string | null) {
  const ctx = await launchProfile(profile);
  try {
    await ctx.setOffline(true);
    await ctx.addInitScript({ content: visibleProbe(newestKey) });
    const page = await pageOf(ctx);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    if (cpuProfile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    await page.goto(url);
    // Polled from here: the app's CSP (script-src 'self') refuses waitForFunction's string predicates.
    const deadline = Date.now() + 60_000;
    while (!(await page.evaluate('window.__coldstart?.visibleAt != null'))) {
      if (Date.now() > deadline) throw new Error('the newest message never showed');
      await sleep(100);
    }
    if (cpuProfile) {
      const { profile: p } = await cdp.send('Profiler.stop');
      writeFileSync(cpuProfile, JSON.stringify(p));
    }
    const t = await readTimings(page);
    const { metrics } = await cdp.send('Performance.getMetrics');
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    return { ...t, jsHeapMB: mb(heap) };
  } finally {
    await ctx.close();
  }
}

export async function coldStartRun(
  root: string,
  plan: {
    messages: number;
    writers: number;
    perUpdate: number;
    /** The server's segment size (1,000 by default; smaller for the quick run). */
    segmentSize: number;
    runs: number;
    warmTimeoutMs: number;
  },
  opts: Options,
): Promise<ColdStartResult> {
  const dist = buildPwa(root);
  const profile = mkdtempSync(join(tmpdir(), 'bench-chromium-'));
  // servers/commonroom.ts serves the PWA from BENCH_CLIENT_DIST; the server process inherits it.
  process.env.BENCH_CLIENT_DIST = dist;
  try {
    const server = await startServer('commonroom', opts, {
      limits: { ...LIFTED, segmentSize: plan.segmentSize },
    });
    const base = `http://127.0.0.1:${server.port}`;
    let ch: FilledChannel;
    let warm: Awaited<ReturnType<typeof warmSession>>;
    let held: Awaited<ReturnType<typeof heldMessages>>;
    let store: { rows: number; bytes: number };
    try {
      ch = await fillChannel(server.port, plan);
      const ctx = await launchProfile(profile);
      try {
        warm = await warmSession(ctx, base, server.port, ch, plan);
        const page = await pageOf(ctx);
        store = await storeSize(page);
        held = await heldMessages(page, ch.conversationId);
      } finally {
        await ctx.close();
      }
    } finally {
      // Offline from here on: nothing listens on the port any more.
      await server.stop();
    }
    const diskBytes = indexedDbBytes(profile, server.port);
    const runs = [];
    for (let i = 0; i < plan.runs; i++) {
      let cpuProfile: string | null = null;
      if (opts.profile) {
        mkdirSync(opts.profile, { recursive: true });
        cpuProfile = join(opts.profile, `coldstart-${i}.cpuprofile`);
      }
      runs.push(await coldStart(profile, `${base}/#/c/${ch.conversationId}`, warm.newestKey, cpuProfile));
    }
    const sorted = [...runs].sort((a, b) => a.visibleMs - b.visibleMs);
    const median = sorted[Math.floor(sorted.length / 2)] ?? sorted[0];
    if (!median) throw new Error('no cold start measured');
    return {
      serverMessages: ch.filled + warm.tail,
      openedSegmentMessages: warm.segmentMessages,
      storedMessages: held.messages,
      storedSegments: held.segments,
      storedDocuments: held.documents,
      indexedDbRows: store.rows,
      indexedDbPayloadMB: mb(store.bytes),
      indexedDbDiskMB: mb(diskBytes),
      fillSeconds: ch.fillSeconds,
      historySyncSeconds: warm.historySeconds,
      coldStartMs: Math.round(median.visibleMs),
      coldStartRunsMs: runs.map((r) => Math.round(r.visibleMs)),
      firstPaintMs: median.firstPaintMs === null ? null : Math.round(median.firstPaintMs),
      firstContentfulPaintMs:
        median.firstContentfulPaintMs === null ? null : Math.round(median.firstContentfulPaintMs),
      domContentLoadedMs: median.domContentLoadedMs === null ? null : Math.round(median.domContentLoadedMs),
      jsHeapMB: median.jsHeapMB,
      messageRowsInDom: median.rowsInDom,
    };
  } finally {
    delete process.env.BENCH_CLIENT_DIST;
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    rmSync(dist, { recursive: true, force: true });
  }
}
