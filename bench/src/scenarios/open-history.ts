import { openOnNewDevice, type NewDeviceOpen } from '../clients/new-device.ts';
import type { ClientSpec } from '../clients/wire.ts';
import { connectLoad, startServer, type Options, type StartedServer } from '../run-context.ts';
import { PASSWORD, setupCommonroom } from '../setup.ts';

/**
 * Opening a channel with a long history from a new device (Commonroom only: the peers have no paging, a
 * new device gets the whole document). A channel is filled with `messages` messages over the protocol
 * (`writers` people, `perUpdate` messages per update), then a new device (the real engine, see
 * clients/new-device.ts) opens it three times, each time a fresh device of another member:
 *
 * - as filled: the newest segment holds whatever the fill left in it;
 * - newest segment full: one writer tops it up, one message per update, to one short of the segment size
 *   (the most a device loads without scrolling);
 * - just rolled over: two more, so the newest segment holds one message and the engine needs loadOlder()
 *   for the previous, full one.
 *
 * Where the newest segment stands is chance in real use, so the worst of the three is what to hold the
 * target against. The messages are varied chat text (clients/chat-text.ts), so compression is measured on
 * text like real chat, not on one repeated sentence.
 */

export type OpenCase = NewDeviceOpen & { serverCpuMs: number };
export type OpenHistoryResult = {
  storedMessages: number;
  fillSeconds: number;
  asFilled: OpenCase;
  fullSegment: OpenCase;
  rolledOver: OpenCase;
  worstScreenMs: number;
  worstBytes: number;
  /** The same with the WebSocket messages counted inflated (what the bytes were before compression). */
  worstMessageBytes: number;
};

const LIFTED = {
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  bytesPerSecond: 1e12,
  byteBurst: 1e12,
};

async function currentSegment(port: number, spec: ClientSpec, conversationId: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/conversations/${conversationId}`, {
    headers: { cookie: spec.cookie ?? '' },
  });
  return ((await res.json()) as { conversation: { segment: number } }).conversation.segment;
}

/** `count` more messages from one writer, one per update, in whatever segment is current. */
async function topUp(port: number, spec: ClientSpec, conversationId: string, count: number, from: number) {
  if (count <= 0 || spec.channel.kind !== 'commonroom') return;
  const segment = await currentSegment(port, spec, conversationId);
  const load = await connectLoad(
    'commonroom',
    port,
    [{ ...spec, channel: { ...spec.channel, segment } }],
    1,
    { apply: false },
  );
  try {
    await load.procs[0]?.request(
      'burst',
      { perClient: count, window: 1, firstSeq: from, text: 'chat' },
      300_000,
    );
  } finally {
    await load.close();
  }
}

export async function openHistoryRun(
  plan: {
    messages: number;
    writers: number;
    perUpdate: number;
    screen: number;
    segmentSize: number;
    timeoutMs: number;
  },
  opts: Options,
): Promise<OpenHistoryResult> {
  const server: StartedServer = await startServer('commonroom', opts, {
    limits: { ...LIFTED, segmentSize: plan.segmentSize },
  });
  try {
    // Writers 0..writers-1 fill the channel; the three accounts after them are the new devices.
    const setup = await setupCommonroom(server.port, { channels: 1, users: plan.writers + 3, prefix: 'h' });
    const channel = setup.channels[0];
    if (!channel) throw new Error('no channel');
    const specs: ClientSpec[] = setup.users.slice(0, plan.writers).map((u, i) => ({
      index: i,
      cookie: u.cookie,
      userId: u.id,
      channel: { kind: 'commonroom', conversationId: channel.id, segment: 0, authors: [] },
    }));
    const t0 = performance.now();
    const updates = Math.ceil(plan.messages / plan.writers / plan.perUpdate);
    const load = await connectLoad('commonroom', server.port, specs, 1, { apply: false });
    try {
      await Promise.all(
        load.procs.map((p) =>
          p.request('fill', { updates, perUpdate: plan.perUpdate, text: 'chat' }, 600_000),
        ),
      );
    } finally {
      await load.close();
    }
    const fillSeconds = Math.round((performance.now() - t0) / 100) / 10;

    const open = async (device: number): Promise<OpenCase> => {
      let cpu0 = 0;
      let cpu1 = 0;
      const r = await openOnNewDevice(
        `http://127.0.0.1:${server.port}`,
        { user: `h-user-${plan.writers + device}`, password: PASSWORD },
        channel.id,
        { screen: plan.screen, timeoutMs: plan.timeoutMs },
        {
          before: async () => void (cpu0 = await server.cpuUs()),
          after: async () => void (cpu1 = await server.cpuUs()),
        },
      );
      return { ...r, serverCpuMs: Math.round((cpu1 - cpu0) / 100) / 10 };
    };
    const writer = specs[0];
    if (!writer) throw new Error('no writer');
    const asFilled = await open(0);
    const toFull = plan.segmentSize - 1 - asFilled.newestSegmentHeld;
    await topUp(server.port, writer, channel.id, toFull, 1_000_000);
    const fullSegment = await open(1);
    await topUp(server.port, writer, channel.id, 2, 2_000_000);
    const rolledOver = await open(2);
    const cases = [asFilled, fullSegment, rolledOver];
    return {
      storedMessages: updates * plan.perUpdate * plan.writers,
      fillSeconds,
      asFilled,
      fullSegment,
      rolledOver,
      // A case that never showed the newest messages counts as its whole time allowed.
      worstScreenMs: Math.max(...cases.map((c) => (c.complete ? c.screenMs : plan.timeoutMs))),
      // On the wire: what a metered phone pays for (frames as sent, compressed or not, and HTTP bodies).
      worstBytes: Math.max(...cases.map((c) => c.socketWireBytes + c.httpBytes)),
      worstMessageBytes: Math.max(...cases.map((c) => c.socketBytes + c.httpBytes)),
    };
  } finally {
    await server.stop();
  }
}
