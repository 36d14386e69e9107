import { createReadStream } from 'node:fs';
import { fileTypeFromFile } from 'file-type';

/**
 * What an upload is, decided from its bytes (`file-type`) and never from the device's guess or the name
 * (issue 17, T20): a raster picture the server re-encodes and may show inline, a document from the
 * allow-list served only as a download, plain text (a download too), or refused. Markup (HTML, SVG, XML)
 * is refused outright: served from our origin it could run script, and no download header is worth the
 * risk; so are programs and scripts, by their bytes and also by their name (a `.bat` or `.js` file is plain
 * text, but a double-click on a college PC runs it). Bytes nothing recognises and that are not text are
 * kept as inert `application/octet-stream`.
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
/** How much of one chunk is read again with the next, so a tag cut between two chunks is still seen. */
const OVERLAP = 256;
/** Names Windows, macOS or a shell would run when opened: refused even when their bytes are plain text. */
const PROGRAM_NAMES =
  /\.(exe|com|scr|pif|cpl|msi|msp|msc|dll|bat|cmd|ps1|psm1|psd1|vbs|vbe|js|jse|mjs|cjs|wsf|wsh|ws|sct|jar|hta|lnk|reg|inf|scf|url|gadget|application|appref-ms|sh|bash|zsh|csh|ksh|command|tool|app|dmg|pkg|apk|deb|rpm|run)$/i;
const NO_PROGRAMS =
  'Programs and scripts (such as .exe, .bat or .js files) cannot be attached. To share code, paste it into a message.';
const NO_MARKUP =
  'Web pages, SVG pictures and XML files cannot be attached, because they can carry scripts. Send a PDF or a picture instead.';
const NOT_ALLOWED = 'This kind of file cannot be attached (programs and installers are not allowed).';

export type ContentVerdict =
  { ok: true; type: string; image: 'jpeg' | 'png' | 'gif' | 'webp' | null } | { ok: false; error: string };

/**
 * Reads the whole file in chunks (never all of it at once): whether it is UTF-8 text without NUL bytes,
 * and whether that text anywhere holds markup (a page padded with 64 KB of text is a page all the same).
 */
async function scanText(path: string): Promise<{ text: boolean; markup: boolean }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let tail = '';
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    if (chunk.includes(0)) return { text: false, markup: false };
    let part: string;
    try {
      part = decoder.decode(chunk, { stream: true });
    } catch {
      return { text: false, markup: false };
    }
    const window = tail + part;
    if (MARKUP_BYTES.test(window)) return { text: true, markup: true };
    tail = window.slice(-OVERLAP);
  }
  try {
    decoder.decode();
  } catch {
    return { text: false, markup: false };
  }
  return { text: true, markup: false };
}

export async function judgeContent(path: string, name: string): Promise<ContentVerdict> {
  // Windows ignores dots and spaces at the end of a name: `run.bat.` opens as a `.bat`.
  const bare = name.replace(/[.\s]+$/, '');
  if (MARKUP_NAMES.test(bare)) return { ok: false, error: NO_MARKUP };
  if (PROGRAM_NAMES.test(bare)) return { ok: false, error: NO_PROGRAMS };
  const sniffed = await fileTypeFromFile(path);
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
  const { text, markup } = await scanText(path);
  if (markup) return { ok: false, error: NO_MARKUP };
  if (text) return { ok: true, type: 'text/plain', image: null };
  return { ok: true, type: 'application/octet-stream', image: null };
}
