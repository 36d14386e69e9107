import type { MonitorList } from '@commonroom/protocol';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { listConversations, openConversation, problem } from './safeguarding-api.ts';
import { MonitorTranscript, type Opened } from './monitor-transcript.tsx';
import { TableFrame } from '../admin/table-frame.tsx';

type Conv = MonitorList['conversations'][number];
const KIND_LABELS: Record<string, string> = {
  public: 'Public channel',
  private: 'Private channel',
  announcement: 'Announcement channel',
  dm: 'Direct message',
};

/**
 * Monitoring (issue 14 §6): a lead chooses any conversation, direct messages included, says why, and reads
 * it here, read-only, from the server's copy. Each opening of a conversation the lead is not in is written
 * to the audit log with the reason. Nothing here joins or subscribes to the conversation.
 */
export function MonitorScreen() {
  const engine = useEngine();
  const [list, setList] = useState<Conv[] | null>(null);
  const [query, setQuery] = useState('');
  const [asking, setAsking] = useState<Conv | null>(null);
  const [reason, setReason] = useState('');
  const [opened, setOpened] = useState<Opened | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    listConversations(engine)
      .then((r) => alive && setList(r.conversations))
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine]);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (list ?? []).filter((c) => q === '' || c.name.toLowerCase().includes(q));
  }, [list, query]);

  const open = async (e: FormEvent) => {
    e.preventDefault();
    if (!asking) return;
    setError(null);
    try {
      const t = await openConversation(engine, asking.id, reason.trim());
      setOpened({ ...t, reason: reason.trim() });
      setAsking(null);
      setReason('');
    } catch (err) {
      setError(problem(err));
    }
  };

  if (opened) return <MonitorTranscript opened={opened} onBack={() => setOpened(null)} />;

  return (
    <section className="admin-section" aria-labelledby="monitor-title">
      <header className="admin-head">
        <div>
          <h1 id="monitor-title">Monitor a conversation</h1>
          <p className="muted admin-sub">
            Any channel or direct message, read-only. You say why before it opens; opening one you are not in
            is written to the audit log with your reason.
          </p>
        </div>
      </header>
      <ErrorText message={asking ? null : error} />
      <div className="admin-toolbar">
        <label className="field">
          <span className="visually-hidden">Find a conversation</span>
          <input
            type="search"
            placeholder="Find by channel or person's name"
            aria-label="Find a conversation"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
      </div>
      <TableFrame label="Conversations">
        <table className="admin-table">
          <caption className="visually-hidden">Conversations</caption>
          <thead>
            <tr>
              <th scope="col" className="plain-th">
                Conversation
              </th>
              <th scope="col" className="plain-th">
                Kind
              </th>
              <th scope="col" className="plain-th">
                Members
              </th>
              <th scope="col" className="plain-th">
                <span className="visually-hidden">Open</span>
              </th>
            </tr>
          </thead>
          <tbody aria-busy={list === null}>
            {list === null ? (
              <tr>
                <td colSpan={4} className="table-state">
                  Loading…
                </td>
              </tr>
            ) : shown.length === 0 ? (
              <tr>
                <td colSpan={4} className="table-state">
                  No conversation matches.
                </td>
              </tr>
            ) : (
              shown.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{KIND_LABELS[c.kind] ?? c.kind}</td>
                  <td>{c.members}</td>
                  <td className="nowrap">
                    <button type="button" onClick={() => setAsking(c)} aria-label={`Open ${c.name}`}>
                      Open…
                    </button>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </TableFrame>
      {asking && (
        <Dialog
          title="Why are you opening this conversation?"
          onClose={() => {
            setAsking(null);
            setError(null);
          }}
        >
          <form className="admin-form tight" onSubmit={(e) => void open(e)}>
            <p>
              <strong>{asking.name}</strong> opens read-only. Unless you are a member, your name, the time and
              this reason are written to the audit log.
            </p>
            <label>
              Reason
              <textarea
                rows={3}
                minLength={10}
                maxLength={1000}
                required
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
            </label>
            <ErrorText message={error} />
            <div className="dialog-buttons">
              <button type="submit" className="primary" disabled={reason.trim().length < 10}>
                Open read-only
              </button>
              <button
                type="button"
                onClick={() => {
                  setAsking(null);
                  setError(null);
                }}
              >
                Cancel
              </button>
            </div>
          </form>
        </Dialog>
      )}
    </section>
  );
}
