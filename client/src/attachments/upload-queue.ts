import type { FileRef } from '@commonroom/model';
import { UploadGone, UploadRefused } from './upload-errors.ts';
import type { UploadEntry, UploadFile } from './upload-types.ts';

/**
 * The attachment queue (issue 17): messages with files, saved on the device in one write when the person
 * presses Send, uploaded when there is a network (resumable: tus), and sent as messages only once every file
 * is stored and processed on the server, so nobody ever sees a broken attachment. Plain TypeScript with its
 * storage, transport and clock passed in; no React.
 *
 * Crash safety: the message's local id is chosen when the entry is saved, and the engine applies a send
 * once per id, so a crash between sending and forgetting the entry sends it again as a no-op.
 */

export type UploadStore = {
  list(): Promise<UploadEntry[]>;
  put(entry: UploadEntry): Promise<void>;
  /** Changes one file of an entry; nothing when the entry is gone (cancelled meanwhile). */
  patchFile(id: string, index: number, patch: Partial<UploadFile>): Promise<void>;
  patch(id: string, patch: Partial<UploadEntry>): Promise<void>;
  delete(id: string): Promise<void>;
};

export type UploadArgs = {
  blob: Blob;
  name: string;
  type: string;
  conversationId: string;
  /** Resume here (an upload the server created before). */
  uploadUrl: string | undefined;
  onUrl: (url: string) => void;
  onProgress: (sent: number, total: number) => void;
  signal: AbortSignal;
};

export type AttachmentMeta = {
  status: 'processing' | 'ready' | 'refused';
  error?: string;
  /** The type the server found in the bytes: the message's reference must say it (the server checks). */
  type?: string;
  w?: number;
  h?: number;
};

export type UploadQueueDeps = {
  store: UploadStore;
  /** Uploads one file to its end; resolves with its upload URL. Throws UploadRefused when retrying is useless. */
  upload: (args: UploadArgs) => Promise<string>;
  /** The server's metadata for an attachment (GET /api/attachments/:id). Throws UploadGone on 404. */
  meta: (attachmentId: string) => Promise<AttachmentMeta>;
  /** Cancels an upload on the server (tus termination); best effort. */
  terminate: (uploadUrl: string) => Promise<void>;
  /** engine.send */
  send: (
    conversationId: string,
    text: string,
    opt: { files: FileRef[]; id: string; parent?: string; alsoChannel?: boolean },
  ) => Promise<unknown>;
  newId: () => string;
  now: () => number;
  /** Resolves after `ms`, or early when `signal` aborts (the network came back, say). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Runs `fn` as the one tab that uploads (Web Locks in a browser); others wait their turn. */
  exclusive?: (fn: () => Promise<void>) => Promise<void>;
};

/** What is happening to one entry now (in memory; the stored entry holds what survives a reload). */
export type EntryProgress = {
  phase: 'waiting' | 'uploading' | 'processing' | 'sending' | 'failed';
  /** Bytes sent per file. */
  sent: number[];
};

export type PendingUpload = UploadEntry & { progress: EntryProgress };

export type NewUpload = {
  conversationId: string;
  parent?: string;
  alsoChannel?: boolean;
  caption: string;
  files: { blob: Blob; name: string; type: string; w?: number; h?: number }[];
};

const POLL_MS = [300, 600, 1000, 2000, 3000];
const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];

export type UploadQueue = ReturnType<typeof createUploadQueue>;

