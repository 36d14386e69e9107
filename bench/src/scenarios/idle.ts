import { clientSpecs, connectLoad, startServer, type Options } from '../run-context.ts';
import type { ServerKind } from '../servers/types.ts';

/**
 * Idle WebSockets: `sockets` connections that complete the handshake and follow one channel each
 * (Commonroom: HELLO/WELCOME, then the channel's index and the person's own document; Hocuspocus: auth and
 * sync of one document; y-websocket: sync of one document), then stay quiet. Server memory is read after
 * a full GC before and after. Commonroom allows 10 sockets per person, so there is one account per 10
 * sockets.
 */
export type IdleResult = {
  sockets: number;
  failed: number;
  connectMs: number;
  rssPerSocketKB: number;
  heapPerSocketKB: number;
  rssDeltaMB: number;
  /** Sockets whose WELCOME the real engine cannot decode (more than 512 frames). */
  refusedByEngine: number;
};

export async function idleRun(
  kind: ServerKind,
  plan: { sockets: number; channels: number; procs: number },
  opts: Options,
): Promise<IdleResult> {
  const server = await startServer(kind, opts);
  try {
    const accounts = kind === 'commonroom' ? Math.ceil(plan.sockets / 10) : plan.sockets;
    const { specs: base } = await clientSpecs(kind, server.port, accounts, plan.channels, () => []);
    const specs =
      kind === 'commonroom'
        ? Array.from({ length: plan.sockets }, (_, i) => ({ ...(base[i % accounts] ?? base[0]!), index: i }))
        : base;
    const before = await server.memory();
    const load = await connectLoad(kind, server.port, specs, plan.procs, { apply: false, parallel: 25 });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const after = await server.memory();
      const n = plan.sockets - load.failed;
      const counts = await Promise.all(load.procs.map((p) => p.request<{ violations: number }>('bytes')));
      return {
        sockets: n,
        failed: load.failed,
        connectMs: Math.round(load.connectMs),
        rssPerSocketKB: Math.round(((after.rss - before.rss) / n / 1024) * 10) / 10,
        heapPerSocketKB: Math.round(((after.heapUsed - before.heapUsed) / n / 1024) * 10) / 10,
        rssDeltaMB: Math.round((after.rss - before.rss) / 1024 / 1024),
        refusedByEngine: counts.reduce((x, c) => x + c.violations, 0),
      };
    } finally {
      await load.close();
    }
  } finally {
    await server.stop();
  }
}
