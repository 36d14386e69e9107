import type { Engine } from '@commonroom/engine';
import { startTcpProxy, type TcpProxy } from '@commonroom/testkit';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, channel, eventually, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';
import { fetchBytes, settledAttachment, sha256 } from './uploads.ts';

/**
 * Issue 17 acceptance: an upload through a loopback TCP proxy that cuts the connection mid-file resumes
 * where it stopped and completes (tus-js-client in Node, as the PWA uses it); the receiver sees the message
 * once, with the file intact (hash checked). Real server, real TCP, real SQLite file.
 */

type User = Awaited<ReturnType<typeof addUser>>;

function seededBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('resumable uploads over a link that drops (issue 17)', () => {
  let ts: TestServer;
  let proxy: TcpProxy;
  let admin: Engine;
  let amy: User;
  let ben: User;
  let general: string;

  beforeAll(async () => {
    ts = await startServer();
    proxy = await startTcpProxy({ targetPort: ts.port });
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben' });
    general = channel(amy.engine, 'general');
    await ben.engine.open(general);
  });
  afterAll(async () => {
    for (const e of [admin, amy.engine, ben.engine]) e.disconnect();
    await proxy.close();
    await ts.destroy();
  });

  it('a 3 MB upload cut after 1 MB resumes from where it stopped, completes, and arrives once and intact', async () => {
    const cookie = await login(ts.url, amy.email, amy.password);
    const bytes = seededBytes(3 * 1024 * 1024, 17);
    proxy.cutAfter(1024 * 1024);
    const errors: string[] = [];
    const offsets: number[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(Buffer.from(bytes), {
        endpoint: `http://127.0.0.1:${proxy.port}/api/uploads`,
        headers: { cookie },
        metadata: { conversation: general, filename: 'coursework.bin', filetype: 'application/octet-stream' },
        retryDelays: [50, 100, 200, 400, 800],
        onShouldRetry: (err) => {
          errors.push(String(err.message).split('\n')[0] ?? '');
          return true;
        },
        onProgress: (sent) => offsets.push(sent),
        onSuccess: () => resolve(upload.url ?? ''),
        onError: reject,
      });
      upload.start();
    });
    // The connection was cut once, and the upload went on from the server's offset, not from zero.
    expect(proxy.cuts()).toBe(1);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(proxy.upstreamBytes()).toBeLessThan(bytes.length + 1024 * 1024 * 0.5);
    const id = url.split('/').pop() ?? '';
    // Resumed, not started again as a second upload.
    const rows = ts.server.db.prepare('SELECT id FROM attachments').all() as { id: string }[];
    expect(rows.map((r) => r.id)).toEqual([id]);
    const a = await settledAttachment(ts.url, cookie, id);
    expect(a).toMatchObject({ status: 'ready', size: bytes.length, name: 'coursework.bin' });

    await amy.engine.open(general);
    const key = await amy.engine.send(general, 'my coursework', {
      files: [{ id, name: a.name, size: a.size, type: a.type }],
    });
    await amy.engine.settled();
    const benCookie = await login(ts.url, ben.email, ben.password);
    await eventually(() => {
      const got = ben.engine.view(general).messages.filter((m) => m.text === 'my coursework');
      expect(got).toHaveLength(1);
      expect(got[0]?.files.map((f) => f.id)).toEqual([id]);
    });
    const row = ts.server.internals.attachmentStore.get(id);
    expect(row?.messageKey).toBe(key);
    const seen = await settledAttachment(ts.url, benCookie, id);
    const { res, bytes: got } = await fetchBytes(ts.url, benCookie, seen.url);
    expect(res.status).toBe(200);
    expect(got.length).toBe(bytes.length);
    expect(sha256(got)).toBe(sha256(bytes));
  });
});
