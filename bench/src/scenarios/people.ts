import { rmSync } from 'node:fs';
import { CHROMIUM_ARGS, chromiumPath } from '@commonroom/testkit';
import { chromium, type Page } from 'playwright-core';
import { startServer, type Options } from '../run-context.ts';
import { ADMIN } from '../servers/commonroom.ts';
import { buildPwa } from './coldstart.ts';

/**
 * Commonroom only (issue 13 §2): the admin console's People table with 20,000 accounts. A real server in
 * its own process (SQLite file, the production PWA build) gets 20,000 accounts through the roster import
 * (preview, then import: both timed). Then:
 * - server: the first People page and a search, as HTTP round trips over loopback from this process
 *   (the server's work plus a loopback hop), median of `serverRuns` after one warm-up;
 * - Chromium (headless, 1440×900, signed in as the admin): the table's first render, from the click on
 *   "People" in the admin bar (on the import page, the admin code already loaded) to the frame that shows
 *   its 50 rows; and a search keystroke, from the key's input event to the frame that shows the new result
 *   (its first name and its count). Times are the events' own timestamps and performance.now() in a
 *   requestAnimationFrame callback (the last moment before that frame paints). Median of `browserRuns`.
 * Page code is passed as strings: the bench is compiled without the DOM library.
 */
export type PeopleResult = {
  accounts: number;
  importPreviewMs: number;
  importCommitMs: number;
  serverFirstPageMs: number;
  serverSearchMs: number;
  serverSearchBroadMs: number;
  browserFirstRenderMs: number;
  browserFirstRenderRunsMs: number[];
  browserSearchMs: number;
  browserSearchRunsMs: number[];
  /** A full page load of /admin/people (navigation start → rows shown): app start included, for context. */
  fullLoadMs: number;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const round = (x: number): number => Math.round(x * 10) / 10;

async function adminCookie(base: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: ADMIN.email, password: ADMIN.password }),
  });
  if (!res.ok) throw new Error(`admin login failed: ${res.status}`);
  const c = res.headers.getSetCookie().find((x) => x.startsWith('cr_session='));
  if (!c) throw new Error('no session cookie');
  return c.split(';')[0] ?? '';
}

/** 20,000 people through the roster import, as an admin would: preview, then import. */
async function importRoster(
  base: string,
  cookie: string,
  accounts: number,
): Promise<{ previewMs: number; commitMs: number }> {
  const cohorts = ['level3-adult-care', 'level2-it-skills', 'level2-customer-service', 'bio-l3', 'eng-l2'];
  const lines = ['name,email,role,cohorts'];
  for (let i = 0; i < accounts; i++)
    lines.push(
      `Roster Person ${i},roster${i}@college.test,${i % 40 === 0 ? 'tutor' : 'student'},${cohorts[i % cohorts.length] ?? ''}`,
    );
  const csv = lines.join('\n');
  const post = async (path: string): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', cookie },
      body: csv,
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  let t = performance.now();
  const preview = (await post('/api/admin/users/import/preview')) as {
    digest: string;
    counts: { new: number };
  };
  const previewMs = performance.now() - t;
  if (preview.counts.new !== accounts) throw new Error(`preview: ${preview.counts.new} new of ${accounts}`);
  t = performance.now();
  const done = (await post(`/api/admin/users/import/commit?digest=${preview.digest}`)) as { created: number };
  const commitMs = performance.now() - t;
  if (done.created !== accounts) throw new Error(`import: ${done.created} created of ${accounts}`);
  return { previewMs, commitMs };
}

async function serverRoundTrip(base: string, cookie: string, path: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    const body = (await res.json()) as { users?: unknown[] };
    const ms = performance.now() - t;
    if (!res.ok || !body.users) throw new Error(`${path}: ${res.status}`);
    if (i > 0) times.push(ms); // the first warms the statement cache
  }
  return median(times);
}

/** Waits for `check` (page code, an expression) to be true on an animation frame; resolves its time. */
const frameProbe = (check: string): string => `(() => {
  const out = (window.__probe = { start: null, at: null });
  const loop = () => {
    if (out.start !== null && (${check})) {
      out.at = performance.now();
      return;
    }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  const mark = (e) => { if (out.start === null) out.start = e.timeStamp; };
  document.addEventListener('pointerdown', mark, { capture: true });
  document.addEventListener('keydown', mark, { capture: true });
})()`;

const probeResult = async (page: Page): Promise<number> => {
  await page.waitForFunction('window.__probe && window.__probe.at !== null', undefined, { timeout: 30_000 });
  return page.evaluate('window.__probe.at - window.__probe.start');
};

