import { ApiError, type Engine } from '@commonroom/engine';
import { z } from 'zod/mini';
import { NO_LONGER_POST, UploadGone, UploadRefused, UploadSignedOut } from './upload-errors.ts';
import type { AttachmentMeta } from './upload-queue.ts';

/** GET /api/attachments/:id (docs/PROTOCOL.md, attachments): the server's metadata and signed, expiring links. */
export const AttachmentInfo = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  type: z.string(),
  w: z.optional(z.number()),
  h: z.optional(z.number()),
  /** 'uploading' until the last byte arrives, then 'processing' (type check, hash, thumbnail). */
  status: z.enum(['uploading', 'processing', 'ready', 'refused']),
  error: z.optional(z.nullable(z.string())),
  url: z.optional(z.string()),
  thumbUrl: z.optional(z.nullable(z.string())),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfo>;

export const attachmentPath = (id: string): string => `/api/attachments/${encodeURIComponent(id)}`;

/**
 * The metadata the upload queue polls; a 404 means the upload is gone and starts again, a 403 a refusal,
 * a 401 that the session ended.
 */
export function createMetaReader(engine: Engine) {
  return async (id: string): Promise<AttachmentMeta> => {
    try {
      const a = await engine.api.request('GET', attachmentPath(id), AttachmentInfo);
      return {
        status: a.status === 'uploading' ? 'processing' : a.status,
        ...(a.error ? { error: a.error } : {}),
        type: a.type,
        ...(a.w !== undefined && a.h !== undefined ? { w: a.w, h: a.h } : {}),
      };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw new UploadGone(e.message);
      // Retrying these forever would hold every later message behind this one.
      if (e instanceof ApiError && e.status === 403) throw new UploadRefused(NO_LONGER_POST);
      if (e instanceof ApiError && e.status === 401) throw new UploadSignedOut(e.message);
      throw e;
    }
  };
}

/**
 * Signed links, kept in memory until shortly before they expire (the `exp` in the link), then asked again:
 * a link is never stored, and never used as a cache key.
 */
export function createLinkBook(engine: Engine, now: () => number = Date.now) {
  const book = new Map<string, { info: AttachmentInfo; until: number }>();
  const expiry = (url: string | null | undefined): number => {
    const exp = Number(new URL(url ?? '', location.origin).searchParams.get('exp'));
    return Number.isFinite(exp) && exp > 0 ? exp : now() + 5 * 60_000;
  };
  return async (id: string): Promise<AttachmentInfo> => {
    const known = book.get(id);
    // A minute's margin: a link fetched just before it expires would fail half-way.
    if (known && known.until - 60_000 > now()) return known.info;
    const info = await engine.api.request('GET', attachmentPath(id), AttachmentInfo);
    book.set(id, { info, until: expiry(info.url) });
    return info;
  };
}
