import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath } from '@commonroom/testkit';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { CandidateName } from '../search/libraries.ts';

/**
 * Device search, library by library (issue 16): in headless Chromium, a dedicated Worker builds the index over
 * the seeded corpus (bench/src/search/corpus.ts), times every keystroke's prefix query, stores the index in
 * IndexedDB; a fresh worker then loads it back. Memory is the worker's share of
 * performance.measureUserAgentSpecificMemory (the page is cross-origin isolated so the API is there; the
 * eager flag makes it measure now rather than at the next garbage collection), minus the same for an idle
 * worker. Each library is measured `runs` times (each in a new browser context) and every figure is the
 * median of its runs.
 */

export type SearchDeviceResult = Record<
  CandidateName,
  | {
      buildMs: number;
      queryP50Ms: number;
      queryP95Ms: number;
      queryMaxMs: number;
      keystrokes: number;
      persistedMB: number;
      saveMs: number;
      loadMs: number;
      heapMB: number;
      heapAfterLoadMB: number;
    }
  | { error: string }
>;

const PAGE = `<!doctype html><meta charset="utf-8"><title>search bench</title><script>
window.run = (msg) => new Promise((resolve) => {
  const w = (window.worker = new Worker('/worker.js', { type: 'module' }));
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => resolve({ error: e.message });
  w.postMessage(msg);
});
window.workerMB = async () => {
  const m = await performance.measureUserAgentSpecificMemory();
  let bytes = 0;
  for (const b of m.breakdown)
    if (b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) bytes += b.bytes;
  return bytes / 1048576;
};
</script>`;

async function serve(): Promise<{ server: Server; url: string }> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('../search/worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    platform: 'browser',
  });
  const worker = out.outputFiles[0]?.text ?? '';
  const server = createServer((req, res) => {
    const isolate = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    };
    if (req.url === '/worker.js')
      res.writeHead(200, { 'content-type': 'text/javascript', ...isolate }).end(worker);
    else res.writeHead(200, { 'content-type': 'text/html', ...isolate }).end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

type Answer = { ok?: Record<string, number>; error?: string };
/** No step of one library may take longer: a stuck page fails the figure instead of holding up the run. */
const STEP_LIMIT_MS = 300_000;

/** One request to a new worker; a crashed page (out of memory) or a stuck one fails the library. */
const run = (page: Page, msg: object): Promise<Answer> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    page.evaluate<Answer>(`window.run(${JSON.stringify(msg)})`),
    new Promise<Answer>((resolve) => page.once('crash', () => resolve({ error: 'the page crashed' }))),
    new Promise<Answer>((resolve) => {
      timer = setTimeout(() => resolve({ error: `no answer in ${STEP_LIMIT_MS / 1000} s` }), STEP_LIMIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
};
const workerMB = async (page: Page): Promise<number> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no memory measurement')), STEP_LIMIT_MS);
  });
  return Promise.race([page.evaluate<number>('window.workerMB()'), stuck]).finally(() => clearTimeout(timer));
};
const mb = (x: number): number => Math.round(x * 10) / 10;

type Measured = Exclude<SearchDeviceResult[CandidateName], { error: string }>;

/** Each field's median over the runs: one slow run on a shared machine does not make the figure. */
function medians(runs: readonly Measured[]): Measured {
  const out = { ...runs[0] } as Record<string, number>;
  for (const k of Object.keys(out)) {
    const xs = runs.map((r) => (r as Record<string, number>)[k] ?? NaN).sort((a, b) => a - b);
    out[k] = xs[Math.floor(xs.length / 2)] ?? NaN;
  }
  return out as Measured;
}

export async function searchDeviceRun(opts: {
  count: number;
  libs: readonly CandidateName[];
  /** Runs per library (each in a new context): the figures are their medians. */
  runs?: number;
}): Promise<SearchDeviceResult> {
  const { server, url } = await serve();
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_ARGS, '--enable-blink-features=ForceEagerMeasureMemory'],
  });
  const result: Partial<SearchDeviceResult> = {};
  try {
    for (const lib of opts.libs) {
      const runs: Measured[] = [];
      for (let i = 0; i < (opts.runs ?? 1); i++) runs.push(await measure(browser, url, lib, opts.count));
      result[lib] = medians(runs);
    }
  } finally {
    await browser.close();
    server.close();
  }
  return result as SearchDeviceResult;
}

/** One library, once: build, keystrokes, save; then a fresh worker loads it back. */
async function measure(browser: Browser, url: string, lib: CandidateName, count: number): Promise<Measured> {
  process.stderr.write(`  ${lib} … `);
  // A new context per run: its own IndexedDB, nothing left over from the last one.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  const idle = await run(page, { cmd: 'load', lib: 'none', count: 0 }).then(() => workerMB(page));
  const built = await run(page, { cmd: 'build', lib, count });
  if (!built.ok) throw new Error(`${lib} build: ${built.error ?? 'no answer'}`);
  const heapMB = mb((await workerMB(page)) - idle);
  await page.evaluate('window.worker.terminate()');
  const loaded = await run(page, { cmd: 'load', lib, count: 0 });
  if (!loaded.ok) throw new Error(`${lib} load: ${loaded.error ?? 'no answer'}`);
  const heapAfterLoadMB = mb((await workerMB(page)) - idle);
  await context.close();
  const b = built.ok;
  process.stderr.write(`${JSON.stringify({ ...b, heapMB, heapAfterLoadMB })}\n`);
  return {
    buildMs: b.buildMs ?? NaN,
    queryP50Ms: b.queryP50Ms ?? NaN,
    queryP95Ms: b.queryP95Ms ?? NaN,
    queryMaxMs: b.queryMaxMs ?? NaN,
    keystrokes: b.keystrokes ?? NaN,
    persistedMB: b.persistedMB ?? NaN,
    saveMs: b.saveMs ?? NaN,
    loadMs: loaded.ok.loadMs ?? NaN,
    heapMB,
    heapAfterLoadMB,
  };
}
