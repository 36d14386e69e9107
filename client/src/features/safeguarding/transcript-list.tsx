import type { TranscriptMessage } from '@commonroom/protocol';
import { ReviewFiles } from './review-files.tsx';
import { timeFormat } from './safeguarding-api.ts';

/** Messages as the server holds them, read-only: deleted and removed ones are shown and marked so. */
export function TranscriptList(props: {
  messages: TranscriptMessage[];
  highlight?: string;
  flag?: string;
  label: string;
}) {
  if (props.messages.length === 0) return <p className="muted">No messages.</p>;
  return (
    <ol className="sg-transcript" aria-label={props.label}>
      {props.messages.map((m) => {
        const marked = m.localId === props.highlight;
        return (
          <li key={`${m.authorId}:${m.localId}`} className={marked ? 'sg-marked' : undefined}>
            <span className="sg-msg-head">
              <strong>{m.authorName}</strong>{' '}
              <time className="muted" dateTime={new Date(m.writtenAt).toISOString()}>
                {timeFormat.format(m.writtenAt)}
              </time>
              {marked && props.flag && <span className="sg-flag">{props.flag}</span>}
              {m.editedAt !== null && <span className="sg-flag-quiet">edited</span>}
              {m.deleted && <span className="sg-flag-quiet">deleted by author</span>}
              {m.removed && <span className="sg-flag-quiet">removed by a moderator</span>}
            </span>
            {m.purged || (m.purged === undefined && m.text === '' && !m.files?.length) ? (
              // Blanked by retention (issue 14 §7): the safeguarding store no longer keeps its text.
              <span className="sg-msg-text muted">Text no longer kept: its retention period has passed.</span>
            ) : (
              // A message of files only has no text: its files say what it was.
              m.text !== '' && <span className="sg-msg-text">{m.text}</span>
            )}
            {m.files && <ReviewFiles files={m.files} />}
          </li>
        );
      })}
    </ol>
  );
}
