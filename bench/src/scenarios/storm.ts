import { rmSync } from 'node:fs';
import type { ServerLimits } from '@commonroom/sync-server';
import type { ClientSpec } from '../clients/wire.ts';
import { runStormClient, type StormSpec } from '../clients/storm-client.ts';
import { mergeHistograms, percentiles, type Percentiles } from '../hist.ts';
import { spawnChild } from '../proc.ts';
import { connectLoad, nowNs, startServer, type Options } from '../run-context.ts';
import { setupCommonroom, type CommonroomSetup } from '../setup.ts';

/**
 * Reconnect storm (Commonroom only): `devices` people, each in `perDevice` of `channels` channels whose
 * histories hold `history` messages, written by `writers` members of each channel. Every device holds the
 * newest `segmentsHeld` segments of each of its channels as they were when it went away; while away,
 * each channel's writers write `missedPerWriter` more messages each; the server restarts on the same
 * database (as after a deploy: no document in memory); then all devices come back at once, each after the
 * engine's jittered backoff. Measured: time from that instant until every device holds everything, per
 * device percentiles, the server's CPU, and the bytes received.
 */

export type StormPlan = {
  devices: number;
  channels: number;
  perDevice: number;
  writers: number;
  history: number;
  perUpdate: number;
  missedPerWriter: number;
  segmentsHeld: number;
  procs: number;
  deadlineMs: number;
  /** Quick runs shrink segments so that the run still crosses segment boundaries. */
  segmentSize?: number;
};

export type StormResult = {
  devices: number;
  channels: number;
  storedMessages: number;
  missedPerDevice: number;
  /** Documents each device follows at once on the reconnect, of those it holds. */
  documentsPerDevice: number;
  documentsHeldPerDevice: number;
  complete: number;
  allCaughtUpMs: number;
  allHttpDoneMs: number;
  caughtUp: Percentiles;
  serverCpuMs: number;
  serverCpuPercent: number;
  socketMB: number;
  httpMB: number;
  bytesPerDeviceKB: number;
  retries: number;
  /** CPU time of the load processes (the devices) over the storm. */
  loadCpuMs: number;
  fillSeconds: number;
};

const LIFTED: Partial<ServerLimits> = {
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
};
/** Markers of messages written while the devices were away come from writers numbered from here. */
const MISSED_FROM = 100_000;

type Layout = { stride: number; membersOf: (c: number) => number[]; channelsOf: (i: number) => number[] };

/** Device i is in channels i % stride + j·stride: groups of devices share the same `perDevice` channels. */
function layout(plan: StormPlan): Layout {
  const stride = plan.channels / plan.perDevice;
  if (!Number.isInteger(stride)) throw new Error('channels must be a multiple of perDevice');
  return {
    stride,
    channelsOf: (i) => Array.from({ length: plan.perDevice }, (_, j) => (i % stride) + j * stride),
    membersOf: (c) =>
      Array.from({ length: plan.devices }, (_, i) => i).filter((i) => i % stride === c % stride),
  };
}

/** One socket per (writer, channel): the harness's writer client follows one channel. */
function writerSpecs(setup: CommonroomSetup, l: Layout, plan: StormPlan, first: number): ClientSpec[] {
  const specs: ClientSpec[] = [];
  for (let c = 0; c < plan.channels; c++)
    for (const i of l.membersOf(c).slice(0, plan.writers)) {
      const u = setup.users[i];
      const ch = setup.channels[c];
      if (!u || !ch) throw new Error('missing account or channel');
      specs.push({
        index: first + specs.length,
        cookie: u.cookie,
        userId: u.id,
        channel: { kind: 'commonroom', conversationId: ch.id, segment: ch.segment, authors: [] },
      });
    }
  return specs;
}

/** Each channel's current segment, as the people in it are told (GET /api/conversations). */
async function segments(port: number, setup: CommonroomSetup, l: Layout): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const u of setup.users.slice(0, l.stride)) {
    const res = await fetch(`http://127.0.0.1:${port}/api/conversations`, { headers: { cookie: u.cookie } });
    const body = (await res.json()) as { conversations: { id: string; segment: number }[] };
    for (const c of body.conversations) out.set(c.id, c.segment);
  }
  return out;
}

