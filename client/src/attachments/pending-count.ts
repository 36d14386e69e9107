/**
 * How many messages with files wait in the upload queue, and their bytes, for the first screen's sync line
 * (which must not load the queue's code). The queue sets it; it starts at zero until the queue has loaded.
 */
let pending = { count: 0, bytes: 0 };
const listeners = new Set<() => void>();

export function setPendingUploads(count: number, bytes: number): void {
  if (count === pending.count && bytes === pending.bytes) return;
  pending = { count, bytes };
  for (const l of listeners) l();
}

export const pendingUploads = (): { count: number; bytes: number } => pending;

export function subscribePendingUploads(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
