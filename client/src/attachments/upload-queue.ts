import type { FileRef } from '@commonroom/model';
import { UploadGone, UploadRefused, UploadSignedOut } from './upload-errors.ts';
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
  /** One entry as stored now (another tab may have cancelled it). */
  get(id: string): Promise<UploadEntry | undefined>;
  put(entry: UploadEntry): Promise<void>;
  /** Changes one file of an entry; nothing when the entry is gone (cancelled meanwhile). */
  patchFile(id: string, index: number, patch: Partial<UploadFile>): Promise<void>;
  patch(id: string, patch: Partial<UploadEntry>): Promise<void>;
  delete(id: string): Promise<void>;
  /**
   * Hears every change to the stored entries, this tab's and the other tabs' (IndexedDB is shared): so each
   * tab shows the person's waiting messages, with the progress the uploading tab stores, and a Cancel in one
   * tab stops the upload in another. Returns the way to stop listening.
   */
  watch?(listener: (entries: UploadEntry[]) => void): () => void;
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
  /** The signed-in person's id (null when signed out): entries are theirs, and only theirs are sent. */
  me: () => string | null;
  now: () => number;
  /** Resolves after `ms`, or early when `signal` aborts (the network came back, say). */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Runs `fn` as the one tab that uploads (Web Locks in a browser); others wait their turn. */
  exclusive?: (fn: () => Promise<void>, signal: AbortSignal) => Promise<void>;
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
/** How often the uploading tab stores a file's progress for the other tabs to show (one write a second). */
const PROGRESS_SAVE_MS = 1000;
const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];
/** A file the server has not finished processing after this long is given up (with "Try again"). */
export const PROCESSING_CAP_MS = 10 * 60_000;
const UNFINISHED = "the server didn't finish this file";

