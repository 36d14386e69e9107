import {
  createEngine,
  createMemoryStorage,
  type ConversationView,
  type SocketLike,
} from '@commonroom/engine';
import type { Socket } from 'node:net';
import WebSocket from 'ws';

/**
 * A new device opening one channel with the real Node sync engine (packages/engine) and empty storage:
 * signs in (HTTP, not timed), connects and opens the channel, and is timed until engine.view() holds the
 * newest `screen` messages, as the PWA draws them. When the loaded segments hold fewer, the engine's only way
 * to more is loadOlder(), which the PWA calls on scrolling up: it is called once the loaded segments are
 * synced and still short, and that time counts. Bytes: what the TCP sockets read (the socket factory is
 * wrapped: the HTTP 101 response and every frame as sent, compressed when the server compresses; the
 * socket offers permessage-deflate as browsers do) and the HTTP bodies the engine fetched meanwhile; the
 * WebSocket messages' own (inflated) bytes beside them.
 */

export type NewDeviceOpen = {
  screenMs: number;
  /** Until every document the engine subscribed has answered (the rest of what it loaded included). */
  settledMs: number;
  /** Read off the TCP sockets until the screen was complete. */
  socketWireBytes: number;
  /** The WebSocket messages received until then, inflated. */
  socketBytes: number;
  httpBytes: number;
  socketMessages: number;
  olderLoads: number;
  /** Messages in the conversation's current segment, as the device finally holds them. */
  newestSegmentHeld: number;
  messagesHeld: number;
  /** The messages on screen were the newest ones (checked against the view once everything arrived). */
  complete: boolean;
};

/** The newest `n` messages of the view, if they are all there (each has its place, none missing). */
function newest(v: ConversationView, n: number, settled: boolean): string[] | null {
  const placed = v.messages.filter((m) => m.seq !== null);
  const last = placed.slice(-n);
  if (last.length < n || last[last.length - 1]?.seq !== v.state.lastSeq) return null;
  // Places are consecutive within a segment: a gap is a message whose author document has not arrived.
  for (let i = 1; i < last.length; i++) {
    const a = last[i - 1];
    const b = last[i];
    if (a && b && a.segment === b.segment && (b.seq ?? 0) !== (a.seq ?? 0) + 1) return null;
  }
  // Across a segment boundary the older segment's tail cannot be told apart from a gap (the view does not
  // say how long each index is): then everything loaded must have answered too.
  if (last[0]?.segment !== last[last.length - 1]?.segment && !settled) return null;
  return last.map((m) => m.key);
}

export async function openOnNewDevice(
  baseUrl: string,
  login: { user: string; password: string },
  conversationId: string,
  plan: { screen: number; timeoutMs: number },
  around: { before: () => Promise<void>; after: () => Promise<void> },
): Promise<NewDeviceOpen> {
  let socketBytes = 0;
  let socketMessages = 0;
  let httpBytes = 0;
  const tcp: Socket[] = [];
  const wireBytes = (): number => tcp.reduce((n, s) => n + s.bytesRead, 0);
  const counting = (url: string, headers: Record<string, string>): SocketLike => {
    // ws offers permessage-deflate by default, with client_max_window_bits, as Chromium does.
    const ws = new WebSocket(url, { headers });
    // ws's own field: the TCP socket, kept so its count can be read after the close.
    ws.once('open', () => tcp.push((ws as unknown as { _socket: Socket })._socket));
    ws.on('message', (data: Buffer) => {
      socketBytes += data.byteLength;
      socketMessages++;
    });
    return ws as unknown as SocketLike;
  };
  const countingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const body = await res.arrayBuffer();
    httpBytes += body.byteLength;
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const engine = createEngine({
    baseUrl,
    storage: createMemoryStorage(),
    socketFactory: counting,
    fetch: countingFetch,
    manualCookies: true,
  });
  await engine.init();
  await engine.login(login.user, login.password);
  httpBytes = 0;

  await around.before();
  const start = performance.now();
  let screenMs = -1;
  let shown: string[] | null = null;
  let atScreen = { wire: 0, socket: 0, http: 0, messages: 0 };
  let olderLoads = 0;
  const unsubscribe = engine.subscribe(() => {
    if (shown) return;
    shown = newest(engine.view(conversationId), plan.screen, engine.isSettled());
    if (!shown) return;
    screenMs = performance.now() - start;
    atScreen = { wire: wireBytes(), socket: socketBytes, http: httpBytes, messages: socketMessages };
  });
  const deadline = Date.now() + plan.timeoutMs;
  const tick = (): Promise<unknown> =>
    Promise.race([engine.settled(), new Promise((r) => setTimeout(r, 100))]);
  try {
    engine.connect();
    await engine.open(conversationId);
    let settledMs = -1;
    while (!shown && Date.now() < deadline) {
      await tick();
      if (shown || !engine.isSettled()) continue;
      if (engine.view(conversationId).state.oldestSegment <= 0) break;
      if (!(await engine.loadOlder(conversationId))) break;
      olderLoads++;
    }
    while (!engine.isSettled() && Date.now() < deadline) await tick();
    settledMs = performance.now() - start;
    await around.after();
    const v = engine.view(conversationId);
    const truth = newest(v, plan.screen, true);
    const current = engine.conversation(conversationId)?.segment ?? -1;
    return {
      screenMs: Math.round(screenMs * 10) / 10,
      settledMs: Math.round(settledMs * 10) / 10,
      socketWireBytes: atScreen.wire,
      socketBytes: atScreen.socket,
      httpBytes: atScreen.http,
      socketMessages: atScreen.messages,
      olderLoads,
      newestSegmentHeld: v.messages.filter((m) => m.segment === current).length,
      messagesHeld: v.messages.length,
      complete: shown !== null && truth !== null && (shown as string[]).join() === truth.join(),
    };
  } finally {
    unsubscribe();
    engine.disconnect();
  }
}
