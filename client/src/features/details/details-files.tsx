import { useConversationView, useEngine } from '../../hooks/engine-context.tsx';
import { relativeTime } from '../../ui/format.ts';
import { fileSize } from '../attachments/file-limits.ts';
import { FileIcon } from '../attachments/file-icon.tsx';

/**
 * The Files tab of a conversation's details (issue 18, "files tabs as those features exist"; attachments
 * came with issue 17): every file in the messages held on this device, newest first, each with who shared
 * it and a way to the message it came with (which shows or downloads it). Older messages not yet loaded
 * are not listed, and it says so.
 */
export function DetailsFiles({
  conversationId,
  onJump,
}: {
  conversationId: string;
  onJump: (key: string) => void;
}) {
  const engine = useEngine();
  const view = useConversationView(conversationId);
  if (!view) return null;
  const now = Date.now();
  const shared = [...view.state.byKey.values()]
    .filter((m) => m.files.length > 0 && !m.deleted && !m.removed)
    .sort((a, b) => b.ts - a.ts)
    .flatMap((m) => m.files.map((f) => ({ m, f })));
  const older = view.state.oldestSegment > 0;
  if (shared.length === 0)
    return (
      <p className="muted details-files">
        No files shared here{older ? ' in the messages on this device' : ''} yet. Photos, documents and
        anything else people attach to their messages will appear here.
      </p>
    );
  return (
    <>
      <ul className="details-file-list" aria-label="Files">
        {shared.map(({ m, f }) => (
          <li key={`${m.key}/${f.id}`}>
            <FileIcon type={f.type} name={f.name} />
            <span className="details-file-about">
              <span className="details-file-name">{f.name}</span>
              <span className="muted">
                {fileSize(f.size)} · {engine.user(m.authorId)?.displayName ?? 'Someone'} ·{' '}
                {relativeTime(m.ts, now)}
              </span>
            </span>
            <button
              type="button"
              onClick={() => onJump(m.key)}
              aria-label={`Show ${f.name} in the conversation`}
            >
              Show
            </button>
          </li>
        ))}
      </ul>
      {older && (
        <p className="muted details-files">Files in older messages show here once those are loaded.</p>
      )}
    </>
  );
}
