import { useRef } from 'react';
import { fileSize } from './file-limits.ts';
import { FileIcon } from './file-icon.tsx';
import { CameraIcon, PaperclipIcon } from './icons.tsx';
import type { StagedFiles } from './use-staged-files.ts';
import { CloseIcon } from '../../ui/icons.tsx';

/** On a phone the camera is one tap away; a desktop has no use for a second file button. */
const touch = (): boolean => typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;

/** The composer's "Attach files" button (and "Take photo" on a phone), over hidden file inputs. */
export function AttachButtons({ files }: { files: StagedFiles }) {
  const pick = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);
  const take = (input: HTMLInputElement) => {
    files.add([...(input.files ?? [])]);
    // The same file chosen again must fire a change too.
    input.value = '';
  };
  return (
    <>
      <button
        type="button"
        className="icon-button"
        aria-label="Attach files"
        title="Attach files"
        onClick={() => pick.current?.click()}
      >
        <PaperclipIcon />
      </button>
      <input
        ref={pick}
        type="file"
        multiple
        hidden
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => take(e.currentTarget)}
      />
      {touch() && (
        <>
          <button
            type="button"
            className="icon-button"
            aria-label="Take photo"
            title="Take photo"
            onClick={() => camera.current?.click()}
          >
            <CameraIcon />
          </button>
          <input
            ref={camera}
            type="file"
            accept="image/*"
            capture="environment"
            hidden
            tabIndex={-1}
            aria-hidden="true"
            onChange={(e) => take(e.currentTarget)}
          />
        </>
      )}
    </>
  );
}

/** The files staged for the next message, above the box: a preview or icon, name, size, and Remove. */
export function StagedChips({ files }: { files: StagedFiles }) {
  if (files.staged.length === 0) return null;
  return (
    <ul className="staged-files" aria-label="Files to send">
      {files.staged.map((s) => (
        <li key={s.key} className="staged-file">
          {s.preview ? (
            <img src={s.preview} alt="" className="staged-thumb" />
          ) : (
            <FileIcon type={s.file.type} name={s.file.name} />
          )}
          <span className="staged-name">
            <span className="file-name">{s.file.name}</span>
            <span className="muted">{fileSize(s.file.size)}</span>
          </span>
          <button
            type="button"
            className="icon-button staged-remove"
            aria-label={`Remove ${s.file.name}`}
            onClick={() => files.remove(s.key)}
          >
            <CloseIcon size={16} />
          </button>
        </li>
      ))}
    </ul>
  );
}
