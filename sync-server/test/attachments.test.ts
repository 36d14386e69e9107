import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '@commonroom/engine';
import sharp from 'sharp';
import { WorkspaceSettings } from '@commonroom/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';
import { attachment, fetchBytes, settledAttachment, sha256, tusCreate, tusPatch, upload } from './uploads.ts';

/**
 * Attachments, the server half (issue 17; docs/PROTOCOL.md "Attachments", docs/THREAT_MODEL.md T20): a
 * real server on loopback with a temp SQLite file and data folder, real HTTP, the real image worker.
 */

type User = Awaited<ReturnType<typeof addUser>>;

/** Every file under a folder (recursively), for "nothing was stored". */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** A seeded pseudo-random buffer (the same bytes every run). */
function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A 64 × 32 JPEG, red on the left and blue on the right, carrying EXIF orientation 6 (turn 90° right). */
async function sidewaysJpeg(): Promise<Uint8Array> {
  const left = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  const img = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#0000ff' } })
    .composite([{ input: left, left: 0, top: 0 }])
    .jpeg()
    .withMetadata({ orientation: 6, exif: { IFD0: { Copyright: 'secret-exif-marker' } } })
    .toBuffer();
  return new Uint8Array(img);
}

describe('attachments (issue 17)', () => {
  let ts: TestServer;
  let admin: Engine;
  let amy: User;
  let ben: User;
  let amyCookie: string;
  let benCookie: string;
  let general: string;

  beforeAll(async () => {
    ts = await startServer();
    admin = await loginAdmin(ts);
    amy = await addUser(ts, admin, 'student', { name: 'Amy' });
    ben = await addUser(ts, admin, 'student', { name: 'Ben' });
    general = channel(amy.engine, 'general');
    amyCookie = await login(ts.url, amy.email, amy.password);
    benCookie = await login(ts.url, ben.email, ben.password);
  });
  afterAll(async () => {
    for (const e of [admin, amy.engine, ben.engine]) e.disconnect();
    await ts.destroy();
  });

  it('a text file uploads, is sniffed, hashed, stored by content and served as a download', async () => {
    const bytes = new TextEncoder().encode('Essay draft\nline two\n');
    const id = await upload(ts.url, amyCookie, {
      conversation: general,
      filename: 'essay.txt',
      filetype: 'text/plain',
      bytes,
    });
    const a = await settledAttachment(ts.url, amyCookie, id);
    expect(a).toMatchObject({
      id,
      name: 'essay.txt',
      size: bytes.length,
      type: 'text/plain',
      status: 'ready',
    });
    const hash = sha256(bytes);
    expect(existsSync(join(ts.dataDir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash))).toBe(true);
    const { res, bytes: got } = await fetchBytes(ts.url, amyCookie, a.url);
    expect(res.status).toBe(200);
    expect(sha256(got)).toBe(hash);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="essay.txt"; filename\*=UTF-8''essay.txt$/,
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
  });

  it('a photo is re-encoded upright without its EXIF, with a thumbnail, made in the image worker', async () => {
    const jpeg = await sidewaysJpeg();
    expect(Buffer.from(jpeg).includes('secret-exif-marker')).toBe(true);
    const id = await upload(ts.url, amyCookie, {
      conversation: general,
      filename: 'work.jpg',
      filetype: 'image/jpeg',
      bytes: jpeg,
    });
    const a = await settledAttachment(ts.url, amyCookie, id);
    // Orientation 6 turns the 64 × 32 picture on its side: 32 wide, 64 high.
    expect(a).toMatchObject({ status: 'ready', type: 'image/jpeg', w: 32, h: 64 });
    const { res, bytes } = await fetchBytes(ts.url, amyCookie, a.url);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; /);
    const meta = await sharp(bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(Buffer.from(bytes).includes('secret-exif-marker')).toBe(false);
    // Upright: red (the picture's left) is now on top.
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
    expect(data[2]).toBeLessThan(60);
    expect(a.thumbUrl).toBeDefined();
    const thumb = await fetchBytes(ts.url, amyCookie, a.thumbUrl ?? '');
    expect(thumb.res.headers.get('content-type')).toBe('image/webp');
    const tmeta = await sharp(thumb.bytes).metadata();
    expect(tmeta).toMatchObject({ format: 'webp', width: 32, height: 64 });
    expect(tmeta.exif).toBeUndefined();
  });

  it('the same bytes uploaded twice are stored once (dedupe by hash)', async () => {
    const bytes = bytesOf(50_000, 7);
    const before = filesUnder(join(ts.dataDir, 'files')).length;
    const one = await upload(ts.url, amyCookie, { conversation: general, filename: 'a.bin', bytes });
    const two = await upload(ts.url, benCookie, { conversation: general, filename: 'b.bin', bytes });
    const [a, b] = [
      await settledAttachment(ts.url, amyCookie, one),
      await settledAttachment(ts.url, benCookie, two),
    ];
    expect(a.status).toBe('ready');
    expect(b.status).toBe('ready');
    expect(a.type).toBe('application/octet-stream');
    expect(filesUnder(join(ts.dataDir, 'files')).length).toBe(before + 1);
  });

  it('one byte over the per-file limit is refused before any byte is stored', async () => {
    const limit = 25 * 1024 * 1024;
    await ts.server.internals.attachments.idle();
    const stored = (): string[] => [
      ...filesUnder(join(ts.dataDir, 'uploads')),
      ...filesUnder(join(ts.dataDir, 'files')),
    ];
    const before = stored();
    const res = await tusCreate(ts.url, amyCookie, {
      conversation: general,
      filename: 'big.bin',
      size: limit + 1,
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/at most 25 MB/);
    expect(stored()).toEqual(before);
    const rows = ts.server.db
      .prepare("SELECT COUNT(*) AS n FROM attachments WHERE name = 'big.bin'")
      .get() as { n: number };
    expect(rows.n).toBe(0);
  });

  it('an upload to a conversation one cannot post in is refused (403), and without a session (401)', async () => {
    const res = await tusCreate(ts.url, amyCookie, {
      conversation: 'no-such-conversation',
      filename: 'x.txt',
      size: 5,
    });
    expect(res.status).toBe(403);
    const anon = await tusCreate(ts.url, '', { conversation: general, filename: 'x.txt', size: 5 });
    expect(anon.status).toBe(401);
    const foreign = await tusCreate(ts.url, amyCookie, {
      conversation: general,
      filename: 'x.txt',
      size: 5,
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
  });

  it('someone else cannot resume, read or cancel an upload that is not theirs', async () => {
    const res = await tusCreate(ts.url, amyCookie, { conversation: general, filename: 'mine.txt', size: 10 });
    const id = res.headers.get('location')?.split('/').pop() ?? '';
    const patched = await tusPatch(ts.url, benCookie, id, 0, new TextEncoder().encode('0123456789'));
    expect(patched.status).toBe(404);
    expect((await attachment(ts.url, benCookie, id)).status).toBe(403);
  });

  it('a PATCH whose query string names another upload writes to the upload in its path, never the other', async () => {
    const mineRes = await tusCreate(ts.url, amyCookie, {
      conversation: general,
      filename: 'a.txt',
      size: 10,
    });
    const theirsRes = await tusCreate(ts.url, benCookie, {
      conversation: general,
      filename: 'b.txt',
      size: 10,
    });
    const mine = mineRes.headers.get('location')?.split('/').pop() ?? '';
    const theirs = theirsRes.headers.get('location')?.split('/').pop() ?? '';
    // tus's own pattern reads the id from the end of the whole URL, query string and all.
    const patched = await tusPatch(
      ts.url,
      amyCookie,
      `${mine}?x=/${theirs}`,
      0,
      new TextEncoder().encode('AAAAAAAAAA'),
    );
    expect(patched.status, await patched.clone().text()).toBe(204);
    const offset = async (cookie: string, id: string) =>
      (
        await fetch(`${ts.url}/api/uploads/${id}`, {
          method: 'HEAD',
          headers: { cookie, 'tus-resumable': '1.0.0' },
        })
      ).headers.get('upload-offset');
    expect(await offset(benCookie, theirs)).toBe('0');
    expect(await offset(amyCookie, mine)).toBe('10');
    expect((await settledAttachment(ts.url, amyCookie, mine)).status).toBe('ready');
  });

  it('an SVG with script and an HTML page are refused whatever they are called; a JPEG polyglot is re-encoded inert', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';
    for (const [filename, body] of [
      ['drawing.svg', svg],
      ['drawing.png', svg],
      ['page.txt', '<!doctype html><html><body><script>alert(1)</script></body></html>'],
    ] as const) {
      const id = await upload(ts.url, amyCookie, {
        conversation: general,
        filename,
        filetype: 'image/png',
        bytes: new TextEncoder().encode(body),
      });
      const a = await settledAttachment(ts.url, amyCookie, id);
      expect(a.status, filename).toBe('refused');
      expect(a.error).toMatch(/cannot be attached/);
      expect((await fetchBytes(ts.url, amyCookie, a.url)).res.status).toBe(404);
    }
    // A real JPEG with a page glued on after its end: the picture is kept, the page is not.
    const jpeg = await sidewaysJpeg();
    const tail = new TextEncoder().encode('<html><script>alert("polyglot")</script></html>');
    const polyglot = new Uint8Array([...jpeg, ...tail]);
    const id = await upload(ts.url, amyCookie, {
      conversation: general,
      filename: 'cat.html.jpg',
      bytes: polyglot,
    });
    const a = await settledAttachment(ts.url, amyCookie, id);
    expect(a).toMatchObject({ status: 'ready', type: 'image/jpeg' });
    const { res, bytes } = await fetchBytes(ts.url, amyCookie, a.url);
    expect(Buffer.from(bytes).includes('polyglot')).toBe(false);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('a PDF and unknown bytes are downloads, never inline; a program is refused', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    const id = await upload(ts.url, amyCookie, {
      conversation: general,
      filename: 'Timetable (v2).pdf',
      bytes: pdf,
    });
    const a = await settledAttachment(ts.url, amyCookie, id);
    expect(a).toMatchObject({ status: 'ready', type: 'application/pdf' });
    const { res } = await fetchBytes(ts.url, amyCookie, a.url);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Timetable (v2).pdf"; filename*=UTF-8''Timetable%20%28v2%29.pdf`,
    );
    const exe = new Uint8Array(4096);
    exe.set(new TextEncoder().encode('MZ'), 0);
    exe.set([0x50, 0x45, 0, 0], 0x80);
    exe.set([0x80, 0, 0, 0], 0x3c);
    const prog = await upload(ts.url, amyCookie, {
      conversation: general,
      filename: 'homework.pdf',
      bytes: exe,
    });
    expect((await settledAttachment(ts.url, amyCookie, prog)).status).toBe('refused');
  });

  it('Range requests get the bytes asked for (206), and a range past the end 416', async () => {
    const bytes = bytesOf(10_000, 3);
    const id = await upload(ts.url, amyCookie, { conversation: general, filename: 'r.bin', bytes });
    const a = await settledAttachment(ts.url, amyCookie, id);
    const part = await fetchBytes(ts.url, amyCookie, a.url, { range: 'bytes=100-199' });
    expect(part.res.status).toBe(206);
    expect(part.res.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(sha256(part.bytes)).toBe(sha256(bytes.subarray(100, 200)));
    const end = await fetchBytes(ts.url, amyCookie, a.url, { range: 'bytes=-10' });
    expect(sha256(end.bytes)).toBe(sha256(bytes.subarray(9990)));
    expect((await fetchBytes(ts.url, amyCookie, a.url, { range: 'bytes=10000-' })).res.status).toBe(416);
    const head = await fetch(`${ts.url}${a.url}`, { method: 'HEAD', headers: { cookie: amyCookie } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10000');
  });

  it('DELETE cancels an upload (its row and partial file go); HEAD of a finished one says it is complete', async () => {
    const res = await tusCreate(ts.url, amyCookie, {
      conversation: general,
      filename: 'cancel.bin',
      size: 1000,
    });
    const id = res.headers.get('location')?.split('/').pop() ?? '';
    expect((await tusPatch(ts.url, amyCookie, id, 0, bytesOf(400, 9))).status).toBe(204);
    expect(existsSync(join(ts.dataDir, 'uploads', id))).toBe(true);
    const other = await fetch(`${ts.url}/api/uploads/${id}`, {
      method: 'DELETE',
      headers: { cookie: benCookie, 'tus-resumable': '1.0.0' },
    });
    expect(other.status).toBe(404);
    const del = await fetch(`${ts.url}/api/uploads/${id}`, {
      method: 'DELETE',
      headers: { cookie: amyCookie, 'tus-resumable': '1.0.0' },
    });
    expect(del.status).toBe(204);
    expect(ts.server.internals.attachmentStore.get(id)).toBeNull();
    expect(existsSync(join(ts.dataDir, 'uploads', id))).toBe(false);

    const done = await upload(ts.url, amyCookie, {
      conversation: general,
      filename: 'done.bin',
      bytes: bytesOf(300, 4),
    });
    await settledAttachment(ts.url, amyCookie, done);
    const head = await fetch(`${ts.url}/api/uploads/${done}`, {
      method: 'HEAD',
      headers: { cookie: amyCookie, 'tus-resumable': '1.0.0' },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('300');
    expect(head.headers.get('upload-length')).toBe('300');
  });

  it('the limits are workspace settings: a smaller file limit and a daily allowance apply at once, with plain words', async () => {
    await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, {
      attachmentMaxFileMb: 1,
      attachmentDailyMb: 2,
    });
    try {
      const big = await tusCreate(ts.url, benCookie, {
        conversation: general,
        filename: 'big.bin',
        size: 1024 * 1024 + 1,
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: string }).error).toMatch(/at most 1 MB/);
      // Ben has uploaded 50 000 bytes so far today (the dedupe test); 2 × 1 MB more goes over 2 MB.
      const first = await tusCreate(ts.url, benCookie, {
        conversation: general,
        filename: 'one.bin',
        size: 1024 * 1024,
      });
      expect(first.status).toBe(201);
      const second = await tusCreate(ts.url, benCookie, {
        conversation: general,
        filename: 'two.bin',
        size: 1024 * 1024,
      });
      expect(second.status).toBe(429);
      expect(((await second.json()) as { error: string }).error).toMatch(/up to 2 MB of files a day/);
    } finally {
      await admin.api.request('PATCH', '/api/admin/settings', WorkspaceSettings, {
        attachmentMaxFileMb: 25,
        attachmentDailyMb: 200,
      });
    }
  });
});
