import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { machine } from './machine.ts';
import { writeReport, type Results } from './report.ts';
import { TransportMismatch, type Options, type Transport } from './run-context.ts';
import { attachmentsRun } from './scenarios/attachments.ts';
import { bundleRun } from './scenarios/bundle.ts';
import { catchUpRun } from './scenarios/catch-up.ts';
import { coldStartRun } from './scenarios/coldstart.ts';
import { hostileRun } from './scenarios/hostile.ts';
import { idleRun } from './scenarios/idle.ts';
import { openHistoryRun } from './scenarios/open-history.ts';
import { peopleRun } from './scenarios/people.ts';
import { presenceRun } from './scenarios/presence.ts';
import { searchDeviceRun } from './scenarios/search-device.ts';
import { ceilingRun, relayRun, throughputRun } from './scenarios/relay.ts';
import { searchRun } from './scenarios/search.ts';
import { startupRun } from './scenarios/startup.ts';
import { stormRun } from './scenarios/storm.ts';
import { SERVER_KINDS, type ServerKind } from './servers/types.ts';

/**
 * `npm run bench` runs every figure against the three servers and rewrites BENCHMARKS.md and
 * bench/results/latest.json. `--quick` is the CI smoke run: small sizes, short runs, results printed and
 * written to bench/results/quick.json only (BENCHMARKS.md keeps the full figures). `--only=a,b` runs some
 * figures; `--servers=commonroom` some servers; `--runs=N` repeats each figure N times (default 3, quick 1)
 * and reports the median with the spread; `--transport=on,off,default` runs the side-by-side figures in
 * those transports only (default: all each figure has); `--profile` writes server CPU profiles to bench/results/prof
 * (and its slowed figures to bench/results/profiled.json only);
 * `--report` only rewrites BENCHMARKS.md from latest.json; `--experiment=cork` measures a proposed server change (results/experiment-cork.json only);
 * `--experiment=no-deflate` runs Commonroom without permessage-deflate (results/experiment-no-deflate.json).
 */

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`npm run bench -- [flags]

  --quick                 the CI smoke run: small sizes, one run, one transport per side-by-side figure;
                          results in bench/results/quick.json only
  --runs=N                run each figure N times and report the median with the spread (default 3; --quick 1)
  --transport=on,off,default
                          side-by-side figures only in these transports (default: compression on and off
                          for all three servers; idle memory also with each server's default)
  --only=a,b              only these figures: latency, fanout, ceiling, load500, throughput, idle, catchup,
                          mobile-latency, mobile-catchup, startup, deflatemem, hostile, storm, open100k,
                          presence, people, attachments, search, bundle, coldstart, search-device
  --servers=commonroom    only these servers (commonroom, hocuspocus, y-websocket)
  --profile               server CPU profiles of each measured window in bench/results/prof
  --report                rewrite BENCHMARKS.md from bench/results/latest.json, running nothing
  --experiment=cork|no-deflate
                          a proposed Commonroom change, results in bench/results/experiment-*.json`);
  process.exit(0);
}
const flag = (name: string): string | undefined =>
  args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split('=')[1] ??
  (args.includes(`--${name}`) ? '' : undefined);
