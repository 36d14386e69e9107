import type { Transcript } from '@commonroom/protocol';
import { useEffect, useRef, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { ExportDialog } from './export-dialog.tsx';
import { openConversation, problem } from './safeguarding-api.ts';
import { TranscriptList } from './transcript-list.tsx';

export type Opened = Transcript & { reason: string };

const count = (n: number): string => (n === 1 ? '1 message' : `${n} messages`);

/**
 * A conversation opened for monitoring, read-only: its newest messages first, then older pages on request
 * ("Show older messages", above the list, where older messages go). Each page is read with the reason the
 * lead gave and, for a conversation they are not in, written to the audit log like the opening (T14).
 */
export function MonitorTranscript(props: { opened: Opened; onBack: () => void }) {
  const engine = useEngine();
  const { conversation, reason, audited } = props.opened;
  const [messages, setMessages] = useState(props.opened.messages);
  const [next, setNext] = useState(props.opened.nextCursor);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  // The button leaves when there is nothing older: focus goes to the line that says so, above the list.
  const [atStart, setAtStart] = useState(false);
  const start = useRef<HTMLParagraphElement | null>(null);
  useEffect(() => {
    if (atStart) start.current?.focus();
  }, [atStart]);

  const more = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const t = await openConversation(engine, conversation.id, reason, next);
      // Pages are keyed on arrival order, so they never overlap; a message is still shown only once.
      const have = new Set(messages.map((m) => `${m.authorId}:${m.localId}`));
      const added = t.messages.filter((m) => !have.has(`${m.authorId}:${m.localId}`));
      setMessages([...added, ...messages]);
      setNext(t.nextCursor);
      setSaid(
        `${count(added.length)} older shown${t.nextCursor ? '' : ': this is the start of the conversation'}.`,
      );
      setError(null);
      if (!t.nextCursor) setAtStart(true);
    } catch (e) {
      setError(problem(e));
    } finally {
      setLoading(false);
    }
  };

  return (
    <section className="admin-section" aria-labelledby="transcript-title">
      <button type="button" className="link-button back-link" onClick={props.onBack}>
        ← All conversations
      </button>
      <header className="admin-head">
        <div>
          <h1 id="transcript-title">{conversation.name}</h1>
          <p className="muted admin-sub">
            Read-only · {next ? `the newest ${count(messages.length)}` : count(messages.length)}
          </p>
        </div>
        <button type="button" onClick={() => setExporting(true)}>
          Export conversation…
        </button>
      </header>
      <p className="admin-result" role="status">
        {audited
          ? `Opened for monitoring. This was written to the audit log with your reason: “${reason}”.`
          : 'You are a member of this conversation, so this opening was not written to the audit log.'}
      </p>
      <div className="admin-card">
        {next && (
          <p className="more-rows sg-older">
            <button type="button" onClick={() => void more()} disabled={loading}>
              {loading ? 'Loading…' : 'Show older messages'}
            </button>{' '}
            {audited && <span className="muted">Each older page is written to the audit log too.</span>}
          </p>
        )}
        <ErrorText message={error} />
        <p className="visually-hidden" role="status">
          {said ?? ''}
        </p>
        {!next && messages.length > 0 && (
          <p className="muted sg-start" id="transcript-start" tabIndex={-1} ref={start}>
            The start of the conversation.
          </p>
        )}
        <TranscriptList messages={messages} label={`Messages in ${conversation.name}`} />
      </div>
      {exporting && (
        <ExportDialog
          subject={{ kind: 'conversation', id: conversation.id }}
          what={conversation.name}
          onClose={() => setExporting(false)}
        />
      )}
    </section>
  );
}
