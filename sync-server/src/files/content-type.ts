import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';

/**
 * What an upload is, decided from its bytes (`file-type`) and never from the device's guess or the name
 * (issue 17, T20): a raster picture the server re-encodes and may show inline, a document from the
 * allow-list served only as a download, plain text (a download too), or refused. Markup (HTML, SVG, XML)
 * is refused outright: served from our origin it could run script, and no download header is worth the
 * risk. Bytes nothing recognises and that are not text are kept as inert `application/octet-stream`.
 */

/** The pictures shown inline, each re-encoded by the image worker (which also drops any polyglot tail). */
export const SAFE_IMAGES: Readonly<Record<string, 'jpeg' | 'png' | 'gif' | 'webp'>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** Sniffed types kept as downloads: documents, archives, audio and video, pictures sharp cannot show. */
const DOWNLOADS = new Set([
  'application/pdf',
  'application/rtf',
  'application/zip',
  'application/epub+zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'audio/mpeg',
  'audio/mp4',
  'audio/x-m4a',
  'audio/aac',
  'audio/ogg',
  'audio/opus',
  'audio/wav',
  'audio/x-wav',
  'audio/webm',
  'audio/flac',
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'video/x-m4v',
  'video/3gpp',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/tiff',
  'image/bmp',
]);

/** Old Office files share one container (CFB) with Windows installers: only these names pass. */
const CFB_BY_EXTENSION: Readonly<Record<string, string>> = {
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
};

const MARKUP_NAMES = /\.(html?|xhtml|shtml|svgz?|xml|xsl|xslt|mht(ml)?|hta)$/i;
const MARKUP_BYTES = /<\s*(html|head|body|script|svg|iframe|object|embed|meta|\?xml|!doctype)\b/i;
const NO_MARKUP =
  'Web pages, SVG pictures and XML files cannot be attached, because they can carry scripts. Send a PDF or a picture instead.';
const NOT_ALLOWED = 'This kind of file cannot be attached (programs and installers are not allowed).';

export type ContentVerdict =
  { ok: true; type: string; image: 'jpeg' | 'png' | 'gif' | 'webp' | null } | { ok: false; error: string };

/** The first bytes of a file, at most `n`. */
async function head(path: string, n: number): Promise<Buffer> {
  const fd = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fd.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

/** UTF-8 text without NUL bytes (a cut multi-byte character at the end of the sample is fine). */
function isText(bytes: Buffer): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

export async function judgeContent(path: string, name: string): Promise<ContentVerdict> {
  if (MARKUP_NAMES.test(name)) return { ok: false, error: NO_MARKUP };
  const sniffed = await fileTypeFromFile(path);
  const sample = await head(path, 64 * 1024);
  if (sniffed) {
    const image = SAFE_IMAGES[sniffed.mime];
    if (image) return { ok: true, type: sniffed.mime, image };
    if (DOWNLOADS.has(sniffed.mime)) return { ok: true, type: sniffed.mime, image: null };
    if (sniffed.mime === 'application/x-cfb') {
      const type = CFB_BY_EXTENSION[name.split('.').pop()?.toLowerCase() ?? ''];
      return type ? { ok: true, type, image: null } : { ok: false, error: NOT_ALLOWED };
    }
    if (sniffed.mime.includes('xml') || sniffed.mime.includes('html')) return { ok: false, error: NO_MARKUP };
    return { ok: false, error: NOT_ALLOWED };
  }
  if (isText(sample)) {
    if (MARKUP_BYTES.test(sample.toString('utf8'))) return { ok: false, error: NO_MARKUP };
    return { ok: true, type: 'text/plain', image: null };
  }
  return { ok: true, type: 'application/octet-stream', image: null };
}