async function writeAll(port: number, specs: ClientSpec[], procs: number, request: string, body: object) {
  const load = await connectLoad('commonroom', port, specs, procs, { apply: false });
  try {
    if (load.failed > 0) throw new Error(`${load.failed} writers failed to connect`);
    await Promise.all(load.procs.map((p) => p.request(request, { ...body }, 600_000)));
  } finally {
    await load.close();
  }
}

type Held = {
  setup: CommonroomSetup;
  /** Document name → the state vector every device that held it had when it went away. */
  states: Map<string, Uint8Array>;
  /** Conversation → the segments its members held. */
  heldOf: Map<string, number[]>;
  /** The directory version the devices held (the engine keeps the ETag with the directory). */
  directoryEtag: string | null;
  fillSeconds: number;
};

const channelOf = (setup: CommonroomSetup, c: number): { id: string } => {
  const ch = setup.channels[c];
  if (!ch) throw new Error('missing channel');
  return ch;
};
const writerIds = (setup: CommonroomSetup, l: Layout, plan: StormPlan, c: number): string[] =>
  l
    .membersOf(c)
    .slice(0, plan.writers)
    .map((i) => setup.users[i]?.id ?? '');

/** Accounts, histories, the devices' replicas, then the messages they miss: everything before the storm. */
async function prepare(port: number, plan: StormPlan, l: Layout): Promise<Held> {
  const setup = await setupCommonroom(port, {
    channels: plan.channels,
    users: plan.devices,
    prefix: 's',
    channelsOf: l.channelsOf,
  });
  // The histories, many messages per update as a backlog sent merged (filling takes seconds).
  const t0 = performance.now();
  const updates = Math.ceil(plan.history / plan.writers / plan.perUpdate);
  await writeAll(port, writerSpecs(setup, l, plan, 0), plan.procs, 'fill', {
    updates,
    perUpdate: plan.perUpdate,
  });
  const fillSeconds = Math.round((performance.now() - t0) / 100) / 10;

  // What each device held when it went away: the newest segments of each channel, primed once per
  // channel (every member held the same state of them).
  const states = new Map<string, Uint8Array>();
  const heldOf = new Map<string, number[]>();
  let directoryEtag: string | null = null;
  for (const [id, seg] of await segments(port, setup, l))
    heldOf.set(
      id,
      Array.from({ length: plan.segmentsHeld }, (_, k) => seg - k).filter((s) => s >= 0),
    );
  for (let c = 0; c < plan.channels; c++) {
    const member = setup.users[l.membersOf(c)[0] ?? 0];
    if (!member) throw new Error('empty channel');
    const id = channelOf(setup, c).id;
    const startNs = nowNs();
    const primed = await runStormClient(
      port,
      {
        index: -1,
        cookie: member.cookie,
        userId: member.id,
        channels: [
          { conversationId: id, segments: heldOf.get(id) ?? [], authors: writerIds(setup, l, plan, c) },
        ],
        recentlyOpened: [id],
        expectMissed: 0,
      },
      new Map(),
      { startNs, deadlineNs: startNs + 60_000_000_000n, missedFrom: MISSED_FROM, record: states },
    );
    if (primed.caughtUpMs === null) throw new Error(`priming channel ${c} did not finish`);
    directoryEtag = primed.directoryEtag;
  }

  // While the devices are away, each channel's writers write a few messages each, one per update.
  const current = await segments(port, setup, l);
  for (const ch of setup.channels) ch.segment = current.get(ch.id) ?? ch.segment;
  await writeAll(port, writerSpecs(setup, l, plan, MISSED_FROM), plan.procs, 'burst', {
    perClient: plan.missedPerWriter,
    window: 1,
  });
  return { setup, states, heldOf, directoryEtag, fillSeconds };
}

