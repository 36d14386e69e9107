import type { FileRef } from '@commonroom/model';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { FileOwner } from '../../attachments/file-cache.ts';
import { downloadFile, useAttachments, useFileUrl } from './use-attachments.ts';
import { CloseIcon } from '../../ui/icons.tsx';

/**
 * The full-size viewer: a modal dialog (the browser traps focus in it), labelled with the image's name and
 * place; ← and → move between the message's images, Escape closes, Download saves the file. An image viewed
 * here is kept on the device (within the budget) for offline viewing.
 */
export function ImageViewer({
  images,
  start,
  owner,
  onClose,
}: {
  images: readonly FileRef[];
  start: number;
  owner: FileOwner;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [i, setI] = useState(start);
  const a = useAttachments();
  const f = images[i];
  const state = useFileUrl(f?.id ?? '', 'file', owner, f !== undefined);
  useEffect(() => {
    const el = ref.current;
    const before = document.activeElement as HTMLElement | null;
    el?.showModal();
    return () => {
      el?.close();
      before?.focus();
    };
  }, []);
  if (!f) return null;
  const n = images.length;
  const move = (d: number) => setI((x) => (x + d + n) % n);
  const onKey = (e: KeyboardEvent) => {
    if (n > 1 && e.key === 'ArrowRight') move(1);
    else if (n > 1 && e.key === 'ArrowLeft') move(-1);
  };
  const title = n > 1 ? `${f.name} (${i + 1} of ${n})` : f.name;
  return (
    <dialog ref={ref} className="viewer" aria-labelledby="viewer-title" onCancel={onClose} onKeyDown={onKey}>
      <header className="viewer-head">
        <h2 id="viewer-title">{title}</h2>
        {/* Offline with no copy on the device, a download cannot work either. */}
        {state.kind !== 'offline' && (
          <button
            type="button"
            className="link-button"
            onClick={() => void downloadFile(a, f.id, f.name, owner).catch(() => undefined)}
          >
            Download
          </button>
        )}
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose} autoFocus>
          <CloseIcon />
        </button>
      </header>
      <div className="viewer-stage">
        {n > 1 && (
          <button
            type="button"
            className="icon-button viewer-prev"
            aria-label="Previous image"
            onClick={() => move(-1)}
          >
            ←
          </button>
        )}
        {state.kind === 'ready' ? (
          <img src={state.url} alt={f.name} />
        ) : state.kind === 'offline' ? (
          <p className="viewer-note">Needs the network to open</p>
        ) : (
          <p className="viewer-note" aria-busy="true">
            Loading…
          </p>
        )}
        {n > 1 && (
          <button
            type="button"
            className="icon-button viewer-next"
            aria-label="Next image"
            onClick={() => move(1)}
          >
            →
          </button>
        )}
      </div>
    </dialog>
  );
}
