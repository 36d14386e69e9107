import { useSyncExternalStore } from 'react';
import {
  pendingUploads,
  subscribePendingUploads,
  type PendingUploadCounts,
} from '../attachments/pending-count.ts';

/** Messages with files waiting to upload, and refused ones (all 0 until the queue has loaded). */
export function usePendingUploads(): PendingUploadCounts {
  return useSyncExternalStore(subscribePendingUploads, pendingUploads);
}
