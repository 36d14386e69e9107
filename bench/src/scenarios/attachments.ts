import { startTcpProxy, seeded } from '@commonroom/testkit';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { startServer, type Options } from '../run-context.ts';
import { setupCommonroom, type CommonroomAccount } from '../setup.ts';

/**
 * Commonroom only (issue 17): attachments. A real server process (its own RSS), accounts made through the
 * API, uploads with tus-js-client in this process over real TCP:
 * - throughput of one `fileMB` upload on loopback (median of `runs`), and through a loopback proxy that
 *   paces each direction to 400 kbit/s (a poor phone connection), once;
 * - thumbnail time: from the last byte of a 12-megapixel JPEG to "ready" (the worker's re-encoded copy and
 *   thumbnail stored), polled every 5 ms, median and p95 of `thumbRuns` distinct photos;
 * - the server's RSS while `concurrent` people each upload a `fileMB` file at once (sampled every 100 ms
 *   after a GC): uploads must stream to disk, never sit in memory.
 */
export type AttachmentsResult = {
  fileMB: number;
  loopbackMBps: number;
  throttledFileMB: number;
  throttledKbps: number;
  throttledSeconds: number;
  thumbMedianMs: number;
  thumbP95Ms: number;
  concurrent: number;
  concurrentSeconds: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  rssGrowthMB: number;
};

const MB = 1024 * 1024;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)] ?? NaN;
const round = (v: number, places = 1): number => Math.round(v * 10 ** places) / 10 ** places;

function bytesOf(n: number, seed: number): Buffer {
  const random = seeded(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) out.writeUInt32LE(Math.floor(random() * 2 ** 32) >>> 0, Math.min(i, n - 4));
  return out;
}

/** Uploads `body` to `port` as `who`; resolves with the attachment id once the last byte is acknowledged. */
function upload(port: number, who: CommonroomAccount, conversation: string, body: Buffer, name: string) {
  return new Promise<string>((resolve, reject) => {
    const u = new tus.Upload(body, {
      endpoint: `http://127.0.0.1:${port}/api/uploads`,
      headers: { cookie: who.cookie },
      metadata: { conversation, filename: name, filetype: 'application/octet-stream' },
      retryDelays: [100, 500, 1000],
      onSuccess: () => resolve(u.url?.split('/').pop() ?? ''),
      onError: reject,
    });
    u.start();
  });
}

async function untilReady(base: string, who: CommonroomAccount, id: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${base}/api/attachments/${id}`, { headers: { cookie: who.cookie } });
    const a = (await res.json()) as { status: string; error?: string };
    if (a.status === 'ready') return;
    if (a.status === 'refused') throw new Error(`refused: ${a.error ?? ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A 4000 × 3000 photo-like JPEG (smooth shapes and some grain), different for each seed. */
async function photo(seed: number): Promise<Buffer> {
  const w = 4000;
  const h = 3000;
  const random = seeded(seed);
  const raw = Buffer.alloc(w * h * 3);
  const cx = random() * w;
  const cy = random() * h;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const d = Math.hypot(x - cx, y - cy) / 20;
      raw[i] = (128 + 100 * Math.sin(d)) & 0xff;
      raw[i + 1] = (x * 255) / w;
      raw[i + 2] = ((y * 255) / h + random() * 24) & 0xff;
    }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 88 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

export async function attachmentsRun(
  p: { fileMB: number; runs: number; throttledMB: number; thumbRuns: number; concurrent: number },
  opts: Options,
): Promise<AttachmentsResult> {
  const server = await startServer('commonroom', opts);
  const base = `http://127.0.0.1:${server.port}`;
  try {
    const { channels, users } = await setupCommonroom(server.port, { channels: 1, users: p.concurrent + 2 });
    const conv = channels[0]?.id ?? '';
    const [one, two] = [users[0], users[1]] as [CommonroomAccount, CommonroomAccount];
    const size = p.fileMB * MB;

    const loop: number[] = [];
    for (let r = 0; r < p.runs; r++) {
      const body = bytesOf(size, 100 + r);
      const t0 = performance.now();
      await upload(server.port, one, conv, body, `loop-${r}.bin`);
      loop.push(p.fileMB / ((performance.now() - t0) / 1000));
    }

    const proxy = await startTcpProxy({ targetPort: server.port, bitsPerSecond: 400_000 });
    let throttledSeconds: number;
    try {
      const t0 = performance.now();
      await upload(proxy.port, two, conv, bytesOf(Math.round(p.throttledMB * MB), 7), 'slow.bin');
      throttledSeconds = (performance.now() - t0) / 1000;
    } finally {
      await proxy.close();
    }

    const thumbs: number[] = [];
    for (let r = 0; r < p.thumbRuns; r++) {
      const jpeg = await photo(200 + r);
      const id = await upload(server.port, one, conv, jpeg, `photo-${r}.jpg`);
      const t0 = performance.now();
      await untilReady(base, one, id);
      thumbs.push(performance.now() - t0);
    }

    const before = (await server.memory()).rss;
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await server.memory()).rss);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    await Promise.all(
      users
        .slice(2, 2 + p.concurrent)
        .map((u, i) => upload(server.port, u, conv, bytesOf(size, 1000 + i), `many-${i}.bin`)),
    );
    const concurrentSeconds = (performance.now() - t0) / 1000;
    sampling = false;
    await sampler;
    return {
      fileMB: p.fileMB,
      loopbackMBps: round(median(loop)),
      throttledFileMB: p.throttledMB,
      throttledKbps: round((p.throttledMB * MB * 8) / 1000 / throttledSeconds),
      throttledSeconds: round(throttledSeconds),
      thumbMedianMs: Math.round(median(thumbs)),
      thumbP95Ms: Math.round(p95(thumbs)),
      concurrent: p.concurrent,
      concurrentSeconds: round(concurrentSeconds),
      rssBeforeMB: round(before / MB),
      rssPeakMB: round(peak / MB),
      rssGrowthMB: round((peak - before) / MB),
    };
  } finally {
    await server.stop();
  }
}
