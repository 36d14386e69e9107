import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { randomBytes } from 'node:crypto';
import type { Actor } from '../auth/policy.ts';
import type { TusUploads } from '../files/tus-uploads.ts';
import type { AttachmentStore } from '../storage/attachments.ts';
import type { SessionStore } from '../storage/sessions.ts';
import type { UserStore } from '../storage/users.ts';
import type { HonoEnv } from './env.ts';
import { requireSession } from './guards.ts';

/**
 * POST/HEAD/PATCH/DELETE /api/uploads[/:id]: the tus endpoint (issue 17, docs/PROTOCOL.md "Attachments").
 * Everything is decided here before tus sees the request: who may upload to which conversation, the
 * per-file limit and the person's day's allowance, refused before a byte is stored; that an upload being
 * resumed or cancelled is the person's own. Refusals are JSON `{ error, code, message }` with `error` in
 * plain words (what tus-js-client shows from the response body).
 */

export type UploadLimits = { maxFileBytes: number; dailyBytes: number };

const DAY_MS = 86_400_000;
const TUS = { 'Tus-Resumable': '1.0.0' };

const mb = (bytes: number): string => {
  const v = bytes / (1024 * 1024);
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} MB`;
};

/** `key base64,key base64` (tus Upload-Metadata); null when malformed. */
function parseMetadata(header: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) return null;
    if (value !== undefined && !/^[A-Za-z0-9+/=]*$/.test(value)) return null;
    out[key] = Buffer.from(value ?? '', 'base64').toString('utf8');
  }
  return out;
}

/** A file name as shown and as downloaded: no folders, no control characters, at most 255 characters. */
function cleanName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const printable = base.replace(/[\u0000-\u001f\u007f]/g, '');
  return printable.trim().slice(0, 255);
}

/**
 * Cross-site request forgery: every tus request carries the custom `Tus-Resumable` header, which a
 * cross-site page cannot send without a CORS preflight this server never grants; and a browser that says
 * where a request comes from must name an allowed origin.
 */
function uploadGuard(allowedOrigins: readonly string[]): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (
      (origin !== undefined && !allowedOrigins.includes(origin)) ||
      c.req.header('sec-fetch-site') === 'cross-site'
    )
      return refuse(c, 403, 'bad-origin', 'This request came from a site that is not allowed.');
    if (c.req.header('tus-resumable') === undefined)
      return refuse(c, 412, 'tus-required', 'Uploads use the tus protocol (send Tus-Resumable: 1.0.0).');
    return next();
  };
}

function refuse(
  c: Context<HonoEnv>,
  status: 400 | 403 | 404 | 409 | 412 | 413 | 429,
  code: string,
  words: string,
) {
  return c.json({ error: words, code, message: words }, status, { ...TUS, 'Cache-Control': 'no-store' });
}

export function uploadRoutes(d: {
  allowedOrigins: readonly string[];
  sessions: SessionStore;
  users: UserStore;
  attachments: AttachmentStore;
  tus: TusUploads;
  /** Whether the person may post in the conversation now (a member, not muted, not read-only). */
  canPost: (actor: Actor, conversationId: string) => boolean;
  limits: () => UploadLimits;
  now: () => number;
}) {
  const app = new Hono<HonoEnv>();
  app.use('*', uploadGuard(d.allowedOrigins));
  app.use('*', requireSession(d.sessions, d.users));

  app.post('/', async (c) => {
    if (c.req.header('upload-defer-length') !== undefined || c.req.header('upload-concat') !== undefined)
      return refuse(c, 400, 'bad-upload', 'Send the file’s size when the upload starts.');
    const lengthHeader = c.req.header('upload-length') ?? '';
    if (!/^\d{1,15}$/.test(lengthHeader)) return refuse(c, 400, 'bad-upload', 'Send the file’s size.');
    const size = Number(lengthHeader);
    if (size === 0) return refuse(c, 400, 'empty-file', 'This file is empty.');
    const meta = parseMetadata(c.req.header('upload-metadata') ?? '');
    const conversationId = meta?.conversation ?? '';
    const name = cleanName(meta?.filename ?? '');
    const guess = (meta?.filetype ?? '').slice(0, 100) || 'application/octet-stream';
    if (!meta || !/^[A-Za-z0-9_-]{1,64}$/.test(conversationId) || name === '')
      return refuse(c, 400, 'bad-upload', 'An upload needs its conversation and file name.');
    const user = c.get('user');
    if (!d.canPost(user, conversationId))
      return refuse(c, 403, 'cannot-post', 'You cannot send files in this conversation.');
    const { maxFileBytes, dailyBytes } = d.limits();
    if (size > maxFileBytes)
      return refuse(
        c,
        413,
        'file-too-large',
        `This file is ${mb(size)}; files can be at most ${mb(maxFileBytes)}.`,
      );
    const now = d.now();
    // Checked and recorded with no wait between, so uploads started at once cannot both slip under it.
    const used = d.attachments.usedSince(user.id, now - DAY_MS);
    if (used + size > dailyBytes)
      return refuse(
        c,
        429,
        'daily-limit',
        `You can send up to ${mb(dailyBytes)} of files a day and have sent ${mb(used)}. Try again tomorrow, or send a smaller file.`,
      );
    const id = randomBytes(16).toString('base64url');
    d.attachments.create({ id, conversationId, uploaderId: user.id, name, size, type: guess, at: now });
    const res = await d.tus.create(c.req.raw, id).catch((err: unknown) => {
      d.attachments.remove(id);
      throw err;
    });
    if (res.status !== 201 && res.status !== 204) d.attachments.remove(id);
    return res;
  });

  /** The upload named in the path, if it is this person's. */
  const own = (c: Context<HonoEnv>) => {
    const row = d.attachments.get(c.req.param('id') ?? '');
    return row && row.uploaderId === c.get('user').id ? row : null;
  };

  // Hono routes a HEAD as a GET (and drops the body); the request keeps its method.
  app.on(['GET', 'PATCH'], '/:id', async (c) => {
    if (c.req.method === 'GET') return refuse(c, 404, 'not-found', 'Uploads are read at /api/attachments.');
    const row = own(c);
    if (!row) return refuse(c, 404, 'no-upload', 'This upload is not there any more. Send the file again.');
    if (row.status !== 'uploading') {
      // Complete already (its partial file handed on): a device resuming it learns it needs send nothing.
      if (c.req.method === 'HEAD')
        return c.body(null, 200, {
          ...TUS,
          'Upload-Offset': String(row.size),
          'Upload-Length': String(row.size),
          'Cache-Control': 'no-store',
        });
      return refuse(c, 409, 'upload-complete', 'This upload is complete already.');
    }
    // A device resuming its upload still wants it, and the files it has ready for the same message: the
    // unattached sweep waits a day from now for this person's unsent files in this conversation.
    d.attachments.touchSiblings(row.uploaderId, row.conversationId, d.now());
    return d.tus.handle(c.req.raw, row.id);
  });

  app.delete('/:id', async (c) => {
    const row = own(c);
    if (!row) return refuse(c, 404, 'no-upload', 'This upload is not there any more.');
    if (row.messageKey !== null)
      return refuse(c, 409, 'attached', 'This file is in a sent message; delete the message instead.');
    d.attachments.remove(row.id);
    await d.tus.remove(row.id);
    return c.body(null, 204, TUS);
  });

  app.all('*', (c) => refuse(c, 404, 'not-found', 'No such upload request.'));
  return app;
}
