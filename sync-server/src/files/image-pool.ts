import { Worker } from 'node:worker_threads';

/** A picture to re-encode (image-worker.mjs): where it is, where its copies go, and its format. */
export type ImageJob = {
  id: number;
  input: string;
  display: string;
  thumb: string;
  format: 'jpeg' | 'png' | 'gif' | 'webp';
};
export type ImageResult =
  { id: number; ok: true; width: number; height: number } | { id: number; ok: false; error: string };

/**
 * One worker thread for image work (image-worker.mjs), started on the first picture and kept; jobs queue
 * in its message port and run one at a time. A worker that dies fails the jobs it held and is replaced on
 * the next one.
 */
export type ImagePool = {
  run(job: Omit<ImageJob, 'id'>): Promise<{ width: number; height: number }>;
  close(): Promise<void>;
};

export function createImagePool(): ImagePool {
  let worker: Worker | null = null;
  let next = 1;
  const pending = new Map<number, { resolve: (r: ImageResult) => void; reject: (e: Error) => void }>();
  const failAll = (err: Error): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = async (): Promise<Worker> => {
    // sharp's shared libraries must be loaded by the main thread before a worker loads them, or they are
    // unloaded when the worker exits (sharp's documentation, worker threads on glibc Linux).
    await import('sharp');
    if (worker) return worker;
    const w = new Worker(new URL('./image-worker.mjs', import.meta.url));
    w.on('message', (r: ImageResult) => {
      const p = pending.get(r.id);
      pending.delete(r.id);
      p?.resolve(r);
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`the image worker stopped (exit code ${code})`));
    });
    // Idle, it must not keep the process alive.
    w.unref();
    worker = w;
    return w;
  };
  return {
    async run(job) {
      const w = await start();
      const id = next++;
      const r = await new Promise<ImageResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ ...job, id });
      });
      if (!r.ok) throw new Error(r.error);
      return { width: r.width, height: r.height };
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
