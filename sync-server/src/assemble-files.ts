import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Stores } from './assemble-stores.ts';
import type { Config } from './config.ts';
import { createAttachments, type Attachments } from './files/attachments.ts';
import { createDiskFileStore } from './files/file-store.ts';
import { createImagePool } from './files/image-pool.ts';
import { createLinkSigner, loadLinkKey } from './files/signing.ts';
import { createTusUploads } from './files/tus-uploads.ts';
import type { UploadLimits } from './http/upload-routes.ts';
import type { Timers } from './timers.ts';

const MB = 1024 * 1024;

/**
 * Attachments (issue 17): under the data folder, `uploads/` holds resumable uploads still arriving and
 * `files/` the content-addressed store (files/file-store.ts); the tus endpoint, the processing that
 * follows an upload, the sweeps, and the signer of links to the bytes.
 */
export function createFileParts(
  stores: Stores,
  d: { config: Config; log: Logger; now: () => number; timers: Timers },
) {
  const { config } = d;
  const limits = (): UploadLimits => {
    const s = stores.settings.read();
    return { maxFileBytes: s.attachmentMaxFileMb * MB, dailyBytes: s.attachmentDailyMb * MB };
  };
  const uploadsDir = join(config.dataDir, 'uploads');
  const files = createDiskFileStore(join(config.dataDir, 'files'));
  // The processing hears of finished uploads from tus, and removes their partial files through it.
  let attachments: Attachments | null = null;
  const tus = createTusUploads({
    dir: uploadsDir,
    allowedOrigins: config.allowedOrigins,
    maxSize: () => limits().maxFileBytes,
    finished: (id) => attachments?.complete(id),
  });
  attachments = createAttachments({
    store: stores.attachmentStore,
    files,
    images: createImagePool(),
    uploadsDir,
    workDir: join(config.dataDir, 'uploads', 'work'),
    removeUpload: tus.remove,
    uploadedBytes: tus.offset,
    log: d.log,
    now: d.now,
    timers: d.timers,
    sweepEveryMs: config.limits.attachmentSweepMs,
  });
  return {
    uploadLimits: limits,
    fileStore: files,
    tus,
    attachments,
    linkSigner: createLinkSigner(loadLinkKey(config.dataDir)),
  };
}
