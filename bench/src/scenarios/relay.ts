import { mergeHistograms, percentiles, type Percentiles } from '../hist.ts';
import { clientSpecs, connectLoad, nowNs, startServer, type Options } from '../run-context.ts';
import type { ServerKind } from '../servers/types.ts';

/**
 * Open-loop relay: `clients` sockets in one channel, `writers` of them each sending `rate` messages per
 * second for `durationMs`; every other member records send → receive per message. Latency (a) and fan-out
 * (b) are this run with different sizes.
 */

export type RelayPlan = {
  clients: number;
  writers: number;
  rate: number;
  durationMs: number;
  apply: boolean;
  procs: number;
  /** Channels the clients are spread over (client i in channel i % channels); 1 unless given. */
  channels?: number;
  /** Every client changes its presence once per this many ms (away, online, …); none unless given. */
  presenceEveryMs?: number;
};

export type RelayResult = {
  delivery: Percentiles;
  ack: Percentiles;
  sent: number;
  delivered: number;
  expected: number;
  acked: number;
  deliveriesPerSec: number;
  offeredPerSec: number;
  serverCpuPercent: number;
  connectMs: number;
  presenceSent: number;
};

export async function relayRun(kind: ServerKind, plan: RelayPlan, opts: Options): Promise<RelayResult> {
  const server = await startServer(kind, opts);
  try {
    const channels = plan.channels ?? 1;
    const writerIdx = Array.from({ length: plan.writers }, (_, i) => i);
    // Commonroom clients follow the author documents of their channel's writers.
    const { specs } = await clientSpecs(kind, server.port, plan.clients, channels, (c, setup) =>
      setup.users.filter((u, i) => u.channel === c && i < plan.writers).map((u) => u.id),
    );
    const load = await connectLoad(kind, server.port, specs, plan.procs, { apply: plan.apply });
    try {
      if (load.failed > 0) throw new Error(`${load.failed} clients failed to connect`);
      const cpu0 = await server.cpuUs();
      const t0 = nowNs();
      const startNs = nowNs() + 500_000_000n;
      const results = await Promise.all(
        load.procs.map((p) =>
          p.request<{
            latency: string;
            ack: string;
            sent: number;
            delivered: number;
            acked: number;
            firstSendNs: string;
            lastDeliveryNs: string;
            presenceSent: number;
          }>(
            'openLoop',
            {
              startNs: String(startNs),
              durationMs: plan.durationMs,
              rate: plan.rate,
              drainMs: 15_000,
              writers: writerIdx,
              presenceEveryMs: plan.presenceEveryMs ?? 0,
            },
            plan.durationMs + 60_000,
          ),
        ),
      );
      const cpu1 = await server.cpuUs();
      const wallS = Number(nowNs() - t0) / 1e9;
      const latency = mergeHistograms(results.map((r) => r.latency));
      const ack = mergeHistograms(results.map((r) => r.ack));
      const sent = results.reduce((n, r) => n + r.sent, 0);
      const delivered = results.reduce((n, r) => n + r.delivered, 0);
      const first = results.map((r) => BigInt(r.firstSendNs)).filter((x) => x > 0n);
      const last = results.map((r) => BigInt(r.lastDeliveryNs));
      const spanS =
        first.length > 0
          ? Number(last.reduce((a, b) => (a > b ? a : b)) - first.reduce((a, b) => (a < b ? a : b))) / 1e9
          : 1;
      const out: RelayResult = {
        delivery: percentiles(latency),
        ack: percentiles(ack),
        sent,
        delivered,
        expected: sent * (plan.clients / channels - 1),
        acked: results.reduce((n, r) => n + r.acked, 0),
        deliveriesPerSec: Math.round(delivered / spanS),
        offeredPerSec: plan.writers * plan.rate * (plan.clients / channels - 1),
        serverCpuPercent: Math.round(((cpu1 - cpu0) / 1e6 / wallS) * 100),
        connectMs: Math.round(load.connectMs),
        presenceSent: results.reduce((n, r) => n + r.presenceSent, 0),
      };
      latency.destroy();
      ack.destroy();
      return out;
    } finally {
      await load.close();
    }
  } finally {
    await server.stop();
  }
}

export type ThroughputPlan = {
  clients: number;
  channels: number;
  window: number;
  durationMs: number;
  procs: number;
};
export type ThroughputResult = {
  ackedPerSec: number;
  acked: number;
  sent: number;
  ack: Percentiles;
  serverCpuPercent: number;
};

/**
 * Closed loop: every client writes with `window` writes outstanding, next write on each acknowledgement.
 * Commonroom's acknowledgement follows the SQLite commit (synchronous=FULL); the peers' follows applying
 * in memory. The per-user rate limit is lifted for Commonroom here: it guards against abuse, and this
 * figure asks what one process can commit.
 */
export async function throughputRun(
  kind: ServerKind,
  plan: ThroughputPlan,
  opts: Options,
): Promise<ThroughputResult> {
  const server = await startServer(kind, opts, {
    limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000, bytesPerSecond: 1e9, byteBurst: 1e9 },
  });
  try {
    const { specs } = await clientSpecs(kind, server.port, plan.clients, plan.channels, (c, setup) =>
      setup.users.filter((u) => u.channel === c).map((u) => u.id),
    );
    const load = await connectLoad(kind, server.port, specs, plan.procs, { apply: false });
    try {
      if (load.failed > 0) throw new Error(`${load.failed} clients failed to connect`);
      const cpu0 = await server.cpuUs();
      const t0 = nowNs();
      const startNs = nowNs() + 300_000_000n;
      const results = await Promise.all(
        load.procs.map((p) =>
          p.request<{ ack: string; acked: number; sent: number }>(
            'closedLoop',
            { startNs: String(startNs), durationMs: plan.durationMs, window: plan.window },
            plan.durationMs + 60_000,
          ),
        ),
      );
      const cpu1 = await server.cpuUs();
      const wallS = Number(nowNs() - t0) / 1e9;
      const ack = mergeHistograms(results.map((r) => r.ack));
      const acked = results.reduce((n, r) => n + r.acked, 0);
      const out = {
        ackedPerSec: Math.round(acked / (plan.durationMs / 1000)),
        acked,
        sent: results.reduce((n, r) => n + r.sent, 0),
        ack: percentiles(ack),
        serverCpuPercent: Math.round(((cpu1 - cpu0) / 1e6 / wallS) * 100),
      };
      ack.destroy();
      return out;
    } finally {
      await load.close();
    }
  } finally {
    await server.stop();
  }
}