export async function stormRun(plan: StormPlan, opts: Options): Promise<StormResult> {
  const l = layout(plan);
  const limits = plan.segmentSize ? { segmentSize: plan.segmentSize } : {};
  const first = await startServer('commonroom', opts, { limits: { ...LIFTED, ...limits } });
  const { dataDir } = first;
  try {
    let held: Held;
    try {
      held = await prepare(first.port, plan, l);
    } finally {
      await first.stop(true);
    }
    const { setup, states, heldOf, directoryEtag, fillSeconds } = held;

    // The server restarts on the same database: every document loads from SQLite again.
    const server = await startServer('commonroom', opts, { dataDir, limits });
    const procs = Array.from({ length: plan.procs }, () => spawnChild('./storm-proc.ts', []));
    try {
      const specs: StormSpec[] = setup.users.map((u, i) => ({
        index: i,
        cookie: u.cookie,
        userId: u.id,
        channels: l.channelsOf(i).map((c) => ({
          conversationId: channelOf(setup, c).id,
          segments: heldOf.get(channelOf(setup, c).id) ?? [],
          authors: writerIds(setup, l, plan, c),
        })),
        // The first two of its channels were opened last (the engine keeps two).
        recentlyOpened: l
          .channelsOf(i)
          .slice(0, 2)
          .map((c) => channelOf(setup, c).id),
        expectMissed: plan.perDevice * plan.writers * plan.missedPerWriter,
      }));
      const table = [...states].map(([n, sv]) => [n, Buffer.from(sv).toString('base64')]);
      await Promise.all(
        procs.map((p, k) =>
          p.request('prepare', {
            port: server.port,
            specs: specs.filter((_, i) => i % plan.procs === k),
            states: table,
            missedFrom: MISSED_FROM,
            directoryEtag,
          }),
        ),
      );
      const cpu0 = await server.cpuUs();
      const startNs = nowNs() + 200_000_000n;
      type Part = {
        caughtUp: string;
        complete: number;
        lastCaughtUpMs: number;
        lastHttpDoneMs: number;
        retries: number;
        socketBytes: number;
        httpBytes: number;
        documents: number;
        documentsHeld: number;
        loadCpuMs: number;
      };
      const parts = await Promise.all(
        procs.map((p) =>
          p.request<Part>(
            'storm',
            { startNs: String(startNs), deadlineMs: plan.deadlineMs },
            plan.deadlineMs + 60_000,
          ),
        ),
      );
      const cpu1 = await server.cpuUs();
      const wallMs = Number(nowNs() - startNs) / 1e6;
      const hist = mergeHistograms(parts.map((p) => p.caughtUp));
      const sum = (f: (p: Part) => number): number => parts.reduce((n, p) => n + f(p), 0);
      const socketBytes = sum((p) => p.socketBytes);
      const httpBytes = sum((p) => p.httpBytes);
      const result: StormResult = {
        devices: plan.devices,
        channels: plan.channels,
        storedMessages: plan.channels * plan.writers * Math.ceil(plan.history / plan.writers),
        missedPerDevice: plan.perDevice * plan.writers * plan.missedPerWriter,
        documentsPerDevice: Math.round(sum((p) => p.documents) / plan.devices),
        documentsHeldPerDevice: Math.round(sum((p) => p.documentsHeld) / plan.devices),
        complete: sum((p) => p.complete),
        allCaughtUpMs: Math.round(Math.max(...parts.map((p) => p.lastCaughtUpMs))),
        allHttpDoneMs: Math.round(Math.max(...parts.map((p) => p.lastHttpDoneMs))),
        caughtUp: percentiles(hist),
        serverCpuMs: Math.round((cpu1 - cpu0) / 1000),
        serverCpuPercent: Math.round(((cpu1 - cpu0) / 1000 / wallMs) * 100),
        socketMB: Math.round(socketBytes / 1024 / 102.4) / 10,
        httpMB: Math.round(httpBytes / 1024 / 102.4) / 10,
        bytesPerDeviceKB: Math.round((socketBytes + httpBytes) / plan.devices / 102.4) / 10,
        retries: sum((p) => p.retries),
        loadCpuMs: sum((p) => p.loadCpuMs),
        fillSeconds,
      };
      hist.destroy();
      return result;
    } finally {
      await Promise.all(procs.map((p) => p.kill()));
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
