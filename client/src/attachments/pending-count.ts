/**
 * How many messages with files wait in the upload queue (and how many were refused), and the bytes they keep
 * on the device, for the first screen's sync line (which must not load the queue's code). The queue sets it;
 * all zero until the queue has loaded.
 */
export type PendingUploadCounts = { count: number; failed: number; bytes: number };
let pending: PendingUploadCounts = { count: 0, failed: 0, bytes: 0 };
const listeners = new Set<() => void>();

export function setPendingUploads(next: PendingUploadCounts): void {
  if (next.count === pending.count && next.failed === pending.failed && next.bytes === pending.bytes) return;
  pending = next;
  for (const l of listeners) l();
}

export const pendingUploads = (): PendingUploadCounts => pending;

export function subscribePendingUploads(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
