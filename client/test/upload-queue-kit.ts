// Shared parts of the upload queue's Node tests (upload-queue*.test.ts): the real tus uploader with a
// session cookie, the real metadata reader and engine, and waits shortened (never faked into results).
import type { Engine } from '@commonroom/engine';
import { createMetaReader } from '../src/attachments/attachment-api.ts';
import { createTusUpload, terminateUpload } from '../src/attachments/tus-upload.ts';
import {
  createUploadQueue,
  type UploadQueueDeps,
  type UploadStore,
} from '../src/attachments/upload-queue.ts';

/** A session cookie for tus-js-client's requests (the engine keeps its own to itself). */
export async function cookieFor(url: string, login: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  const c = r.headers.getSetCookie().find((x) => x.startsWith('cr_session='));
  if (!c) throw new Error(`no session cookie (${r.status})`);
  return c.split(';')[0] ?? '';
}

export function queueFor(
  url: string,
  engine: Engine,
  cookie: string,
  store: UploadStore,
  ids: string[] = ['msgA', 'msgB', 'msgC', 'msgD'],
  extra: Partial<UploadQueueDeps> = {},
) {
  let n = 0;
  return createUploadQueue({
    store,
    upload: createTusUpload({
      endpoint: `${url}/api/uploads`,
      headers: { cookie },
      source: async (b) => Buffer.from(await b.arrayBuffer()),
    }),
    meta: createMetaReader(engine),
    terminate: (u) => terminateUpload(u, { cookie }),
    send: (c, t, o) => engine.send(c, t, o),
    newId: () => ids[n++] ?? `msg${n}`,
    now: Date.now,
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, Math.min(ms, 50));
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      }),
    me: () => engine.me()?.id ?? null,
    ...extra,
  });
}

export const textFile = (s: string) => new Blob([s], { type: 'text/plain' });
