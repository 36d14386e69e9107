/**
 * What the attachment queue keeps on the device (IndexedDB, commonroom-db.ts version 2). Plain data and
 * Blobs: IndexedDB stores a Blob's bytes on disk, so a photo taken offline survives closing the app.
 */

/** One file of a message waiting to be sent. */
export type UploadFile = {
  /** The Blob as picked, pasted or dropped. */
  blob: Blob;
  name: string;
  size: number;
  /** The browser's guess; the server decides by the bytes. */
  type: string;
  /** Pixel size of an image, measured on the device, for the readers' layout before the thumbnail loads. */
  w?: number;
  h?: number;
  /** The tus upload's address once the server created it: a later try resumes there. */
  uploadUrl?: string | undefined;
  /** The attachment id (the tus upload id) once known. */
  attachmentId?: string | undefined;
  /** Bytes the server confirmed, as last heard (progress after a reload). */
  sent: number;
  /**
   * Bytes the uploading tab had handed to the network when it last said (once a second), for the progress
   * bars of the person's other tabs. Never a measure of what the server has: a tab that closes with bytes
   * still in flight leaves the rest to another tab, which asks the server (tus) where to go on from.
   */
  handed?: number | undefined;
  /** The server has the file stored and processed ('ready'): it is not uploaded or polled again. */
  ready?: boolean;
};

/** A message with files, saved on Send; the message itself is sent only once every file is ready. */
export type UploadEntry = {
  /** The message's local id, chosen now: sending again after a crash is a no-op (engine.send `id`). */
  id: string;
  /**
   * Who pressed Send. The queue sends only the signed-in person's entries: on a shared computer the next
   * person must never send (or see) the last one's files. An entry without one (saved before this field) is
   * never sent.
   */
  userId?: string;
  /** Queue order (time saved, then a counter). */
  order: number;
  conversationId: string;
  parent?: string;
  alsoChannel?: boolean;
  /** The typed text, sent as the caption (may be empty). */
  caption: string;
  files: UploadFile[];
  createdAt: number;
  /** Why it will not be sent (a refusal), in plain words; the person removes it. */
  failed?: string | undefined;
  /** The refusal can pass with time (today's limit, a file the server did not finish): "Try again" shows. */
  retryable?: boolean | undefined;
  /**
   * What the tab uploading it last said it was doing, so the person's other tabs show it too (they read the
   * entries from IndexedDB); absent while it waits.
   */
  phase?: 'uploading' | 'processing' | 'sending' | undefined;
};

/** An offline copy of an attachment's thumbnail or file (never keyed by its expiring signed link). */
export type CachedFile = {
  /** `${attachmentId}/${variant}` */
  key: string;
  attachmentId: string;
  variant: 'thumb' | 'file';
  blob: Blob;
  size: number;
  usedAt: number;
  /** The message that showed it: when that message is deleted, removed or expired, the copy goes. */
  conversationId?: string;
  messageKey?: string;
  /**
   * Fetched ahead, a thumbnail of a recent conversation the person has not looked at here yet: these make
   * room first, before anything the person opened. Shown once, it counts as opened (the flag goes).
   */
  prefetched?: boolean;
};
