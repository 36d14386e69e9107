import { createEngine, createMemoryStorage, type Engine, type SocketLike } from '@commonroom/engine';
import { decodeMessage } from '@commonroom/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  nodeSocket,
  startServer,
  texts,
  type TestServer,
} from './harness.ts';

/**
 * What the engine does when a message it waits to send meets a closed segment (docs/PROTOCOL.md P12, P13):
 * it moves on without HTTP, never leaves a promise rejected unhandled (issue 12 B8), and an action on one
 * of the person's older messages still goes to the segment that holds it while that segment's own document
 * is rebuilt (issue 12 B7). Real server on loopback, real sockets; only the edge is controlled (the HTTP
 * answers, and when the server's frames are handed to the engine).
 */

/** A socket whose incoming messages can be held back (in order) and released: the rebuild's window. */
function holdingSockets(): {
  factory: (url: string, headers: Record<string, string>) => SocketLike;
  holdAfter: (match: (frameTypes: string[], codes: string[]) => boolean) => void;
  release: () => void;
  holding: () => boolean;
} {
  let trigger: ((types: string[], codes: string[]) => boolean) | null = null;
  let held: { deliver: () => void }[] | null = null;
  return {
    factory: (url, headers) => {
      const inner = nodeSocket(url, headers);
      const outer: SocketLike = {
        get binaryType() {
          return inner.binaryType;
        },
        set binaryType(v: string) {
          inner.binaryType = v;
        },
        get readyState() {
          return inner.readyState;
        },
        send: (d) => inner.send(d),
        close: (code, reason) => inner.close(code, reason),
        onopen: null,
        onmessage: null,
        onclose: null,
        onerror: null,
      };
      inner.onopen = (ev) => outer.onopen?.(ev);
      inner.onerror = (ev) => outer.onerror?.(ev);
      inner.onclose = (ev) => outer.onclose?.(ev);
      inner.onmessage = (ev) => {
        const deliver = (): void => outer.onmessage?.(ev);
        if (held) return void held.push({ deliver });
        deliver();
        const data = ev.data;
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
        const decoded = decodeMessage(bytes, Number.POSITIVE_INFINITY);
        if (!decoded.ok || !trigger) return;
        const types = decoded.frames.map((f) => f.type);
        const codes = decoded.frames.flatMap((f) => (f.type === 'reject' ? [f.code] : []));
        if (trigger(types, codes)) {
          trigger = null;
          held = [];
        }
      };
      return outer;
    },
    holdAfter: (match) => {
      trigger = match;
    },
    release: () => {
      const h = held ?? [];
      held = null;
      for (const m of h) m.deliver();
    },
    holding: () => held !== null,
  };
}

