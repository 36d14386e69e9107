import { MOBILE, startMobileLink } from '@commonroom/testkit';
import { mergeHistograms, percentiles, type Percentiles } from '../hist.ts';
import { clientSpecs, connectLoad, nowNs, startServer, type Options } from '../run-context.ts';
import type { ServerKind } from '../servers/types.ts';

/**
 * Open-loop relay: `clients` sockets in one channel, `writers` of them each sending `rate` messages per
 * second for `durationMs`; every other member records send → receive per message. Latency (a), fan-out
 * (b) and the mobile-link latency are this run with different sizes; the fan-out ceiling is several.
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
  /** `mobile`: every socket through its own poor phone link (testkit mobile-link.ts); loopback unless given. */
  link?: 'mobile';
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
  /** The load processes' CPU over the run, summed (100 = one core): when it nears the cores, the load is the limit. */
  loadCpuPercent: number;
  connectMs: number;
  presenceSent: number;
  /** The Sec-WebSocket-Extensions the sockets got ('' for none). */
  negotiated: string;
};

/** A server, its channel members connected and ready to run open loops on the same sockets. */
type Relay = {
  measure(step: { rate: number; durationMs: number; seqBase?: number }): Promise<RelayResult>;
};

/** Starts the server, connects the plan's clients (through a mobile link if asked), runs `body`, stops all. */
async function withRelay<T>(
  kind: ServerKind,
  plan: RelayPlan,
  opts: Options,
  body: (relay: Relay) => Promise<T>,
): Promise<T> {
  const server = await startServer(kind, opts);
  const link = plan.link === 'mobile' ? await startMobileLink({ targetPort: server.port, ...MOBILE }) : null;
  try {
    const channels = plan.channels ?? 1;
    const writerIdx = Array.from({ length: plan.writers }, (_, i) => i);
    // Commonroom clients follow the author documents of their channel's writers.
    const { specs } = await clientSpecs(kind, server.port, plan.clients, channels, (c, setup) =>
      setup.users.filter((u, i) => u.channel === c && i < plan.writers).map((u) => u.id),
    );
    const load = await connectLoad(kind, link?.port ?? server.port, specs, plan.procs, {
      apply: plan.apply,
      transport: opts.transport,
    });
    try {
      if (load.failed > 0) throw new Error(`${load.failed} clients failed to connect`);
      return await body({
        async measure(step) {
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
                cpuUs: number;
              }>(
                'openLoop',
                {
                  startNs: String(startNs),
                  durationMs: step.durationMs,
                  rate: step.rate,
                  drainMs: 15_000,
                  // Over the mobile link a message can be held back a retransmission timeout and more.
                  quietMs: link ? 3_000 : 1_000,
                  seqBase: step.seqBase ?? 0,
                  writers: writerIdx,
                  presenceEveryMs: plan.presenceEveryMs ?? 0,
                },
                step.durationMs + 60_000,
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
            offeredPerSec: Math.round(plan.writers * step.rate * (plan.clients / channels - 1)),
            serverCpuPercent: Math.round(((cpu1 - cpu0) / 1e6 / wallS) * 100),
            loadCpuPercent: Math.round((results.reduce((n, r) => n + r.cpuUs, 0) / 1e6 / wallS) * 100),
            connectMs: Math.round(load.connectMs),
            presenceSent: results.reduce((n, r) => n + r.presenceSent, 0),
            negotiated: load.negotiated,
          };
          latency.destroy();
          ack.destroy();
          return out;
        },
      });
    } finally {
      await load.close();
    }
  } finally {
    await link?.close();
    await server.stop();
  }
}

export function relayRun(kind: ServerKind, plan: RelayPlan, opts: Options): Promise<RelayResult> {
  return withRelay(kind, plan, opts, (relay) =>
    relay.measure({ rate: plan.rate, durationMs: plan.durationMs }),
  );
}

export type CeilingStep = RelayResult & {
  /** Every offered delivery arrived (99 %, as the 19,800/s row) with p95 ≤ 100 ms. */
  held: boolean;
};
export type CeilingResult = {
  /** The highest offered rate held (0: not even the first step); steps above the first miss are not run. */
  ceilingPerSec: number;
  steps: CeilingStep[];
  /** The Sec-WebSocket-Extensions the sockets got ('' for none). */
  negotiated: string;
};

/** The fan-out ceiling's bar: all offered delivered, p95 within 100 ms. */
export const CEILING_P95_MS = 100;

/**
 * Fan-out ceiling (issue 20): the fan-out channel (`plan`: its clients and writers) offered more and more
 * deliveries per second, `offered` in steps of `stepMs` each, on the same sockets (each step's messages
 * numbered apart, client-proc.ts `seqBase`). The ceiling is the highest step whose offered deliveries all
 * arrived with p95 ≤ 100 ms; after the first step that misses, the rest are not offered (a server past its
 * ceiling queues, and the next step would measure the backlog).
 */
export function ceilingRun(
  kind: ServerKind,
  plan: Omit<RelayPlan, 'rate' | 'durationMs'> & { offered: readonly number[]; stepMs: number },
  opts: Options,
): Promise<CeilingResult> {
  const receivers = plan.clients / (plan.channels ?? 1) - 1;
  return withRelay(kind, { ...plan, rate: 0, durationMs: plan.stepMs }, opts, async (relay) => {
    const steps: CeilingStep[] = [];
    let ceilingPerSec = 0;
    for (const [i, offered] of plan.offered.entries()) {
      const r = await relay.measure({
        rate: offered / (plan.writers * receivers),
        durationMs: plan.stepMs,
        seqBase: (i + 1) * 1_000_000,
      });
      const held = r.delivered >= r.expected * 0.99 && r.delivery.p95 <= CEILING_P95_MS;
      steps.push({ ...r, held });
      if (!held) break;
      ceilingPerSec = offered;
    }
    return { ceilingPerSec, steps, negotiated: steps[0]?.negotiated ?? '' };
  });
}

export type ThroughputPlan = {
  clients: number;
  channels: number;
  window: number;
  durationMs: number;
  procs: number;
};
export type ThroughputResult = {
  /** The Sec-WebSocket-Extensions the sockets got ('' for none). */
  negotiated: string;
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
    const load = await connectLoad(kind, server.port, specs, plan.procs, {
      apply: false,
      transport: opts.transport,
    });
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
        negotiated: load.negotiated,
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