const quick = flag('quick') !== undefined;
const only = flag('only')?.split(',').filter(Boolean);
const servers = (flag('servers')?.split(',').filter(Boolean) ?? [...SERVER_KINDS]) as ServerKind[];
// Experiments change the Commonroom server process (see servers/cork-experiment.ts); results go to their
// own JSON file and never into BENCHMARKS.md's tables.
const experiment = flag('experiment');
if (experiment) process.env.BENCH_EXPERIMENT = experiment;
const root = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = join(root, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const opts: Options = {
  quick,
  profile: flag('profile') !== undefined ? join(resultsDir, 'prof') : null,
  transport: 'default',
};
const runs = Math.max(1, Number(flag('runs') ?? (quick ? 1 : 3)) || 1);
const transports = flag('transport')?.split(',').filter(Boolean) as Transport[] | undefined;
for (const t of transports ?? [])
  if (!['on', 'off', 'default'].includes(t)) throw new Error(`--transport: "${t}" is not on, off or default`);

// `--report`: rewrite BENCHMARKS.md from bench/results/latest.json without running anything.
if (flag('report') !== undefined) {
  const saved = JSON.parse(readFileSync(join(resultsDir, 'latest.json'), 'utf8')) as Results;
  writeReport(join(root, 'BENCHMARKS.md'), saved);
  console.log('wrote BENCHMARKS.md from bench/results/latest.json');
  process.exit(0);
}

const wanted = (id: string): boolean => !only || only.includes(id);
const results: Results = { machine: machine(), quick, runs, figures: {} };
const t0 = Date.now();

/**
 * What a figure stores per server: every run (`repeats`: a name no scenario uses inside its own result),
 * or why none succeeded.
 */
type Cell<T> = { repeats: T[]; errors?: string[] } | { error: string };
let mismatches = 0;

/**
 * Runs `f` `count` times for every server, interleaved (run 1 of each server, then run 2 …), so a change in
 * the machine's load falls on all three alike; a failed run is recorded and the others kept.
 */
async function repeat<T>(
  title: string,
  kinds: readonly ServerKind[],
  count: number,
  f: (k: ServerKind) => Promise<T>,
): Promise<Partial<Record<ServerKind, Cell<T>>>> {
  const done: Partial<Record<ServerKind, T[]>> = {};
  const errors: Partial<Record<ServerKind, string[]>> = {};
  for (let i = 0; i < count; i++)
    for (const k of kinds) {
      process.stdout.write(`${title} · ${k}${count > 1 ? ` (run ${i + 1} of ${count})` : ''} … `);
      const started = Date.now();
      try {
        const r = await f(k);
        (done[k] ??= []).push(r);
        process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n  ${JSON.stringify(r)}\n`);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (e instanceof TransportMismatch) mismatches++;
        (errors[k] ??= []).push(message);
        process.stdout.write(`failed: ${message}\n`);
      }
    }
  const out: Partial<Record<ServerKind, Cell<T>>> = {};
  for (const k of kinds) {
    const ok = done[k] ?? [];
    const bad = errors[k];
    out[k] =
      ok.length > 0 ? { repeats: ok, ...(bad ? { errors: bad } : {}) } : { error: bad?.join('; ') ?? '' };
  }
  return out;
}

/**
 * A side-by-side figure: all three servers, in each of `modes` (run-context.ts Transport), stored as
 * `id/mode`.
 */
async function sideBySide<T>(
  id: string,
  title: string,
  modes: readonly Transport[],
  f: (k: ServerKind, o: Options) => Promise<T>,
): Promise<void> {
  if (!wanted(id)) return;
  for (const mode of modes)
    results.figures[`${id}/${mode}`] = await repeat(`${title} [compression ${mode}]`, servers, runs, (k) =>
      f(k, { ...opts, transport: mode }),
    );
}

/**
 * The transports of each side-by-side figure. The full run measures every figure compressed and not; the
 * smoke run (`--quick`, CI) one transport per figure, alternating, so both paths and the check of what was
 * negotiated are exercised in the time CI allows. `--transport=…` picks from the full list instead.
 */
const BOTH: readonly Transport[] = ['on', 'off'];
const modesOf = (quickMode: Transport, full: readonly Transport[] = BOTH): readonly Transport[] =>
  transports ? full.filter((m) => transports.includes(m)) : quick ? [quickMode] : full;

// Two load processes for the full run; one for the smoke run, where process start-up dominates.
const procs = quick ? 1 : 2;
await sideBySide('latency', 'latency at 100 msg/s', modesOf('on'), (k, o) =>
  relayRun(
    k,
    { clients: 20, writers: 10, rate: 10, durationMs: quick ? 2_000 : 20_000, apply: true, procs },
    o,
  ),
);
await sideBySide('fanout', 'fan-out, 200 msg/s into a 100-member channel', modesOf('off'), (k, o) =>
  relayRun(
    k,
    { clients: 100, writers: 20, rate: 10, durationMs: quick ? 2_000 : 20_000, apply: false, procs },
    o,
  ),
);
// The fan-out channel offered more and more until a server falls behind (issue 20): its ceiling.
await sideBySide('ceiling', 'fan-out ceiling', modesOf('off'), (k, o) =>
  ceilingRun(
    k,
    quick
      ? { clients: 50, writers: 10, apply: false, procs, offered: [20_000, 50_000], stepMs: 1_000 }
      : {
          clients: 100,
          writers: 20,
          apply: false,
          procs,
          offered: [20_000, 35_000, 50_000, 70_000, 100_000],
          stepMs: 10_000,
        },
    o,
  ),
);
// 500 people in 50 channels of 10, each writing one message a minute and changing presence once a minute.
await sideBySide('load500', 'latency with 500 clients in 50 channels, with presence', modesOf('on'), (k, o) =>
  relayRun(
    k,
    quick
      ? {
          clients: 100,
          writers: 100,
          channels: 10,
          rate: 0.5,
          durationMs: 2_000,
          apply: true,
          procs,
          presenceEveryMs: 1_000,
        }
      : {
          clients: 500,
          writers: 500,
          channels: 50,
          rate: 1 / 60,
          durationMs: 60_000,
          apply: true,
          procs,
          presenceEveryMs: 60_000,
        },
    o,
  ),
);
await sideBySide('throughput', 'acknowledged messages per second', modesOf('off'), (k, o) =>
  throughputRun(k, { clients: 100, channels: 10, window: 4, durationMs: quick ? 2_000 : 10_000, procs }, o),
);
// Idle memory: each server as it ships with browser-like clients (issue 20), then compressed and not.
await sideBySide('idle', 'idle sockets', modesOf('default', ['default', 'on', 'off']), (k, o) =>
  idleRun(k, { sockets: quick ? 200 : 10_000, channels: 10, procs: quick ? 1 : 4 }, o),
);
await sideBySide('catchup', 'catch-up after 1,000 missed messages', modesOf('on'), (k, o) =>
  catchUpRun(k, { writers: 10, warm: 50, missed: 1000, rounds: quick ? 2 : 5 }, o),
);
// A poor phone link (testkit mobile-link.ts) under every socket of a small channel, and under a reader
// catching up.
await sideBySide('mobile-latency', 'latency over a mobile link', modesOf('off'), (k, o) =>
  relayRun(
    k,
    {
      clients: 10,
      writers: 5,
      rate: 1,
      durationMs: quick ? 3_000 : 20_000,
      apply: true,
      procs: 1,
      link: 'mobile',
    },
    o,
  ),
);
await sideBySide('mobile-catchup', 'catch-up over a mobile link', modesOf('on'), (k, o) =>
  catchUpRun(
    k,
    { writers: 10, warm: 50, missed: quick ? 200 : 1000, rounds: quick ? 1 : 3, link: 'mobile' },
    o,
  ),
);

/**
 * A Commonroom-only figure, stored under `commonroom`, a failure recorded rather than thrown. Repeated
 * `--runs` times like the side-by-side figures, unless `once`: a figure that already takes the median of
 * several repetitions inside one run (its setup text says which) or is not a timing (the bundle's bytes).
 */
async function commonroomOnly<T>(
  id: string,
  title: string,
  f: () => Promise<T>,
  o: { once?: boolean } = {},
): Promise<void> {
  if (!wanted(id) || !servers.includes('commonroom')) return;
  results.figures[id] = await repeat(title, ['commonroom'], o.once ? 1 : runs, () => f());
}

// Commonroom only: the peers keep no per-message store to start from. Filling takes longest.
await commonroomOnly('startup', 'server start with stored messages', () =>
  startupRun({ messages: quick ? 4_000 : 1_000_000, writers: 20, channels: 10 }, opts),
);

// Commonroom: memory per socket for sockets that negotiated permessage-deflate and got compressed answers,
// against the same sockets without it (separate servers). The idle figure's clients
// offer it as browsers do (except with compression off), but Commonroom's answers to them are
// under its 1 KiB threshold (the peers, with context takeover, compress everything).
await commonroomOnly('deflatemem', 'memory per socket with permessage-deflate', async () => {
  const plan = { sockets: quick ? 100 : 1_000, channels: 10, procs: quick ? 1 : 2 };
  const plain = await idleRun('commonroom', { ...plan, compressed: { history: 100, deflate: false } }, opts);
  const deflate = await idleRun('commonroom', { ...plan, compressed: { history: 100, deflate: true } }, opts);
  return {
    plain,
    deflate,
    zlibPerSocketKB: Math.round((deflate.rssPerSocketKB - plain.rssPerSocketKB) * 10) / 10,
  };
});
// A hostile student's worst updates and how long a bystander waits for each (issue 12 A1). Commonroom only:
// the peers accept any update into a shared document, so there is nothing like it to compare.
// Medians over its rounds inside the one run.
await commonroomOnly('hostile', 'hostile updates', () => hostileRun({ rounds: quick ? 4 : 20 }, opts), {
  once: true,
});
// Reconnect storm: 1,000 devices × 5 of 50 channels with 5,000-message histories come back at once.
// Commonroom only (see scenarios/storm.ts and the report's setup text for why).
await commonroomOnly('storm', 'reconnect storm', () =>
  stormRun(
    quick
      ? {
          devices: 40,
          channels: 10,
          perDevice: 5,
          writers: 2,
          history: 300,
          perUpdate: 50,
          missedPerWriter: 3,
          segmentsHeld: 2,
          segmentSize: 100,
          procs: 1,
          deadlineMs: 20_000,
        }
      : {
          devices: 1_000,
          channels: 50,
          perDevice: 5,
          writers: 10,
          history: 5_000,
          perUpdate: 100,
          missedPerWriter: 5,
          segmentsHeld: 2,
          procs: 2,
          deadlineMs: 60_000,
        },
    opts,
  ),
);

// A new device opens a channel with 100,000 messages of history, with the real engine (the peers have no paging).
await commonroomOnly('open100k', 'open a 100k-message channel on a new device', () =>
  openHistoryRun(
    {
      messages: quick ? 3_000 : 100_000,
      writers: 20,
      perUpdate: quick ? 50 : 200,
      screen: 50,
      segmentSize: quick ? 100 : 1_000,
      timeoutMs: quick ? 10_000 : 30_000,
    },
    opts,
  ),
);

// Presence at college scale (issue 15 §3): 5,000 people online in classes of 25, a tenth of them changing
// state a minute; server CPU and bytes per device, the median of three one-minute windows.
await commonroomOnly(
  'presence',
  'presence with 5,000 people online',
  () =>
    presenceRun(
      quick
        ? { people: 200, classSize: 25, windowMs: 5_000, windows: 3, procs: 1 }
        : { people: 5_000, classSize: 25, windowMs: 60_000, windows: 3, procs: 2 },
      opts,
    ),
  { once: true },
);

// The admin console's People table with 20,000 accounts (issue 13 §2): server pages and searches, and the
// table's first render and a search keystroke in Chromium. Commonroom only (the peers have no accounts).
await commonroomOnly(
  'people',
  'People table with 20,000 accounts',
  () =>
    peopleRun(
      root,
      quick
        ? { accounts: 2_000, serverRuns: 5, browserRuns: 3 }
        : { accounts: 20_000, serverRuns: 20, browserRuns: 7 },
      opts,
    ),
  // Medians of 20 server and 7 browser runs inside the one figure.
  { once: true },
);

// Attachments (issue 17): upload throughput on loopback and through a 400 kbit/s link, thumbnail time, and
// the server's memory while 20 people upload at once (it must stream).
await commonroomOnly(
  'attachments',
  'attachments: uploads and thumbnails',
  () =>
    attachmentsRun(
      quick
        ? { fileMB: 1, runs: 1, throttledMB: 0.1, thumbRuns: 2, concurrent: 4 }
        : { fileMB: 10, runs: 3, throttledMB: 10, thumbRuns: 7, concurrent: 20 },
      opts,
    ),
  // Medians inside (3 uploads, 7 photos); the 400 kbit/s upload takes 3.5 minutes and is a rate held.
  { once: true },
);

// Server search at 1M stored messages (issue 16): the rows written straight into SQLite (see the scenario).
await commonroomOnly(
  'search',
  'server search at 1M stored messages',
  () =>
    Promise.resolve(
      searchRun(
        quick
          ? { messages: 20_000, conversations: 100, people: 400, membersPer: 20, mine: 10, runs: 10 }
          : { messages: 1_000_000, conversations: 500, people: 2_000, membersPer: 20, mine: 20, runs: 50 },
      ),
    ),
  // Medians of 50 queries inside the one figure.
  { once: true },
);

// The PWA's own figure: what a phone downloads, from a production build (no server involved). Bytes, not
// a timing: built once.
await commonroomOnly('bundle', 'PWA bundle size', () => Promise.resolve(bundleRun(root)), { once: true });

// The PWA opened offline in Chromium with a 100k-message channel on the device (Commonroom only: the peers
// have no client). Quick: a small channel with 100-message segments, one cold start. `--runs` cold starts,
// each a new browser process, on one filled profile (the median is the figure).
await commonroomOnly(
  'coldstart',
  'PWA cold start offline',
  () =>
    coldStartRun(
      root,
      quick
        ? { messages: 2_000, writers: 2, perUpdate: 50, segmentSize: 100, runs, warmTimeoutMs: 120_000 }
        : {
            messages: 100_000,
            writers: 10,
            perUpdate: 100,
            segmentSize: 1_000,
            runs,
            warmTimeoutMs: 600_000,
          },
      opts,
    ),
  { once: true },
);

// Device search (issue 16): the app's index and the candidate libraries in a worker of headless Chromium.
// Orama is measured only in the quick run: at 100,000 messages its page ran out of memory (docs/SEARCH.md).
await commonroomOnly(
  'search-device',
  'device search over 100k messages',
  () =>
    searchDeviceRun(
      quick
        ? { count: 5_000, libs: ['commonroom', 'minisearch', 'flexsearch', 'orama'] }
        : { count: 100_000, libs: ['commonroom', 'minisearch', 'flexsearch'], runs },
    ),
  // Each library is built and measured `runs` times inside the one figure (its median).
  { once: true },
);

results.loadAverageAfter = Math.round((loadavg()[0] ?? 0) * 100) / 100;
// A profiled server runs several times slower: its figures go to their own file, never into the report.
const profiled = opts.profile !== null;
const file = join(
  resultsDir,
  experiment
    ? `experiment-${experiment}.json`
    : quick
      ? 'quick.json'
      : profiled
        ? 'profiled.json'
        : 'latest.json',
);
// A full run of some figures (`--only`) is merged into latest.json, and the report says when those were taken.
if (only && !quick && !experiment && !profiled && existsSync(file)) {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const ids = Object.keys(results.figures);
  // Per server: a run with --servers=commonroom keeps the peers' figures of the same table.
  const merged = { ...saved.figures };
  for (const id of ids) merged[id] = { ...saved.figures[id], ...results.figures[id] };
  saved.figures = merged;
  saved.partialRuns = [
    ...(saved.partialRuns ?? []).filter((r) => !r.figures.every((f) => ids.includes(f))),
    { figures: ids, date: results.machine.date, loadAverage: results.machine.loadAverage },
  ];
  Object.assign(results, saved);
}
// Formatted as the repository's Prettier would, so `npm run format:check` passes on the committed file.
writeFileSync(file, await format(JSON.stringify(results), { parser: 'json', printWidth: 110 }));
console.log(`\nwrote ${file} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (!quick && !experiment && !profiled) {
  writeReport(join(root, 'BENCHMARKS.md'), results);
  console.log('wrote BENCHMARKS.md');
}
// A figure whose server did not negotiate what its transport says compares unlike with unlike: CI fails.
if (mismatches > 0) {
  console.error(`\n${mismatches} run(s) failed the transport check (compression not as the figure says)`);
  process.exitCode = 1;
}
