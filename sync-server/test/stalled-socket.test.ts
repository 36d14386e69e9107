import { createEngine, createMemoryStorage, type SocketLike } from '@commonroom/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUser,
  channel,
  eventually,
  loginAdmin,
  nodeSocket,
  texts,
  type TestServer,
  startServer,
} from './harness.ts';

/**
 * A half-open connection (docs/PROTOCOL.md P3, P12): a phone that moved from Wi-Fi to mobile data keeps its
 * old socket "open" until TCP gives up, minutes later; nothing it sends arrives and nothing comes back, and
 * no close event comes either. With actions waiting, the engine must notice the silence and reconnect.
 */

/** The real socket, until `silence()`: from then on this socket swallows both ways and never closes. */
function silenceable(url: string, headers: Record<string, string>) {
  const real = nodeSocket(url, headers);
  let silent = false;
  const s: SocketLike & { silence(): void } = {
    get binaryType() {
      return real.binaryType;
    },
    set binaryType(v: string) {
      real.binaryType = v;
    },
    get readyState() {
      return real.readyState;
    },
    send: (data) => {
      if (!silent) real.send(data);
    },
    close: (code, reason) => real.close(code, reason),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
    silence: () => {
      silent = true;
    },
  };
  real.onopen = (ev) => s.onopen?.(ev);
  real.onmessage = (ev) => {
    if (!silent) s.onmessage?.(ev);
  };
  // A dead network brings no close event to the one who went silent.
  real.onclose = (ev) => {
    if (!silent) s.onclose?.(ev);
  };
  real.onerror = (ev) => s.onerror?.(ev);
  return s;
}

describe('a socket that stops carrying while actions wait is reopened (P3)', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startServer();
  });
  afterAll(async () => {
    await ts.destroy();
  });

  it('P3: a message written on a half-open socket is delivered after the engine notices the silence', async () => {
    const admin = await loginAdmin(ts);
    const s = await addUser(ts, admin, 'student', { connect: false });
    const sockets: ReturnType<typeof silenceable>[] = [];
    const engine = createEngine({
      baseUrl: ts.url,
      storage: createMemoryStorage(),
      socketFactory: (url, headers) => {
        const sock = silenceable(url, headers);
        sockets.push(sock);
        return sock;
      },
      manualCookies: true,
      backoff: { minMs: 20, maxMs: 200 },
      stallMs: 600,
    });
    await engine.init();
    await engine.login(s.email, s.password);
    engine.connect();
    const general = channel(engine, 'general');
    await engine.open(general);
    await engine.settled();
    // Idle and silent: nothing waits, so nothing is disturbed.
    sockets.at(-1)?.silence();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sockets).toHaveLength(1);
    expect(engine.status().connection).toBe('online');

    await engine.send(general, 'written on a dead socket');
    await eventually(() => expect(engine.status().waiting).toBe(0), 10_000);
    expect(sockets.length).toBeGreaterThan(1);
    await admin.open(general);
    await eventually(() => expect(texts(admin, general)).toContain('written on a dead socket'));
    engine.disconnect();
    admin.disconnect();
  });
});
