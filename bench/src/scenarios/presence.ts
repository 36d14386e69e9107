import { clientSpecs, connectLoad, nowNs, startServer, type Options } from '../run-context.ts';

/**
 * Presence at college scale (issue 15 §3): `people` online at once, one socket each, in classes of
 * `classSize` (their small conversations; everyone is also in the college-wide channels, which count for
 * no one's presence circle), and a tenth of them changing state each minute (their device going idle and
 * back). Measured over `windows` windows of `windowMs`: the server's CPU and the bytes each device receives
 * per minute; the median window is reported. Commonroom only: the peers have no presence of their own
 * beyond awareness per document.
 */
export type PresencePlan = {
  people: number;
  classSize: number;
  windowMs: number;
  windows: number;
  procs: number;
};

export type PresenceResult = {
  people: number;
  changesPerMinute: number;
  /** Median over the windows. */
  serverCpuPercent: number;
  bytesPerDevicePerMinute: number;
  /** Each window's figures, in order. */
  runs: { serverCpuPercent: number; bytesPerDevicePerMinute: number; changes: number }[];
  connectMs: number;
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function presenceRun(plan: PresencePlan, opts: Options): Promise<PresenceResult> {
  const server = await startServer('commonroom', opts);
  try {
    const classes = Math.ceil(plan.people / plan.classSize);
    const { specs } = await clientSpecs('commonroom', server.port, plan.people, classes, () => []);
    const load = await connectLoad('commonroom', server.port, specs, plan.procs, {
      apply: false,
      parallel: 25,
    });
    try {
      if (load.failed > 0) throw new Error(`${load.failed} clients failed to connect`);
      // Let the presence of everyone coming online settle before measuring.
      await new Promise((r) => setTimeout(r, 2_000));
      const runs: PresenceResult['runs'] = [];
      for (let w = 0; w < plan.windows; w++) {
        const cpu0 = await server.cpuUs();
        const t0 = nowNs();
        const startNs = nowNs() + 200_000_000n;
        // Each person changes once per ten windows of a minute: a tenth of them a minute, at random moments.
        const results = await Promise.all(
          load.procs.map((p) =>
            p.request<{ presenceSent: number; bytesIn: number }>(
              'openLoop',
              {
                startNs: String(startNs),
                durationMs: plan.windowMs,
                rate: 0,
                drainMs: 3_000,
                writers: [],
                presenceEveryMs: plan.windowMs * 10,
              },
              plan.windowMs + 60_000,
            ),
          ),
        );
        const cpu1 = await server.cpuUs();
        const wallS = Number(nowNs() - t0) / 1e9;
        const bytes = results.reduce((n, r) => n + r.bytesIn, 0);
        runs.push({
          serverCpuPercent: Math.round(((cpu1 - cpu0) / 1e6 / wallS) * 1000) / 10,
          bytesPerDevicePerMinute: Math.round((bytes / plan.people) * (60_000 / plan.windowMs)),
          changes: results.reduce((n, r) => n + r.presenceSent, 0),
        });
      }
      return {
        people: plan.people,
        changesPerMinute: Math.round(median(runs.map((r) => r.changes)) * (60_000 / plan.windowMs)),
        serverCpuPercent: median(runs.map((r) => r.serverCpuPercent)),
        bytesPerDevicePerMinute: median(runs.map((r) => r.bytesPerDevicePerMinute)),
        runs,
        connectMs: Math.round(load.connectMs),
      };
    } finally {
      await load.close();
    }
  } finally {
    await server.stop();
  }
}
