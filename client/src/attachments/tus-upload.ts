import type { DetailedError } from 'tus-js-client';
import { NO_LONGER_POST, refusalFromBody, UploadRefused, UploadSignedOut } from './upload-errors.ts';
import type { UploadArgs } from './upload-queue.ts';

/**
 * Bytes per PATCH. When a connection drops mid-request, Chromium may send the whole request again from its
 * first byte on a new connection; the server refuses it (409, wrong offset) and tus resumes from the
 * server's offset, but the repeated bytes have crossed the phone's link for nothing. 1 MiB bounds that
 * waste (about 20 s at 400 kbit/s) for a few hundred bytes of headers per MiB.
 */
const CHUNK_BYTES = 1024 * 1024;

/**
 * One file over tus (tus-js-client, loaded only when a file is sent). Resumes from the stored upload URL;
 * the queue keeps that URL in its entry, so tus-js-client's own fingerprint store is off. A 4xx answer
 * (too big, not allowed, over today's limit) is a refusal; anything else is the network, retried by the queue.
 */
export function createTusUpload(opts: {
  endpoint: string;
  /** Extra headers (the session cookie outside a browser). */
  headers?: Record<string, string>;
  /** What tus-js-client reads: the Blob in a browser; Node's build wants a Buffer. */
  source?: (blob: Blob) => Promise<unknown>;
  /** Bytes per PATCH: a dropped connection loses at most this much progress with servers that discard it. */
  chunkSize?: number;
}) {
  return async (a: UploadArgs): Promise<string> => {
    const { Upload } = await import('tus-js-client');
    const source = opts.source ? await opts.source(a.blob) : a.blob;
    return new Promise<string>((resolve, reject) => {
      if (a.signal.aborted) return reject(new DOMException('cancelled', 'AbortError'));
      const up = new Upload(source as Blob, {
        endpoint: opts.endpoint,
        uploadUrl: a.uploadUrl ?? null,
        metadata: { conversation: a.conversationId, filename: a.name, filetype: a.type },
        headers: opts.headers ?? {},
        chunkSize: opts.chunkSize ?? CHUNK_BYTES,
        uploadSize: a.blob.size,
        storeFingerprintForResuming: false,
        // The queue retries with its own backoff and waits for the network; a couple of quick tries here.
        retryDelays: [500, 2000],
        onShouldRetry: (err) => !isRefusal(err),
        onUploadUrlAvailable: () => {
          if (up.url) a.onUrl(up.url);
        },
        onProgress: (sent, total) => a.onProgress(sent, total),
        onSuccess: () => resolve(up.url ?? ''),
        onError: (err) => {
          const status = statusOf(err);
          if (status === 401) reject(new UploadSignedOut('signed out'));
          else if (status === 403) reject(new UploadRefused(NO_LONGER_POST));
          else if (isRefusal(err)) {
            const words = refusalFromBody(status, (err as DetailedError).originalResponse?.getBody());
            // Today's limit passes with the day: the only refusal here that "Try again" can help.
            reject(new UploadRefused(words, status === 429));
          } else reject(err);
        },
      });
      a.signal.addEventListener('abort', () => {
        void up.abort(false);
        reject(new DOMException('cancelled', 'AbortError'));
      });
      up.start();
    });
  };
}

const statusOf = (err: Error): number => (err as Partial<DetailedError>).originalResponse?.getStatus() ?? 0;

/** 4xx but not the ones a retry can fix (409 offset mismatch, 423 locked, 404/410: tus starts afresh). */
function isRefusal(err: Error): boolean {
  const s = statusOf(err);
  return s >= 400 && s < 500 && ![404, 408, 409, 410, 423].includes(s);
}

/** tus termination: the server forgets a cancelled upload. */
export async function terminateUpload(url: string, headers: Record<string, string> = {}): Promise<void> {
  await fetch(url, {
    method: 'DELETE',
    headers: { 'Tus-Resumable': '1.0.0', ...headers },
    credentials: 'same-origin',
  });
}