describe('a closed segment meets a waiting message (P12, P13)', () => {
  let ts: TestServer;
  let admin: Engine;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(async () => {
    ts = await startServer({ limits: { segmentSize: 5 } });
    admin = await loginAdmin(ts);
  });
  afterAll(async () => {
    admin.disconnect();
    await ts.destroy();
  });
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  /** A second engine for an existing account, with its own HTTP and socket edges. */
  const device = async (
    email: string,
    password: string,
    edges: { fetch?: typeof fetch; socketFactory?: (u: string, h: Record<string, string>) => SocketLike },
  ): Promise<Engine> => {
    const e = createEngine({
      baseUrl: ts.url,
      storage: createMemoryStorage(),
      socketFactory: edges.socketFactory ?? nodeSocket,
      manualCookies: true,
      backoff: { minMs: 20, maxMs: 200 },
      ...(edges.fetch ? { fetch: edges.fetch } : {}),
    });
    await e.init();
    await e.login(email, password);
    e.connect();
    await e.settled();
    return e;
  };

  it('P13: a segment-closed refusal while HTTP fails moves the message on, with no unhandled rejection (B8)', async () => {
    const u = await addUser(ts, admin, 'student', { connect: false });
    const other = await addUser(ts, admin, 'tutor');
    let httpDown = false;
    // The edge, not the thing under test: the conversation list answers 503 while the server is "restarting".
    const flaky: typeof fetch = (input, init) =>
      httpDown && String(input instanceof Request ? input.url : input).includes('/api/conversations')
        ? Promise.resolve(new Response('{"error":"unavailable"}', { status: 503 }))
        : fetch(input, init);
    const writer = await device(u.email, u.password, { fetch: flaky });
    const course = channel(writer, 'general');
    await writer.open(course);
    await other.engine.open(course);
    await writer.settled();
    const before = writer.conversation(course)?.segment ?? 0;

    writer.disconnect();
    await writer.send(course, 'written before the rollover, sent after it');
    for (let i = 0; i < 6; i++) {
      await other.engine.send(course, `filler ${i}`);
      await other.engine.settled();
    }
    expect(ts.server.internals.conversations.get(course)?.segment).toBeGreaterThan(before);
    httpDown = true;
    writer.connect();
    await eventually(() => expect(writer.outbox()).toEqual([]), 10_000);
    expect(writer.status().rejected).toBe(0);
    await eventually(() =>
      expect(texts(other.engine, course).at(-1)).toBe('written before the rollover, sent after it'),
    );
    // HTTP back: the retried refresh (with backoff) catches the conversation up.
    httpDown = false;
    await eventually(() =>
      expect(writer.conversation(course)?.segment).toBe(
        ts.server.internals.conversations.get(course)?.segment,
      ),
    );
    expect(unhandled).toEqual([]);
    writer.disconnect();
    other.engine.disconnect();
  });

  it('P13: an edit of an older message during its segment document rebuild goes to that segment (B7)', async () => {
    const u = await addUser(ts, admin, 'student', { connect: false });
    const other = await addUser(ts, admin, 'tutor');
    const sockets = holdingSockets();
    const writer = await device(u.email, u.password, { socketFactory: sockets.factory });
    const course = channel(writer, 'general');
    await writer.open(course);
    await other.engine.open(course);
    await writer.settled();
    const oldKey = await writer.send(course, 'older message');
    await writer.settled();
    const old = writer.view(course).state.byKey.get(oldKey);
    expect(old?.seq).not.toBeNull();
    const segment = old?.segment ?? 0;

    writer.disconnect();
    await writer.send(course, 'written offline');
    // The segment fills while the writer is away: its waiting message now belongs to the next one.
    while ((ts.server.internals.conversations.get(course)?.segment ?? 0) === segment) {
      await other.engine.send(course, 'filler');
      await other.engine.settled();
    }

    // The writer comes back: its message meets `segment-closed`, and everything after that refusal waits.
    sockets.holdAfter((_, codes) => codes.includes('segment-closed'));
    writer.connect();
    await eventually(() => expect(sockets.holding()).toBe(true));
    // The refusal rebuilds the writer's document of the older segment: the view does not hold the message.
    await eventually(() => expect(writer.view(course).state.byKey.has(oldKey)).toBe(false));
    await writer.edit(course, old?.localId ?? '', 'older message, edited mid-rebuild');
    sockets.release();

    await eventually(async () => {
      await writer.settled();
      expect(writer.outbox()).toEqual([]);
    });
    expect(writer.status().rejected).toBe(0);
    await eventually(() => {
      const seen = other.engine.view(course).state.byKey.get(oldKey);
      expect(seen?.text).toBe('older message, edited mid-rebuild');
      expect(writer.view(course).state.byKey.get(oldKey)?.text).toBe('older message, edited mid-rebuild');
    });
    // In the next segment, whose notice reaches the reader once the rollover is durable (P5).
    await eventually(() =>
      expect(texts(other.engine, course).filter((t) => t === 'written offline')).toHaveLength(1),
    );
    expect(unhandled).toEqual([]);
    writer.disconnect();
    other.engine.disconnect();
  });
});