export function createUploadQueue(deps: UploadQueueDeps) {
  let entries: UploadEntry[] = [];
  const progress = new Map<string, EntryProgress>();
  const listeners = new Set<() => void>();
  const cancelled = new Set<string>();
  let loaded: Promise<void> | null = null;
  let running = false;
  let wake = new AbortController();
  let current: { id: string; abort: AbortController } | null = null;
  let seq = 0;
  let snapshot: PendingUpload[] = [];

  const changed = () => {
    snapshot = entries.map((e) => ({
      ...e,
      progress: progress.get(e.id) ?? {
        phase: e.failed ? 'failed' : 'waiting',
        sent: e.files.map((f) => f.sent),
      },
    }));
    for (const l of listeners) l();
  };
  const setProgress = (id: string, p: EntryProgress) => {
    progress.set(id, p);
    changed();
  };
  const load = () =>
    (loaded ??= deps.store.list().then((list) => {
      entries = list;
      changed();
    }));

  const fileRef = (f: UploadFile): FileRef => ({
    id: f.attachmentId ?? '',
    name: f.name.slice(0, 255) || 'file',
    size: f.size,
    type: (f.type || 'application/octet-stream').slice(0, 100),
    ...(f.w !== undefined && f.h !== undefined ? { w: f.w, h: f.h } : {}),
  });

  /** Uploads file `i` of `e` (resuming), then waits until the server has processed it. */
  const uploadOne = async (e: UploadEntry, i: number, signal: AbortSignal): Promise<void> => {
    const f = e.files[i];
    if (!f || f.ready) return;
    const sent = () => progress.get(e.id)?.sent ?? e.files.map((x) => x.sent);
    if (!f.attachmentId || f.sent < f.size) {
      setProgress(e.id, { phase: 'uploading', sent: sent() });
      const url = await deps.upload({
        blob: f.blob,
        name: f.name,
        type: f.type,
        conversationId: e.conversationId,
        uploadUrl: f.uploadUrl,
        signal,
        onUrl: (u) => {
          f.uploadUrl = u;
          f.attachmentId = attachmentIdOf(u);
          void deps.store.patchFile(e.id, i, { uploadUrl: u, attachmentId: f.attachmentId });
        },
        onProgress: (n) => {
          const now = [...sent()];
          now[i] = n;
          setProgress(e.id, { phase: 'uploading', sent: now });
        },
      });
      f.uploadUrl = url;
      f.attachmentId = attachmentIdOf(url);
      f.sent = f.size;
      await deps.store.patchFile(e.id, i, { uploadUrl: url, attachmentId: f.attachmentId, sent: f.size });
    }
    setProgress(e.id, { phase: 'processing', sent: sent() });
    for (let n = 0; ; n++) {
      if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
      const m = await deps.meta(f.attachmentId ?? '');
      if (m.status === 'refused') throw new UploadRefused(m.error ?? 'the server did not accept this file');
      if (m.status === 'ready') {
        const dims = m.w !== undefined && m.h !== undefined ? { w: m.w, h: m.h } : {};
        const found = { ready: true, ...dims, ...(m.type !== undefined ? { type: m.type } : {}) };
        Object.assign(f, found);
        await deps.store.patchFile(e.id, i, found);
        return;
      }
      await deps.sleep(POLL_MS[Math.min(n, POLL_MS.length - 1)] ?? 3000, signal);
    }
  };

  /** Uploads every file of `e`, then sends the message and forgets the entry. */
  const deliver = async (e: UploadEntry): Promise<void> => {
    const abort = new AbortController();
    current = { id: e.id, abort };
    try {
      for (let i = 0; i < e.files.length; i++) {
        try {
          await uploadOne(e, i, abort.signal);
        } catch (err) {
          if (!(err instanceof UploadGone)) throw err;
          // Swept or lost on the server: start that file again from its first byte.
          const f = e.files[i];
          if (f) Object.assign(f, { uploadUrl: undefined, attachmentId: undefined, sent: 0 });
          await deps.store.patchFile(e.id, i, { uploadUrl: undefined, attachmentId: undefined, sent: 0 });
          await uploadOne(e, i, abort.signal);
        }
      }
      if (cancelled.has(e.id)) return;
      setProgress(e.id, { phase: 'sending', sent: e.files.map((f) => f.size) });
      await deps.send(e.conversationId, e.caption, {
        files: e.files.map(fileRef),
        id: e.id,
        ...(e.parent !== undefined ? { parent: e.parent } : {}),
        ...(e.alsoChannel ? { alsoChannel: true } : {}),
      });
      // A crash here leaves the entry: the next start sends it again with the same id, which is a no-op.
      await deps.store.delete(e.id);
      entries = entries.filter((x) => x.id !== e.id);
      progress.delete(e.id);
      changed();
    } finally {
      current = null;
    }
  };

  const fail = async (e: UploadEntry, why: string) => {
    e.failed = why;
    await deps.store.patch(e.id, { failed: why });
    progress.delete(e.id);
    changed();
  };

  const loop = async () => {
    let attempt = 0;
    for (;;) {
      const next = entries.find((e) => !e.failed && !cancelled.has(e.id));
      if (!next) return;
      try {
        await deliver(next);
        attempt = 0;
      } catch (err) {
        if (cancelled.has(next.id)) continue;
        if (err instanceof UploadRefused) {
          await fail(next, err.message);
          continue;
        }
        // The network (or the server) failed: wait, then try again; `retryNow` ends the wait early.
        setProgress(next.id, { phase: 'waiting', sent: progress.get(next.id)?.sent ?? [] });
        wake = new AbortController();
        await deps.sleep(BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)] ?? 60_000, wake.signal);
      }
    }
  };

  /** Set when asked to run while running: the run ends by starting again, so nothing added is left behind. */
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await load();
      const work = async () => {
        // Read again once this tab holds the lock: another tab may have sent or cancelled entries meanwhile.
        entries = await deps.store.list();
        changed();
        await loop();
      };
      await (deps.exclusive ? deps.exclusive(work) : work());
    } finally {
      running = false;
      if (again) {
        again = false;
        void run().catch(() => undefined); // The device's storage failed: the next add or "online" tries again.
      }
    }
  };

  return {
    /** Loads the saved entries and starts uploading them. */
    start(): Promise<void> {
      return run();
    },
    /**
     * Saves a message with its files in ONE IndexedDB write (then the composer may clear) and starts it.
     * Resolves with the message's local id once the entry is on disk.
     */
    async add(n: NewUpload): Promise<string> {
      await load();
      const id = deps.newId();
      const entry: UploadEntry = {
        id,
        order: deps.now() * 1000 + (seq++ % 1000),
        conversationId: n.conversationId,
        ...(n.parent !== undefined ? { parent: n.parent } : {}),
        ...(n.alsoChannel ? { alsoChannel: true } : {}),
        caption: n.caption,
        files: n.files.map((f) => ({ ...f, size: f.blob.size, sent: 0 })),
        createdAt: deps.now(),
      };
      await deps.store.put(entry);
      if (!entries.some((x) => x.id === id)) entries = [...entries, entry];
      changed();
      // A wait for the network ends too: a new message is worth trying at once.
      wake.abort();
      void run().catch(() => undefined);
      return id;
    },
    /** Stops an entry: aborts its upload, forgets it on the device and cancels its uploads on the server. */
    async cancel(id: string): Promise<void> {
      cancelled.add(id);
      const e = entries.find((x) => x.id === id);
      if (current?.id === id) current.abort.abort();
      await deps.store.delete(id);
      entries = entries.filter((x) => x.id !== id);
      progress.delete(id);
      changed();
      for (const f of e?.files ?? [])
        if (f.uploadUrl) await deps.terminate(f.uploadUrl).catch(() => undefined);
    },
    /** A failed entry is tried again (a daily limit passed, say). */
    async retry(id: string): Promise<void> {
      const e = entries.find((x) => x.id === id);
      if (!e) return;
      delete e.failed;
      await deps.store.patch(id, { failed: undefined });
      changed();
      void run().catch(() => undefined);
    },
    /** The network is back: end any wait and try at once. */
    retryNow(): void {
      wake.abort();
      void run().catch(() => undefined);
    },
    subscribe: (l: () => void): (() => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    /** Entries in queue order, with what is happening to each (stable between changes). */
    list: (): PendingUpload[] => snapshot,
  };
}

/** The tus upload id is the attachment id: the last part of the upload URL's path. */
export function attachmentIdOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}
