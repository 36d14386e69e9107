import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveParent, type Msg } from './proc.ts';
import { createWindowProfiler } from './profile.ts';
import type { RunningServer, ServerKind } from './servers/types.ts';

/**
 * One server under test, alone in this process. The parent asks it to start, for its memory (after a full
 * GC), for CPU time used, and to stop. The data directory is a fresh temp dir unless one is given (restart
 * with stored data).
 */

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });

let running: RunningServer | null = null;
let kindRunning = '';
const profileDir = process.env.BENCH_PROFILE_DIR;
const profiler = profileDir ? createWindowProfiler(profileDir) : null;
let dataDir = '';
let ownDir = false;

const memory = (): Record<string, number> => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};

serveParent({
  async start(m: Msg) {
    const kind = m.kind as ServerKind;
    // The transport (run-context.ts): `on` and `off` set every server alike; `default` leaves each as it
    // ships (Commonroom compressing, the peers not).
    const compression = (m.compression as string | undefined) ?? 'default';
    kindRunning = kind;
    ownDir = typeof m.dataDir !== 'string';
    dataDir = typeof m.dataDir === 'string' ? m.dataDir : mkdtempSync(join(tmpdir(), `bench-${kind}-`));
    const t0 = performance.now();
    // Only the server under test is loaded: y-websocket's CommonJS server must not share the process
    // with an ES-module copy of yjs.
    if (kind === 'commonroom') {
      const { startCommonroom } = await import('./servers/commonroom.ts');
      if (process.env.BENCH_EXPERIMENT === 'cork')
        (await import('./servers/cork-experiment.ts')).corkSendsPerTask();
      // --experiment=no-deflate: the server without permessage-deflate (before/after comparisons).
      running = await startCommonroom(dataDir, m.limits ?? {}, {
        compression: compression !== 'off' && process.env.BENCH_EXPERIMENT !== 'no-deflate',
      });
    } else if (kind === 'hocuspocus') {
      const { startHocuspocus } = await import('./servers/hocuspocus.ts');
      running = await startHocuspocus(dataDir, await freePort(), compression === 'on');
    } else {
      const { startYWebsocket } = await import('./servers/y-websocket.ts');
      running = await startYWebsocket(await freePort(), compression === 'on');
    }
    const startMs = performance.now() - t0;
    return { port: running.port, dataDir, startMs, info: running.info(), pid: process.pid };
  },
  memory: () => memory(),
  // Every figure reads the CPU time at the start and the end of what it measures; with --profile those two
  // readings also start and stop a CPU profile of that window.
  async cpu() {
    const u = process.cpuUsage();
    const file = profiler ? await profiler.toggle(kindRunning) : null;
    return { userUs: u.user, systemUs: u.system, ...(file ? { profile: file } : {}) };
  },
  async stop(m: Msg) {
    await running?.stop();
    running = null;
    if (ownDir && m.keep !== true) rmSync(dataDir, { recursive: true, force: true });
    return {};
  },
});

// Exit normally on SIGTERM (the parent's stop), so open handles close in order.
process.on('SIGTERM', () => process.exit(0));
