import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientSpec } from './clients/wire.ts';
import { clientSpecs, connectLoad, startServer, type Options } from './run-context.ts';
import { newDeviceOnNewest } from './scenarios/startup.ts';

/**
 * For working on the startup figure (scenarios/startup.ts), which fills 1,000,000 messages for one sample:
 * fill once (any size), keep the data directory, then open one channel from a new device on a fresh server
 * process `opens` times, each on a copy of the kept directory, and print server CPU and wall time per open
 * and their medians. The same fill and open as the figure (20 writers in 10 channels, 200 messages per
 * update; the newest two segments of the first writer's channel).
 *
 *   npx tsx bench/src/reopen.ts <messages> <opens> [kept-dir]   (--profile: server CPU profiles, as main.ts;
 *   --no-apply: the device scans what arrives instead of applying it to Y.Docs)
 *
 * With a kept directory that already holds a fill, it is reused: before/after comparisons of a server change
 * on the same stored data. What the fill's server left at its stop (compacted documents) is part of the data.
 */

const [messagesArg = '100000', opensArg = '5', kept = ''] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'));
const messages = Number(messagesArg);
const opens = Number(opensArg);
const opts: Options = {
  quick: false,
  transport: 'default',
  profile: process.argv.includes('--profile') ? join(import.meta.dirname, '..', 'results', 'prof') : null,
};
const LIFTED = {
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
};

async function fill(): Promise<{ dataDir: string; specs: ClientSpec[] }> {
  const first = await startServer(
    'commonroom',
    { quick: false, profile: null, transport: 'default' },
    { limits: LIFTED },
  );
  const { specs } = await clientSpecs('commonroom', first.port, 20, 10, (c, setup) =>
    setup.users.filter((u) => u.channel === c).map((u) => u.id),
  );
  const load = await connectLoad('commonroom', first.port, specs, 2, { apply: false });
  const t0 = performance.now();
  const updates = Math.ceil(messages / 200 / 20);
  await Promise.all(load.procs.map((p) => p.request('fill', { updates, perUpdate: 200 }, 1_800_000)));
  await load.close();
  const t1 = performance.now();
  await first.stop(true);
  console.log(
    `filled in ${((t1 - t0) / 1000).toFixed(1)} s; the server stopped in ${Math.round(performance.now() - t1)} ms`,
  );
  return { dataDir: first.dataDir, specs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

let source: { dataDir: string; specs: ClientSpec[] };
if (kept && existsSync(join(kept, 'specs.json'))) {
  source = {
    dataDir: kept,
    specs: JSON.parse(readFileSync(join(kept, 'specs.json'), 'utf8')) as ClientSpec[],
  };
} else {
  source = await fill();
  if (kept) {
    cpSync(source.dataDir, kept, { recursive: true });
    writeFileSync(join(kept, 'specs.json'), JSON.stringify(source.specs));
    rmSync(source.dataDir, { recursive: true, force: true });
    source.dataDir = kept;
  }
}
const reader = source.specs[0];
if (!reader || reader.channel.kind !== 'commonroom' || !reader.cookie) throw new Error('no reader');
const cpu: number[] = [];
const wall: number[] = [];
for (let i = 0; i < opens; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reopen-'));
  cpSync(source.dataDir, dir, { recursive: true });
  const server = await startServer('commonroom', opts, { dataDir: dir });
  try {
    const device = await newDeviceOnNewest(server.port, reader);
    const cpu0 = await server.cpuUs();
    const load = await connectLoad('commonroom', server.port, [device], 1, {
      apply: !process.argv.includes('--no-apply'),
    });
    const cpu1 = await server.cpuUs();
    const { counts } = (await load.procs[0]?.request<{ counts: number[] }>('count')) ?? { counts: [] };
    await load.close();
    const c = Math.round((cpu1 - cpu0) / 100) / 10;
    const w = Math.round(load.connectMs);
    cpu.push(c);
    wall.push(w);
    console.log(`open ${i + 1}: server CPU ${c} ms, wall ${w} ms, ${counts[0] ?? 0} messages`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`median: server CPU ${median(cpu)} ms, wall ${median(wall)} ms (${opens} opens)`);
if (!kept) rmSync(source.dataDir, { recursive: true, force: true });
