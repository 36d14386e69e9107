import { avatarHex } from '@commonroom/protocol';
import { useEffect, useState } from 'react';
import type { PendingUpload } from '../../attachments/upload-queue.ts';
import { useEngine } from '../../hooks/engine-context.tsx';
import { initials } from '../../ui/format.ts';
import { fileSize } from './file-limits.ts';
import { FileIcon } from './file-icon.tsx';
import { useAttachments, usePendingUploads } from './use-attachments.ts';
import './attachments.css';

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(navigator.onLine);
    addEventListener('online', on);
    addEventListener('offline', on);
    return () => {
      removeEventListener('online', on);
      removeEventListener('offline', on);
    };
  }, []);
  return online;
}

/** What is happening, honestly: nothing is "sending" while there is no network. */
export function uploadWords(e: PendingUpload, online: boolean): string {
  const total = e.files.reduce((n, f) => n + f.size, 0);
  const sent = e.progress.sent.reduce((n, s) => n + (s ?? 0), 0);
  if (e.failed) return `Not sent: ${e.failed}.`;
  if (!online) return 'Waiting for network';
  switch (e.progress.phase) {
    case 'uploading': {
      const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
      // The browser has handed over every byte; on a slow link the server is still taking them in.
      return pct >= 100 ? 'Finishing the upload…' : `Uploading ${pct}%`;
    }
    case 'processing':
      return 'Almost there: the server is checking the files';
    case 'sending':
      return 'Sending…';
    default:
      return sent > 0 ? 'Waiting to carry on uploading' : 'Waiting to upload';
  }
}

/**
 * Messages with files that have not gone yet, at the bottom of the conversation (or thread) as the person's
 * own: each file with its progress, the state in words, and Cancel. Nobody else sees anything until the
 * files are stored and the message is sent.
 */
export function PendingUploads({
  conversationId,
  parent,
}: {
  conversationId: string;
  parent: string | null;
}) {
  const list = usePendingUploads(conversationId, parent);
  const online = useOnline();
  if (list.length === 0) return null;
  return (
    <ol className="pending-uploads" aria-label="Messages with files waiting to send">
      {list.map((e) => (
        <li key={e.id}>
          <PendingItem e={e} online={online} />
        </li>
      ))}
    </ol>
  );
}

function PendingItem({ e, online }: { e: PendingUpload; online: boolean }) {
  const engine = useEngine();
  const { queue } = useAttachments();
  const me = engine.me();
  const words = uploadWords(e, online);
  return (
    <article
      className={`msg mine msg-pending${e.failed ? ' msg-upload-failed' : ''}`}
      aria-label={`Your message, ${words}`}
      data-upload={e.id}
    >
      <span className="avatar" aria-hidden="true" style={{ background: avatarHex(me?.avatarColour) }}>
        {initials(me?.displayName ?? 'You')}
      </span>
      <div className="msg-body">
        <header className="msg-head">
          <span className="author">{me?.displayName ?? 'You'}</span>
        </header>
        {e.caption && <p className="text">{e.caption}</p>}
        <ul className="pending-files">
          {e.files.map((f, i) => {
            const sent = Math.min(f.size, e.progress.sent[i] ?? f.sent);
            return (
              <li key={i} className="pending-file">
                <Preview blob={f.blob} type={f.type} name={f.name} />
                <span className="pending-file-main">
                  <span className="file-name">{f.name}</span>
                  <progress
                    max={Math.max(1, f.size)}
                    value={f.ready ? f.size : sent}
                    aria-label={`${f.name}: ${fileSize(sent)} of ${fileSize(f.size)} uploaded`}
                  />
                </span>
                <span className="muted">{fileSize(f.size)}</span>
                {/* A refused file leaves on its own; the caption and the other files stay and go. */}
                {e.failed && e.files.length > 1 && (
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Remove ${f.name}`}
                    onClick={() => void queue.removeFile(e.id, i)}
                  >
                    Remove
                  </button>
                )}
              </li>
            );
          })}
        </ul>
        <p
          className={`delivery${e.failed ? ' delivery-rejected' : ''}`}
          data-status={e.failed ? 'failed' : e.progress.phase}
          role={e.failed ? 'alert' : 'status'}
        >
          {words} {/* Only where waiting can help (today's limit, a file the server did not finish). */}
          {e.failed && e.retryable && (
            <button type="button" className="link-button" onClick={() => void queue.retry(e.id)}>
              Try again
            </button>
          )}{' '}
          <button type="button" className="link-button" onClick={() => void queue.cancel(e.id)}>
            {e.failed ? (e.files.length > 1 ? 'Remove message' : 'Remove') : 'Cancel'}
          </button>
        </p>
      </div>
    </article>
  );
}

/** The photo itself (it is on this device), or the file's icon. */
function Preview({ blob, type, name }: { blob: Blob; type: string; name: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const image = type.startsWith('image/');
  useEffect(() => {
    if (!image) return;
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob, image]);
  return url ? <img className="pending-thumb" src={url} alt="" /> : <FileIcon type={type} name={name} />;
}