const cancelledError = () => new DOMException('cancelled', 'AbortError');

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
  /** Bumped by `reset` (sign-out): a loop, load or lock wait of an earlier generation ends and changes nothing. */
  let gen = 0;
  let lockWait = new AbortController();
  /** Entries whose last try failed on the network: tried again after `until`; later entries go meanwhile. */
  const deferred = new Map<string, { until: number; attempt: number }>();

  /** The signed-in person's entries (another person's, left by a session that ended, are not shown or sent). */
  const mine = (): UploadEntry[] => {
    const me = deps.me();
    return me ? entries.filter((e) => e.userId === me) : [];
  };
  const changed = () => {
    snapshot = mine().map((e) => ({
      ...e,
      // Another tab's upload (or one before a reload): what that tab last stored.
      progress: progress.get(e.id) ?? {
        phase: e.failed ? 'failed' : (e.phase ?? 'waiting'),
        sent: e.files.map((f) => Math.max(f.sent, f.handed ?? 0)),
      },
    }));
    for (const l of listeners) l();
  };
  const setProgress = (id: string, p: EntryProgress) => {
    const before = progress.get(id)?.phase;
    progress.set(id, p);
    changed();
    // The person's other tabs show the phase too; stored only when it changes (a few writes per message).
    if (p.phase !== before) {
      const phase = p.phase === 'waiting' || p.phase === 'failed' ? undefined : p.phase;
      void deps.store.patch(id, { phase }).catch(() => undefined);
    }
  };
  /** The stored entries changed (here or in another tab): shown as stored; one cancelled there stops here. */
  const stored = (list: UploadEntry[]) => {
    const ids = new Set(list.map((e) => e.id));
    const working = current;
    if (working && !ids.has(working.id) && entries.some((e) => e.id === working.id)) {
      cancelled.add(working.id);
      working.abort.abort();
    }
    entries = list.filter((e) => !cancelled.has(e.id));
    for (const id of progress.keys()) if (!ids.has(id)) progress.delete(id);
    changed();
    // Something of this person's waits (saved in another tab, say): wait for the lock, so this tab takes
    // over when the tab uploading it closes. Nothing happens twice: only the lock's holder uploads.
    if (!running && pick() !== null) void run().catch(() => undefined);
  };
  let unwatch: (() => void) | null = null;
  const load = () => {
    const g = gen;
    return (loaded ??= deps.store.list().then((list) => {
      if (g !== gen) return;
      entries = list;
      changed();
    }));
  };

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
      let savedAt = deps.now();
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
          // For the other tabs' progress bars, never taken for what the server has: once a second, and the
          // last byte always (the browser may say it after only one or two events).
          if (n >= f.size || deps.now() - savedAt >= PROGRESS_SAVE_MS) {
            savedAt = deps.now();
            void deps.store.patchFile(e.id, i, { handed: n }).catch(() => undefined);
          }
        },
      });
      f.uploadUrl = url;
      f.attachmentId = attachmentIdOf(url);
      f.sent = f.size;
      await deps.store.patchFile(e.id, i, { uploadUrl: url, attachmentId: f.attachmentId, sent: f.size });
    }
    setProgress(e.id, { phase: 'processing', sent: sent() });
    const since = deps.now();
    for (let n = 0; ; n++) {
      if (signal.aborted) throw cancelledError();
      if (deps.now() - since > PROCESSING_CAP_MS) throw new UploadRefused(UNFINISHED, true);
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

  /** Forgets a file's upload on the device (swept or lost on the server): it starts from its first byte. */
  const restartFile = async (e: UploadEntry, i: number) => {
    const fresh = { uploadUrl: undefined, attachmentId: undefined, sent: 0, handed: 0, ready: false };
    const f = e.files[i];
    if (f) Object.assign(f, fresh);
    await deps.store.patchFile(e.id, i, fresh);
  };

  /** Uploads file `i` of `e`; one the server lost is uploaded again from the stored Blob. */
  const uploadFile = async (e: UploadEntry, i: number, signal: AbortSignal) => {
    try {
      await uploadOne(e, i, signal);
    } catch (err) {
      if (!(err instanceof UploadGone)) throw err;
      await restartFile(e, i);
      await uploadOne(e, i, signal);
    }
  };

  /**
   * Reads each file's metadata again just before sending: one the server swept meanwhile (a message that
   * waited long offline) is uploaded again, never referenced broken. Resolves with how many must go again.
   */
  const recheck = async (e: UploadEntry): Promise<number> => {
    let again = 0;
    for (let i = 0; i < e.files.length; i++) {
      const f = e.files[i];
      if (!f?.attachmentId) continue;
      try {
        const m = await deps.meta(f.attachmentId);
        if (m.status === 'refused') throw new UploadRefused(m.error ?? 'the server did not accept this file');
        if (m.status === 'ready') continue;
        f.ready = false;
        await deps.store.patchFile(e.id, i, { ready: false });
      } catch (err) {
        if (!(err instanceof UploadGone)) throw err;
        await restartFile(e, i);
      }
      again++;
    }
    return again;
  };

  /**
   * Stops when the entry is no longer stored: another tab's Cancel (it holds no lock to cancel with), or a
   * sign-out. Read between files and just before sending.
   */
  const stillThere = async (e: UploadEntry, g: number) => {
    const stored = await deps.store.get(e.id);
    if (g !== gen) throw cancelledError(); // Signed out meanwhile: `reset` forgot everything already.
    if (stored) return;
    cancelled.add(e.id);
    entries = entries.filter((x) => x.id !== e.id);
    progress.delete(e.id);
    changed();
    throw cancelledError();
  };

  /** Uploads every file of `e`, then sends the message and forgets the entry. */
  const deliver = async (e: UploadEntry, g: number): Promise<void> => {
    const abort = new AbortController();
    current = { id: e.id, abort };
    try {
      for (let round = 0; ; round++) {
        for (let i = 0; i < e.files.length; i++) {
          await stillThere(e, g);
          await uploadFile(e, i, abort.signal);
        }
        if ((await recheck(e)) === 0) break;
        // Swept again at once: something is wrong on the server; the loop's backoff tries later.
        if (round >= 2) throw new Error('the server keeps losing these files');
      }
      await stillThere(e, g);
      // Never as someone else: the person signed out (and another in) while this entry was uploading.
      if (cancelled.has(e.id) || !e.userId || e.userId !== deps.me()) throw cancelledError();
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

  const fail = async (e: UploadEntry, why: string, retryable: boolean) => {
    e.failed = why;
    e.retryable = retryable;
    await deps.store.patch(e.id, { failed: why, retryable });
    progress.delete(e.id);
    changed();
  };

  /** The next entry to try now, or when none is due, how long until one is. */
  const pick = (): { next: UploadEntry } | { wait: number } | null => {
    const open = mine().filter((e) => !e.failed && !cancelled.has(e.id));
    if (open.length === 0) return null;
    const t = deps.now();
    const next = open.find((e) => (deferred.get(e.id)?.until ?? 0) <= t);
    if (next) return { next };
    return { wait: Math.min(...open.map((e) => deferred.get(e.id)?.until ?? t)) - t };
  };

  const loop = async (g: number) => {
    for (;;) {
      const got = g === gen ? pick() : null;
      if (!got) return;
      if ('wait' in got) {
        // Every entry failed on the network lately: wait; `retryNow` and `add` end the wait early.
        wake = new AbortController();
        await deps.sleep(got.wait, wake.signal);
        continue;
      }
      const next = got.next;
      try {
        await deliver(next, g);
        deferred.delete(next.id);
      } catch (err) {
        if (g !== gen || cancelled.has(next.id)) continue;
        // Signed out: nothing more can go until someone signs in (then the queue starts again).
        if (err instanceof UploadSignedOut) return;
        if (err instanceof UploadRefused) {
          deferred.delete(next.id);
          await fail(next, err.message, err.retryable);
          continue;
        }
        // The network (or the server) failed: this entry waits its backoff while the others go.
        const attempt = deferred.get(next.id)?.attempt ?? 0;
        const ms = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 60_000;
        deferred.set(next.id, { until: deps.now() + ms, attempt: attempt + 1 });
        setProgress(next.id, { phase: 'waiting', sent: progress.get(next.id)?.sent ?? [] });
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
      const g = gen;
      await load();
      const work = async () => {
        // Read again once this tab holds the lock: another tab may have sent or cancelled entries meanwhile.
        const list = await deps.store.list();
        if (g !== gen) return;
        entries = list;
        changed();
        await loop(g);
      };
      await (deps.exclusive ? deps.exclusive(work, lockWait.signal) : work());
    } finally {
      running = false;
      if (again) {
        again = false;
        void run().catch(() => undefined); // The device's storage failed: the next add or "online" tries again.
      }
    }
  };

  return {
    /** Loads the saved entries, starts uploading them, and from now on follows the stored ones. */
    start(): Promise<void> {
      unwatch ??= deps.store.watch?.(stored) ?? null;
      return run();
    },
    /** Stops following the stored entries (the upload under way goes on). */
    stop(): void {
      unwatch?.();
      unwatch = null;
    },
    /**
     * Saves a message with its files in ONE IndexedDB write (then the composer may clear) and starts it.
     * Resolves with the message's local id once the entry is on disk.
     */
    async add(n: NewUpload): Promise<string> {
      const userId = deps.me();
      if (!userId) throw new Error('signed out');
      await load();
      const id = deps.newId();
      const entry: UploadEntry = {
        id,
        userId,
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
      delete e.retryable;
      deferred.delete(id);
      await deps.store.patch(id, { failed: undefined, retryable: undefined });
      changed();
      void run().catch(() => undefined);
    },
    /** The network is back: end any wait and try at once. */
    retryNow(): void {
      deferred.clear();
      wake.abort();
      void run().catch(() => undefined);
    },
    /**
     * Takes one file out of a message that failed (a type the server refuses, say): the caption and the other
     * files stay, and the message tries again. The last file is not removed this way (Remove does).
     */
    async removeFile(id: string, index: number): Promise<void> {
      const e = entries.find((x) => x.id === id);
      const f = e?.files[index];
      if (!e || !f || e.files.length < 2) return;
      const rest = {
        ...e,
        files: e.files.filter((_, i) => i !== index),
        failed: undefined,
        retryable: undefined,
      };
      await deps.store.put(rest);
      entries = entries.map((x) => (x.id === id ? rest : x));
      progress.delete(id);
      changed();
      if (f.uploadUrl) await deps.terminate(f.uploadUrl).catch(() => undefined);
      void run().catch(() => undefined);
    },
    /**
     * Sign-out (or another person signing in): aborts the upload under way, ends any wait (for the network
     * or for the other tabs' lock), so the lock is released, and forgets every entry in memory. The storage
     * is cleared by the engine; entries left there of another person are never sent.
     */
    reset(): void {
      gen++;
      current?.abort.abort();
      wake.abort();
      lockWait.abort();
      lockWait = new AbortController();
      entries = [];
      progress.clear();
      cancelled.clear();
      deferred.clear();
      loaded = null;
      again = false;
      changed();
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
