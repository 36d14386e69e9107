import type { MessageFileInfo } from '@commonroom/protocol';
import { useState } from 'react';
import { AttachmentInfo, attachmentPath } from '../../attachments/attachment-api.ts';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { FileIcon, fileKind } from '../attachments/file-icon.tsx';
import { fileSize } from '../attachments/file-limits.ts';
import { problem } from './safeguarding-api.ts';
import './review-files.css';

const STATE: Record<MessageFileInfo['state'], string> = {
  stored: 'In the conversation',
  held: 'Kept for this case: members can no longer see it',
  deleted: 'File deleted; this record is kept',
};

/**
 * A message's files as a lead reviews them (issue 17 with issue 14). Nothing is fetched until the lead
 * asks: an image may be the harm being reported, so it is shown only by choice, and each look is written
 * in the audit log by the server (the link request). A deleted file leaves its name, size, type and
 * SHA-256, which the police and the IWF can match against.
 */
export function ReviewFiles({ files }: { files: readonly MessageFileInfo[] }) {
  if (files.length === 0) return null;
  return (
    <ul className="sg-files" aria-label={files.length === 1 ? 'File' : `${files.length} files`}>
      {files.map((f) => (
        <ReviewFile key={f.id} file={f} />
      ))}
    </ul>
  );
}

function ReviewFile({ file: f }: { file: MessageFileInfo }) {
  const engine = useEngine();
  const [info, setInfo] = useState<AttachmentInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Shown inline only when the server made a picture of it: HEIC, TIFF and the like are downloads.
  const image = f.type.startsWith('image/') && f.hasThumb;
  const kind = fileKind(f.type, f.name);

  const fetchLink = async (): Promise<AttachmentInfo | null> => {
    setBusy(true);
    setError(null);
    try {
      const got = await engine.api.request('GET', attachmentPath(f.id), AttachmentInfo);
      setInfo(got);
      return got;
    } catch (e) {
      setError(problem(e));
      return null;
    } finally {
      setBusy(false);
    }
  };
  const download = async (): Promise<void> => {
    const got = info ?? (await fetchLink());
    // Served as an attachment: the browser saves it and this page stays.
    if (got?.url) window.location.assign(got.url);
  };

  return (
    <li className={`sg-file sg-file-${f.state}`}>
      <FileIcon type={f.type} name={f.name} />
      <div className="sg-file-main">
        <span className="sg-file-name">{f.name}</span>
        <span className="sg-file-meta">
          {fileSize(f.size)} · {kind.label} · <span className="sg-file-state">{STATE[f.state]}</span>
        </span>
        <span className="sg-file-hash">
          SHA-256{' '}
          <code title={f.sha256} aria-label={`SHA-256 ${f.sha256}`}>
            {f.sha256.slice(0, 16)}…
          </code>
        </span>
        {image && !info && f.state !== 'deleted' && (
          <span className="sg-file-meta">Hidden until you choose to see it. Each viewing is recorded.</span>
        )}
        {image && info?.thumbUrl && (
          <a className="sg-file-preview" href={info.url} target="_blank" rel="noopener noreferrer">
            <img src={info.thumbUrl} alt={`${f.name}, opens full size in a new tab`} />
          </a>
        )}
        <ErrorText message={error} />
      </div>
      {f.state !== 'deleted' &&
        (image ? (
          !info && (
            <button type="button" disabled={busy} onClick={() => void fetchLink()}>
              {busy ? 'Opening…' : 'Show image'}
            </button>
          )
        ) : (
          <button type="button" disabled={busy} onClick={() => void download()}>
            {busy ? 'Preparing…' : 'Download'}
          </button>
        ))}
    </li>
  );
}
