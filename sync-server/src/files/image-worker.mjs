// @ts-check
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';

/**
 * The image worker (issue 17): re-encodes an uploaded picture into the copy people see (at most
 * `DISPLAY_MAX` a side, orientation applied, every metadata block (EXIF, GPS, XMP, comments) dropped, and
 * anything hidden after the image data gone with the re-encoding) and a small WebP thumbnail. It runs in a
 * worker thread (image-pool.ts): decoding a 12-megapixel photo takes the best part of a second, which on
 * the event loop would stall every socket. Plain JavaScript so that a worker thread can load it whatever
 * runs the server (tsx, vitest, node): the job and result types are image-pool.ts's. Started only by the
 * pool; this file's side effect is listening to its parent.
 */

const DISPLAY_MAX = 2048;
const THUMB_MAX = 400;
// A decompression bomb (a small file that claims 50 000 × 50 000 pixels) is refused before it is decoded.
const MAX_PIXELS = 50_000_000;

/** @param {{ id: number, input: string, display: string, thumb: string, format: 'jpeg' | 'png' | 'gif' | 'webp' }} job */
async function run(job) {
  // Animated GIFs stay animated; everything else is one frame, turned upright by its EXIF orientation.
  const animated = job.format === 'gif';
  const source = sharp(job.input, { animated, limitInputPixels: MAX_PIXELS, failOn: 'error' });
  const info = await (animated ? source : source.rotate())
    .resize({ width: DISPLAY_MAX, height: DISPLAY_MAX, fit: 'inside', withoutEnlargement: true })
    .toFormat(job.format, job.format === 'jpeg' ? { quality: 85 } : {})
    .toFile(job.display);
  // The thumbnail from the display copy (already upright, at most 2048 px): a second decode of a
  // 12-megapixel original would double the work. (mozjpeg would save a tenth of the bytes at four times
  // the encoding time: not worth it here.)
  await sharp(job.display, { failOn: 'error' })
    .resize({ width: THUMB_MAX, height: THUMB_MAX, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 75 })
    .toFile(job.thumb);
  // For an animated GIF sharp reports the height of all frames stacked; one frame's is pageHeight.
  const height = animated && info.pageHeight !== undefined ? info.pageHeight : info.height;
  return { id: job.id, ok: true, width: info.width, height };
}

const port = parentPort;
if (port) {
  // One libvips thread: the pool runs one job at a time, and the server's cores are the sockets' too.
  sharp.concurrency(1);
  // One job at a time, in the order they came: jobs run in parallel would each hold a decoded picture
  // (tens of MB apiece) at once, and the queue's order is what image-pool.ts promises.
  /** @type {Promise<void>} */
  let queue = Promise.resolve();
  port.on('message', (job) => {
    queue = queue
      .then(() => run(job))
      .then(
        (r) => port.postMessage(r),
        (err) =>
          port.postMessage({
            id: job.id,
            ok: false,
            error: err instanceof Error ? err.message : String(err),
          }),
      )
      .catch(() => undefined);
  });
}
