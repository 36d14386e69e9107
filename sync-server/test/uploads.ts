import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { eventually } from '@commonroom/testkit';

/** Raw tus 1.0 requests for attachment tests (issue 17): what tus-js-client sends, by hand. */

export type AttachmentJson = {
  id: string;
  name: string;
  size: number;
  type: string;
  w?: number;
  h?: number;
  status: 'uploading' | 'processing' | 'ready' | 'refused';
  error?: string;
  url: string;
  thumbUrl?: string;
};

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export const tusMetadata = (o: Record<string, string>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

export function tusCreate(
  url: string,
  cookie: string,
  o: { conversation: string; filename: string; filetype?: string; size: number; origin?: string },
): Promise<Response> {
  return fetch(`${url}/api/uploads`, {
    method: 'POST',
    headers: {
      cookie,
      'tus-resumable': '1.0.0',
      'upload-length': String(o.size),
      'upload-metadata': tusMetadata({
        conversation: o.conversation,
        filename: o.filename,
        filetype: o.filetype ?? 'application/octet-stream',
      }),
      ...(o.origin ? { origin: o.origin } : {}),
    },
  });
}

export function tusPatch(url: string, cookie: string, id: string, offset: number, body: Uint8Array) {
  return fetch(`${url}/api/uploads/${id}`, {
    method: 'PATCH',
    headers: {
      cookie,
      'tus-resumable': '1.0.0',
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
    },
    // The DOM's fetch types (the client's tsconfig) take only an ArrayBuffer-backed view; this is one.
    body: body as Uint8Array<ArrayBuffer>,
  });
}

/** Creates and sends a whole file in one PATCH; returns the attachment id. */
export async function upload(
  url: string,
  cookie: string,
  o: { conversation: string; filename: string; filetype?: string; bytes: Uint8Array },
): Promise<string> {
  const created = await tusCreate(url, cookie, { ...o, size: o.bytes.length });
  expect(created.status, await created.clone().text()).toBe(201);
  const location = created.headers.get('location') ?? '';
  const id = location.split('/').pop() ?? '';
  expect(location).toBe(`/api/uploads/${id}`);
  const patched = await tusPatch(url, cookie, id, 0, o.bytes);
  expect(patched.status, await patched.clone().text()).toBe(204);
  expect(patched.headers.get('upload-offset')).toBe(String(o.bytes.length));
  return id;
}

export async function attachment(url: string, cookie: string, id: string): Promise<Response> {
  return fetch(`${url}/api/attachments/${id}`, { headers: { cookie } });
}

/** Polls the attachment until its processing ends (ready or refused), as the device does. */
export async function settledAttachment(url: string, cookie: string, id: string): Promise<AttachmentJson> {
  let last: AttachmentJson | null = null;
  await eventually(async () => {
    const res = await attachment(url, cookie, id);
    expect(res.status).toBe(200);
    last = (await res.json()) as AttachmentJson;
    expect(['ready', 'refused']).toContain(last.status);
  });
  return last as unknown as AttachmentJson;
}

export async function fetchBytes(
  url: string,
  cookie: string,
  path: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${url}${path}`, { headers: { cookie, ...headers } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}
