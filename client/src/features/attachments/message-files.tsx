import type { FileRef } from '@commonroom/model';
import { Suspense, useState } from 'react';
import { lazy } from '../../ui/lazy.tsx';
import type { FileOwner } from '../../attachments/file-cache.ts';
import { isImage } from '../../attachments/image-files.ts';
import { fileSize } from './file-limits.ts';
import { FileIcon } from './file-icon.tsx';
import { downloadFile, useAttachments, useFileUrl } from './use-attachments.ts';
import './attachments.css';

const ImageViewer = lazy(async () => ({ default: (await import('./image-viewer.tsx')).ImageViewer }));

/** A message's files: images as thumbnails (space reserved from their size), other files as cards. */
export function MessageFiles({ files, owner }: { files: readonly FileRef[]; owner: FileOwner }) {
  const [open, setOpen] = useState<number | null>(null);
  const images = files.filter(isImage);
  const others = files.filter((f) => !isImage(f));
  return (
    <div className="msg-files">
      {images.length > 0 && (
        <ul className="msg-images" aria-label={images.length === 1 ? 'Image' : `${images.length} images`}>
          {images.map((f, i) => (
            <li key={f.id}>
              <Thumb f={f} owner={owner} onOpen={() => setOpen(i)} />
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <ul className="msg-cards" aria-label={others.length === 1 ? 'File' : `${others.length} files`}>
          {others.map((f) => (
            <li key={f.id}>
              <FileCard f={f} owner={owner} />
            </li>
          ))}
        </ul>
      )}
      {open !== null && (
        <Suspense fallback={null}>
          <ImageViewer images={images} start={open} owner={owner} onClose={() => setOpen(null)} />
        </Suspense>
      )}
    </div>
  );
}

/** Thumbnails fit in 320 × 240 (less on a phone, by CSS); the box has its final size before the image loads. */
function thumbBox(f: FileRef): { width: number; aspectRatio: string } {
  const w = f.w ?? 4;
  const h = f.h ?? 3;
  const scale = Math.min(1, 320 / w, 240 / h);
  return { width: Math.max(80, Math.round(w * scale)), aspectRatio: `${w} / ${h}` };
}

function Thumb({ f, owner, onOpen }: { f: FileRef; owner: FileOwner; onOpen: () => void }) {
  const state = useFileUrl(f.id, 'thumb', owner);
  // No thumbnail (a picture the server could not shrink): the card, never the whole file as a preview.
  if (state.kind === 'none') return <FileCard f={f} owner={owner} />;
  return (
    <button
      type="button"
      className="msg-thumb"
      style={thumbBox(f)}
      onClick={onOpen}
      // Offline, the words shown are part of the name (what a screen reader says matches what is seen).
      {...(state.kind === 'offline' ? {} : { 'aria-label': `Open image ${f.name}` })}
      data-state={state.kind}
    >
      {state.kind === 'ready' ? (
        <img src={state.url} alt="" />
      ) : state.kind === 'offline' ? (
        <>
          <span className="visually-hidden">Open image {f.name}. </span>
          <span className="thumb-note">Needs the network to open</span>
        </>
      ) : (
        <span className="visually-hidden">Loading {f.name}</span>
      )}
    </button>
  );
}

function FileCard({ f, owner }: { f: FileRef; owner: FileOwner }) {
  const a = useAttachments();
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div className="file-card">
      <FileIcon type={f.type} name={f.name} />
      <span className="file-card-main">
        <span className="file-name">{f.name}</span>
        <span className="muted">{fileSize(f.size)}</span>
        {problem && <span className="error">{problem}</span>}
      </span>
      <button
        type="button"
        className="link-button"
        aria-label={`Download ${f.name}`}
        onClick={() => {
          setProblem(null);
          downloadFile(a, f.id, f.name, owner).catch(() => setProblem('Needs the network to open'));
        }}
      >
        Download
      </button>
    </div>
  );
}
