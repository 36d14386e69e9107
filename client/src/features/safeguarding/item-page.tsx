import {
  ITEM_STATUSES,
  ITEM_STATUS_LABELS,
  REPORT_REASON_LABELS,
  type ItemDetail,
  type ExportSubject,
  type ItemStatus,
} from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { addNote, getItem, listLeads, problem, timeFormat, updateItem } from './safeguarding-api.ts';
import { AreaLink } from './area-link.tsx';
import { RemoveCard } from './remove-card.tsx';
import { ExportDialog } from './export-dialog.tsx';
import { StatusPill, reasonsText } from './status-pill.tsx';
import { TranscriptList } from './transcript-list.tsx';

const reasonLabel = (r: string): string => REPORT_REASON_LABELS[r as keyof typeof REPORT_REASON_LABELS] ?? r;
const REVISION_LABELS: Record<string, string> = {
  edit: 'Edited',
  delete: 'Deleted by its author',
  removal: 'Removed by a moderator',
};

/**
 * One item (/safeguarding/items/:id): the message with the messages around it, its edit history and
 * original text, the people involved, who reported it and why; and the lead's work on it: status,
 * assignee, outcome, and notes that are kept for good (no note is ever edited or deleted).
 */
export function ItemPage({ id }: { id: string }) {
  const engine = useEngine();
  const [d, setD] = useState<ItemDetail | null>(null);
  const [leads, setLeads] = useState<{ id: string; name: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [status, setStatus] = useState<ItemStatus>('new');
  const [assignee, setAssignee] = useState('');
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [exporting, setExporting] = useState<ExportSubject | null>(null);
  const [exportWhat, setExportWhat] = useState('');

  useEffect(() => {
    let alive = true;
    Promise.all([getItem(engine, id), listLeads(engine)])
      .then(([detail, l]) => {
        if (!alive) return;
        setD(detail);
        setLeads(l.leads);
        setStatus(detail.item.status);
        setAssignee(detail.item.assigneeId ?? '');
        setOutcome(detail.item.outcome ?? '');
      })
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine, id, version]);

  const back = (
    <AreaLink to="/safeguarding" className="back-link">
      ← Queue
    </AreaLink>
  );
  if (!d)
    return (
      <section className="admin-section" aria-busy={!error}>
        {back}
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );
  const item = d.item;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      await updateItem(engine, item.id, {
        status,
        assigneeId: assignee === '' ? null : assignee,
        ...(outcome.trim() !== (item.outcome ?? '') ? { outcome: outcome.trim() } : {}),
      });
      setResult(
        `Saved: ${ITEM_STATUS_LABELS[status].toLowerCase()}, ${
          assignee ? `assigned to ${leads.find((l) => l.id === assignee)?.name ?? 'a lead'}` : 'not assigned'
        }.`,
      );
      setVersion((v) => v + 1);
    } catch (err) {
      setError(problem(err));
    }
  };
  const saveNote = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      await addNote(engine, item.id, note);
      setNote('');
      setResult('Note added. Notes are kept as written and cannot be changed.');
      setVersion((v) => v + 1);
    } catch (err) {
      setError(problem(err));
    }
  };

  return (
    <section className="admin-section sg-item" aria-labelledby="item-title">
      {back}
      <header className="admin-head">
        <div>
          <h1 id="item-title">
            {item.kind === 'report' ? 'Report' : 'Keyword alert'} #{item.id}
          </h1>
          <p className="muted admin-sub">
            <StatusPill status={item.status} /> · {reasonsText(item)} · {item.conversationName} · raised{' '}
            {timeFormat.format(item.createdAt)}
          </p>
        </div>
        <button
          type="button"
          onClick={() => {
            setExportWhat(`case #${item.id}`);
            setExporting({ kind: 'case', id: String(item.id) });
          }}
        >
          Export case…
        </button>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <div className="sg-columns">
        <div className="sg-main">
          <section className="admin-card" aria-labelledby="context-title">
            <h2 id="context-title">The message in its conversation</h2>
            {d.message ? (
              <>
                <p className="muted">
                  Written {timeFormat.format(d.message.writtenAt)}
                  {d.message.receivedAt - d.message.writtenAt > 60_000 &&
                    ` on the device, received ${timeFormat.format(d.message.receivedAt)} (sent when back online)`}
                  .
                </p>
                <TranscriptList
                  messages={d.context}
                  highlight={d.message.localId}
                  flag={item.kind === 'report' ? 'Reported message' : 'Matched a keyword'}
                  label="The reported message and the messages around it"
                />
              </>
            ) : (
              <p className="muted">The message is no longer on the server.</p>
            )}
          </section>
          <section className="admin-card" aria-labelledby="history-title">
            <h2 id="history-title">Edit history</h2>
            {d.revisions.length === 0 ? (
              <p className="muted">Not edited or deleted since it was sent.</p>
            ) : (
              <ol className="sg-history">
                {d.revisions.map((r, i) => (
                  <li key={i}>
                    <span className="cell-sub">
                      {REVISION_LABELS[r.kind] ?? r.kind} · {timeFormat.format(r.at)}
                    </span>
                    <span>
                      <span className="sg-label">Before:</span> {r.previousText}
                    </span>
                    {r.newText !== null && (
                      <span>
                        <span className="sg-label">After:</span> {r.newText}
                      </span>
                    )}
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section className="admin-card" aria-labelledby="people-title">
            <h2 id="people-title">People involved</h2>
            <ul className="sg-people">
              {d.people.map((p) => (
                <li key={p.id}>
                  <span>
                    <strong>{p.name}</strong> <span className="muted">{p.role}</span>
                  </span>
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Export messages by ${p.name}`}
                    onClick={() => {
                      setExportWhat(`messages by ${p.name}`);
                      setExporting({ kind: 'person', id: p.id });
                    }}
                  >
                    Export messages…
                  </button>
                </li>
              ))}
            </ul>
            {d.reporters.length > 0 && (
              <>
                <h3>Reports</h3>
                <ul className="sg-reporters">
                  {d.reporters.map((r) => (
                    <li key={r.id}>
                      <strong>{r.name}</strong>: {reasonLabel(r.reason)} · {timeFormat.format(r.at)}
                      {r.detail && <q className="sg-detail">{r.detail}</q>}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
        </div>
        <div className="sg-side">
          <RemoveCard
            engine={engine}
            itemId={item.id}
            present={d.message !== null}
            removed={d.message?.removed === true}
            onDone={(said) => {
              setResult(said);
              setVersion((v) => v + 1);
            }}
          />
          <section className="admin-card" aria-labelledby="work-title">
            <h2 id="work-title">Handling</h2>
            <form className="admin-form tight" onSubmit={(e) => void save(e)}>
              <label>
                Status
                <select
                  aria-label="Status"
                  value={status}
                  onChange={(e) => setStatus(e.target.value as ItemStatus)}
                >
                  {ITEM_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {ITEM_STATUS_LABELS[s]}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Assigned to
                <select
                  aria-label="Assigned to"
                  value={assignee}
                  onChange={(e) => setAssignee(e.target.value)}
                >
                  <option value="">Nobody</option>
                  {leads.map((l) => (
                    <option key={l.id} value={l.id}>
                      {l.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Outcome {status === 'closed' ? '(needed to close)' : '(when closed)'}
                <textarea
                  rows={3}
                  maxLength={500}
                  value={outcome}
                  required={status === 'closed'}
                  onChange={(e) => setOutcome(e.target.value)}
                />
              </label>
              <div>
                <button type="submit" className="primary">
                  Save
                </button>
              </div>
            </form>
          </section>
          <section className="admin-card" aria-labelledby="notes-title">
            <h2 id="notes-title">Notes</h2>
            {d.notes.length === 0 ? (
              <p className="muted">No notes yet.</p>
            ) : (
              <ol className="sg-notes">
                {d.notes.map((n) => (
                  <li key={n.id}>
                    <span className="cell-sub">
                      {n.authorName} · {timeFormat.format(n.at)}
                    </span>
                    <span className="sg-note-text">{n.text}</span>
                  </li>
                ))}
              </ol>
            )}
            <form className="admin-form tight" onSubmit={(e) => void saveNote(e)}>
              <label>
                Add a note
                <textarea rows={3} maxLength={4000} value={note} onChange={(e) => setNote(e.target.value)} />
              </label>
              <p className="hint">Notes are kept as written: they cannot be edited or deleted.</p>
              <div>
                <button type="submit" disabled={note.trim() === ''}>
                  Add note
                </button>
              </div>
            </form>
          </section>
        </div>
      </div>
      {exporting && <ExportDialog subject={exporting} what={exportWhat} onClose={() => setExporting(null)} />}
    </section>
  );
}
