import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import type { Actor } from '../auth/policy.ts';
import { SAFE_IMAGES } from '../files/content-type.ts';
import type { FileStore } from '../files/file-store.ts';
import type { Copy, LinkSigner } from '../files/signing.ts';
import { AppError } from '../services/errors.ts';
import type { AttachmentRow, AttachmentStore } from '../storage/attachments.ts';
import type { HonoEnv } from './env.ts';

/**
 * GET /api/attachments/:id (what the device shows and polls until ready) and /file, /thumb (the bytes,
 * behind signed expiring links and a member's session, checked on every request): issue 17,
 * docs/PROTOCOL.md "Attachments", docs/THREAT_MODEL.md T20.
 */

/** How long a link stays good: an hour (a device asks again for a fresh one when it needs it). */
export const LINK_TTL_MS = 3_600_000;

const FILE_CSP = "default-src 'none'; sandbox";

/** `filename*` (RFC 6266/8187) with an ASCII fallback for old clients. */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** One `bytes=` range of a file of `size` bytes; null for none or several (the whole file is sent). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'bad' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return 'bad';
  if (a === '') {
    const n = Math.min(Number(b), size);
    return n === 0 ? 'bad' : { start: size - n, end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return start >= size || end < start ? 'bad' : { start, end };
}

export function attachmentRoutes(d: {
  attachments: AttachmentStore;
  files: FileStore;
  signer: LinkSigner;
  /** Whether the person may read the conversation now (checked on every request, T9). */
  canRead: (actor: Actor, conversationId: string) => boolean;
  /** Safeguarding leads review any conversation's messages, files included (issue 14 §2), also the files
   * of a message that went while its case is open (held, migration 21), which no one else sees. */
  isLead: (userId: string) => boolean;
  /** Writes down a lead's opening of a file in a conversation they do not read (monitoring, T9). */
  audit: (actorId: string, action: string, target: string, detail: Record<string, unknown>) => void;
  now: () => number;
}) {
  const app = new Hono<HonoEnv>();

  /** The attachment, if this person may see it now: a reader of its conversation, and it is in a message
   * or it is their own upload; or a safeguarding lead, and it is in a message. A held file (its message
   * went, a case on it is open) is the leads' alone: to everyone else it is gone. `byLead`: seen only by
   * the lead's right (monitoring, to be audited). Members are judged first: the lead lookup is not on the
   * path of every thumbnail a member's device fetches. */
  const visible = (c: Context<HonoEnv>): { row: AttachmentRow; byLead: boolean } => {
    const row = d.attachments.get(c.req.param('id') ?? '');
    if (!row) throw new AppError(404, 'no-attachment', 'This file is not there any more.');
    const user = c.get('user');
    const reader =
      !row.held &&
      d.canRead(user, row.conversationId) &&
      (row.messageKey !== null || row.uploaderId === user.id);
    if (reader) return { row, byLead: false };
    if (row.messageKey !== null && d.isLead(user.id)) return { row, byLead: true };
    if (row.held) throw new AppError(404, 'no-attachment', 'This file is not there any more.');
    throw new AppError(403, 'not-a-member', 'You cannot see files in this conversation.');
  };

  const link = (id: string, copy: Copy, exp: number): string =>
    `/api/attachments/${encodeURIComponent(id)}/${copy}?exp=${exp}&sig=${d.signer.sign(id, copy, exp)}`;

  app.get('/attachments/:id', (c) => {
    const { row, byLead } = visible(c);
    const user = c.get('user');
    // The link is what opens the bytes: asked for once per viewing, so this is where a lead's look is
    // written down (the bytes' own requests, ranges and thumbnails, would write it many times).
    if (byLead)
      d.audit(user.id, 'safeguarding.file_viewed', row.conversationId, {
        file: row.id,
        message: row.messageKey,
        held: row.held,
      });
    // The uploader's device still holds it for a message not sent yet (the rest of its files still
    // uploading, or the device offline): the unattached sweep waits.
    if (row.messageKey === null && row.uploaderId === user.id) d.attachments.touch(row.id, d.now());
    const exp = d.now() + LINK_TTL_MS;
    c.header('Cache-Control', 'no-store');
    return c.json({
      id: row.id,
      name: row.name,
      size: row.size,
      type: row.type,
      ...(row.width !== null && row.height !== null ? { w: row.width, h: row.height } : {}),
      status: row.status === 'uploading' ? 'uploading' : row.status,
      ...(row.error !== null ? { error: row.error } : {}),
      url: link(row.id, 'file', exp),
      ...(row.hasThumb ? { thumbUrl: link(row.id, 'thumb', exp) } : {}),
    });
  });

  const serve = (copy: Copy) => async (c: Context<HonoEnv>) => {
    const id = c.req.param('id') ?? '';
    const expRaw = c.req.query('exp') ?? '';
    const exp = /^\d{1,15}$/.test(expRaw) ? Number(expRaw) : NaN;
    if (!Number.isFinite(exp) || !d.signer.verify(id, copy, exp, c.req.query('sig') ?? ''))
      throw new AppError(403, 'bad-link', 'This link is not valid. Open the message again.');
    const now = d.now();
    if (exp <= now) throw new AppError(403, 'link-expired', 'This link has expired. Open the message again.');
    const { row } = visible(c);
    if (row.status !== 'ready' || row.sha256 === null || (copy === 'thumb' && !row.hasThumb))
      throw new AppError(404, 'not-ready', 'This file is not ready yet.');
    const key = copy === 'thumb' ? `${row.sha256}.thumb` : row.sha256;
    const size = await d.files.size(key);
    if (size === null) throw new AppError(404, 'no-attachment', 'This file is not there any more.');
    const inline = copy === 'thumb' || SAFE_IMAGES[row.type] !== undefined;
    const type =
      copy === 'thumb' ? 'image/webp' : row.type === 'text/plain' ? 'text/plain; charset=utf-8' : row.type;
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Content-Disposition': disposition(inline ? 'inline' : 'attachment', row.name),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': FILE_CSP,
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': `private, max-age=${Math.max(0, Math.floor((exp - now) / 1000))}`,
      'Accept-Ranges': 'bytes',
      ETag: `"${key}"`,
    };
    const range = parseRange(c.req.header('range'), size);
    if (range === 'bad') return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${size}` });
    // A HEAD (routed here as a GET) gets the headers only: no file is opened for a body nobody reads.
    if (c.req.method === 'HEAD') return c.body(null, 200, { ...headers, 'Content-Length': String(size) });
    const stream = await d.files.get(key, range ?? undefined);
    if (!stream) throw new AppError(404, 'no-attachment', 'This file is not there any more.');
    const body = Readable.toWeb(stream) as ReadableStream<Uint8Array>;
    if (range)
      return c.body(body, 206, {
        ...headers,
        'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
        'Content-Length': String(range.end - range.start + 1),
      });
    return c.body(body, 200, { ...headers, 'Content-Length': String(size) });
  };
  app.get('/attachments/:id/file', serve('file'));
  app.get('/attachments/:id/thumb', serve('thumb'));
  return app;
}
