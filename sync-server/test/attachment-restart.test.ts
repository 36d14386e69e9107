import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addUser, channel, loginAdmin, startServer, type TestServer } from './harness.ts';
import { login } from './raw-client.ts';
import { settledAttachment, tusCreate, tusPatch } from './uploads.ts';

/**
 * A server that stops between tus storing an upload's last byte and the processing starting (issue 17)
 * finishes that upload when it starts again, instead of leaving it 'uploading' for ever while the device
 * polls; an upload still missing bytes stays resumable. Real server, real SQLite file and data folder,
 * stopped and started again on them.
 */

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('uploads across a restart (issue 17)', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await servers[0]?.destroy();
  });

  it('an upload whose last byte was stored before a crash is processed on start; one still short is not', async () => {
    const first = await startServer();
    servers.push(first);
    const admin = await loginAdmin(first);
    const amy = await addUser(first, admin, 'student', { name: 'Amy' });
    const general = channel(amy.engine, 'general');
    const cookie = await login(first.url, amy.email, amy.password);
    const create = async (filename: string) => {
      const res = await tusCreate(first.url, cookie, { conversation: general, filename, size: 10 });
      expect(res.status).toBe(201);
      const id = res.headers.get('location')?.split('/').pop() ?? '';
      expect((await tusPatch(first.url, cookie, id, 0, text('01234'))).status).toBe(204);
      return id;
    };
    const done = await create('done.txt');
    const short = await create('short.txt');
    amy.engine.disconnect();
    admin.disconnect();
    await first.stop();
    // What a crash just after tus wrote the last bytes, before it told the processing, leaves on disk.
    const partial = join(first.dataDir, 'uploads', done);
    expect(existsSync(partial)).toBe(true);
    appendFileSync(partial, '56789');

    const again = await startServer({ dataDir: first.dataDir });
    servers.push(again);
    const a = await settledAttachment(again.url, cookie, done);
    expect(a).toMatchObject({ status: 'ready', type: 'text/plain', size: 10 });
    await again.server.internals.attachments.idle();
    expect(again.server.internals.attachmentStore.get(short)?.status).toBe('uploading');
    // The short one resumes where it stopped and completes.
    expect((await tusPatch(again.url, cookie, short, 5, text('56789'))).status).toBe(204);
    expect((await settledAttachment(again.url, cookie, short)).status).toBe('ready');
  });
});