const ROWS = `document.querySelectorAll('.admin-table tbody tr[data-person]')`;
const settled = (firstName: string, total: number): string =>
  `(() => {
    const t = document.querySelector('.admin-table');
    const first = document.querySelector('.admin-table tbody .person-link');
    const sub = document.querySelector('#people-title + .admin-sub');
    return t && t.getAttribute('aria-busy') === 'false' && first && first.textContent === ${JSON.stringify(firstName)}
      && sub && sub.textContent.replace(/\\D/g, '') === ${JSON.stringify(String(total))};
  })()`;

export async function peopleRun(
  root: string,
  plan: { accounts: number; serverRuns: number; browserRuns: number },
  opts: Options,
): Promise<PeopleResult> {
  const dist = buildPwa(root);
  process.env.BENCH_CLIENT_DIST = dist;
  try {
    const server = await startServer('commonroom', opts);
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const cookie = await adminCookie(base);
      const imported = await importRoster(base, cookie, plan.accounts);
      const serverFirstPageMs = await serverRoundTrip(
        base,
        cookie,
        '/api/admin/users?sort=name&dir=asc&limit=50',
        plan.serverRuns,
      );
      const serverSearchMs = await serverRoundTrip(
        base,
        cookie,
        `/api/admin/users?sort=name&dir=asc&limit=50&query=${encodeURIComponent('person 1234')}`,
        plan.serverRuns,
      );
      const serverSearchBroadMs = await serverRoundTrip(
        base,
        cookie,
        '/api/admin/users?sort=name&dir=asc&limit=50&query=roster',
        plan.serverRuns,
      );

      const browser = await chromium.launch({
        executablePath: chromiumPath(),
        headless: true,
        args: [...CHROMIUM_ARGS],
      });
      try {
        // bypassCSP: the probes' string predicates are evaluated in the page; the app's own code is unchanged.
        const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
        const page = await ctx.newPage();
        await page.goto(base);
        await page.getByLabel('Email or username').fill(ADMIN.email);
        await page.getByLabel('Password').fill(ADMIN.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('navigation', { name: 'Conversations' }).waitFor();

        // A full load of the page, for context: navigation start → 50 rows shown.
        const loads: number[] = [];
        for (let i = 0; i < plan.browserRuns; i++) {
          await page.goto(`${base}/admin/people`);
          await page.waitForFunction(`${ROWS}.length >= 50`, undefined, { timeout: 30_000 });
          loads.push(await page.evaluate('performance.now()'));
        }

        // The table's first render: on the import page (admin code loaded), click "People".
        const firstRender: number[] = [];
        for (let i = 0; i < plan.browserRuns; i++) {
          await page.goto(`${base}/admin/people/import`);
          await page.getByRole('heading', { name: 'Import people from CSV' }).waitFor();
          await page.evaluate(frameProbe(`${ROWS}.length >= 50`));
          await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'People' }).click();
          firstRender.push(await probeResult(page));
        }

        // A search keystroke: "roster person 1" typed and shown, then one digit more.
        const search: number[] = [];
        const box = page.getByLabel('Search people');
        for (let i = 0; i < plan.browserRuns; i++) {
          const d = String(1 + (i % 9));
          await box.fill('roster person 1');
          const before = 1 + 10 + 100 + 1000 + Math.max(0, Math.min(plan.accounts, 20_000) - 10_000);
          await page.waitForFunction(settled('Roster Person 1', before), undefined, { timeout: 30_000 });
          const want = `Roster Person 1${d}`;
          const count = [1, 10, 100, 1000].reduce(
            (n, width) => n + (Number(`1${d}`) * width + width - 1 < plan.accounts ? width : 0),
            0,
          );
          await page.evaluate(frameProbe(settled(want, count)));
          await box.press(d);
          search.push(await probeResult(page));
        }
        await ctx.close();
        return {
          accounts: plan.accounts,
          importPreviewMs: Math.round(imported.previewMs),
          importCommitMs: Math.round(imported.commitMs),
          serverFirstPageMs: round(serverFirstPageMs),
          serverSearchMs: round(serverSearchMs),
          serverSearchBroadMs: round(serverSearchBroadMs),
          browserFirstRenderMs: round(median(firstRender)),
          browserFirstRenderRunsMs: firstRender.map(round),
          browserSearchMs: round(median(search)),
          browserSearchRunsMs: search.map(round),
          fullLoadMs: Math.round(median(loads)),
        };
      } finally {
        await browser.close();
      }
    } finally {
      await server.stop();
    }
  } finally {
    delete process.env.BENCH_CLIENT_DIST;
    rmSync(dist, { recursive: true, force: true });
  }
}
