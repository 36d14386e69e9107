import { useEffect, useState, useSyncExternalStore } from 'react';
import { attachmentsFor, type Attachments } from '../../attachments/attachments.ts';
import type { FileOwner, Variant } from '../../attachments/file-cache.ts';
import type { PendingUpload } from '../../attachments/upload-queue.ts';
import { useEngine } from '../../hooks/engine-context.tsx';

export function useAttachments(): Attachments {
  return attachmentsFor(useEngine());
}

/** Messages with files waiting here (a thread's when `parent` is given; the channel's otherwise). */
export function usePendingUploads(conversationId: string, parent: string | null): PendingUpload[] {
  const { queue } = useAttachments();
  const all = useSyncExternalStore(queue.subscribe, queue.list);
  return all.filter(
    (e) =>
      e.conversationId === conversationId &&
      (parent === null ? e.parent === undefined || e.alsoChannel === true : e.parent === parent),
  );
}

/** The server made no thumbnail (not a picture it could read): the message shows the file's card. */
export class NoThumbnail extends Error {
  override name = 'NoThumbnail';
}

/** The device's copy of an attachment, or the server's (then kept within the budget), as a Blob. */
export async function loadFile(
  a: Attachments,
  id: string,
  variant: Variant,
  owner?: FileOwner,
): Promise<Blob> {
  const cached = await a.cache.get(id, variant);
  if (cached) return cached;
  const who = a.me();
  const info = await a.info(id);
  if (info.status !== 'ready') throw new Error('not ready');
  // Never the whole file in a thumbnail's place: a phone would fetch 25 MB to show 320 pixels.
  if (variant === 'thumb' && !info.thumbUrl) throw new NoThumbnail(id);
  const url = variant === 'thumb' ? info.thumbUrl : info.url;
  if (!url) throw new Error('not ready');
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(`status ${r.status}`);
  const blob = await r.blob();
  // Signed out meanwhile: the device was cleared for the next person; this copy is not theirs to keep.
  if (a.me() === who) void a.cache.put(id, variant, blob, owner).catch(() => undefined);
  return blob;
}

export type FileState =
  | { kind: 'loading' }
  | { kind: 'ready'; url: string }
  /** Not on this device and the server cannot be reached. */
  | { kind: 'offline' }
  /** There is no thumbnail: show the file's card. */
  | { kind: 'none' };

/** An object URL for an attachment's thumbnail or file, released when the component goes. */
export function useFileUrl(id: string, variant: Variant, owner: FileOwner, enabled = true): FileState {
  const a = useAttachments();
  const [state, setState] = useState<FileState>({ kind: 'loading' });
  useEffect(() => {
    if (!enabled) return;
    let alive = true;
    let url: string | null = null;
    setState({ kind: 'loading' });
    loadFile(a, id, variant, owner)
      .then((blob) => {
        if (!alive) return;
        url = URL.createObjectURL(blob);
        setState({ kind: 'ready', url });
      })
      .catch((err: unknown) => {
        if (alive) setState({ kind: err instanceof NoThumbnail ? 'none' : 'offline' });
      });
    return () => {
      alive = false;
      if (url) URL.revokeObjectURL(url);
    };
    // The owner only labels the copy; a new object for the same message must not fetch again.
  }, [a, id, variant, enabled]);
  return state;
}

/**
 * Saves an attachment as a download (from the device's copy when there is one), named as the server stored
 * it: the name in a message is the sender's to choose. Offline, the message's name is all there is.
 */
export async function downloadFile(
  a: Attachments,
  id: string,
  fallbackName: string,
  owner: FileOwner,
): Promise<void> {
  const blob = await loadFile(a, id, 'file', owner);
  const name = await a.info(id).then(
    (info) => info.name,
    () => fallbackName,
  );
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
