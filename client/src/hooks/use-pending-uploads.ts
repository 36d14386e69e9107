import { useSyncExternalStore } from 'react';
import { pendingUploads, subscribePendingUploads } from '../attachments/pending-count.ts';

/** Messages with files waiting to upload (0 until the queue has loaded). */
export function usePendingUploadCount(): number {
  return useSyncExternalStore(subscribePendingUploads, () => pendingUploads().count);
}
