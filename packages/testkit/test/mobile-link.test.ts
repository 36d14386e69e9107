import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { seeded, startMobileLink, type MobileLink } from '../src/index.ts';

/**
 * The bench's mobile link (issue 20) on real loopback TCP: an echo server behind it, a client in front.
 * Its rates and delays are the bench's business (timings are never asserted here); what must hold is that
 * it loses no byte and reorders none while it holds segments back, and that a seed gives the same losses.
 * A fast link (tens of Mbit/s, a few ms) keeps the tests short; the code path is the 400 kbit/s one.
 */

let echo: Server | null = null;
let link: MobileLink | null = null;
const open: Socket[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await link?.close();
  link = null;
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
  echo = null;
});

async function echoServer(): Promise<number> {
  echo = createServer((s) => {
    open.push(s);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo?.listen(0, '127.0.0.1', () => r()));
  const a = echo.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return a.port;
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  open.push(s);
  await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
  return s;
}

/** Reads from `s` until `n` bytes have arrived. */
function readBytes(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (b: Buffer): void => {
      parts.push(b);
      got += b.length;
      if (got >= n) {
        s.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', () => reject(new Error(`closed after ${got} of ${n} bytes`)));
  });
}

const fast = { bitsPerSecond: 50_000_000, oneWayDelayMs: 2, rtoMs: 8 };

describe('mobile link (the bench’s phone connection)', () => {
  it('hands over every byte, in order, both ways, while it holds lost segments back', async () => {
    link = await startMobileLink({ targetPort: await echoServer(), ...fast, loss: 0.05, seed: 7 });
    const client = await dial(link.port);
    const random = seeded(1);
    const sent = Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(random() * 256)));
    const back = readBytes(client, sent.length);
    // In writes of varied sizes, as a socket's messages are.
    for (let off = 0; off < sent.length;) {
      const n = 1 + Math.floor(random() * 9_000);
      client.write(sent.subarray(off, off + n));
      off += n;
    }
    expect((await back).equals(sent)).toBe(true);
    const stats = link.stats();
    // 300 KB each way is over 400 segments: at 5 %, some were lost and went the long way round.
    expect(stats.lost).toBeGreaterThan(0);
    expect(stats.bytes).toBe(2 * sent.length);
  });

  it('loses the same segments with the same seed, and others with another', async () => {
    const lossesWith = async (seed: number): Promise<number> => {
      link = await startMobileLink({ targetPort: await echoServer(), ...fast, loss: 0.1, seed });
      const client = await dial(link.port);
      // One small message at a time, each answered before the next: one segment per message each way.
      for (let i = 0; i < 200; i++) {
        const msg = Buffer.from(`message ${i} `.padEnd(100, '.'));
        const back = readBytes(client, msg.length);
        client.write(msg);
        expect((await back).equals(msg)).toBe(true);
      }
      const { lost, segments } = link.stats();
      expect(segments).toBe(400);
      client.destroy();
      await link.close();
      link = null;
      await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
      echo = null;
      return lost;
    };
    const first = await lossesWith(3);
    expect(await lossesWith(3)).toBe(first);
    expect(first).toBeGreaterThan(0);
    expect(await lossesWith(4)).not.toBe(first);
  });

  it('ends the other side only after the data before the end arrived', async () => {
    link = await startMobileLink({ targetPort: await echoServer(), ...fast, loss: 0.2, seed: 11 });
    const client = await dial(link.port);
    const msg = Buffer.alloc(20_000, 7);
    const back = readBytes(client, msg.length);
    // Half-close after writing: the echo server ends its side once it has echoed everything.
    client.end(msg);
    expect((await back).length).toBe(msg.length);
    await new Promise<void>((r) => (client.readableEnded ? r() : client.once('end', () => r())));
  });
});
