import type { ExportSubject, MonitorList, RetentionSettings } from '@commonroom/protocol';
import { useEffect, useMemo, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { ExportDialog } from './export-dialog.tsx';
import { getRetention, periodText } from './export-api.ts';
import { listConversations, problem } from './safeguarding-api.ts';

type Asking = { subject: ExportSubject; what: string };
const SHOWN = 6;

/**
 * Export (/safeguarding/export, issue 14 §7): a case by its number, everything one person wrote, or a whole
 * conversation, each as a readable page or as data; and the retention periods in force, read-only (admins
 * set them in Admin → Settings).
 */
export function ExportScreen() {
  const engine = useEngine();
  const [caseNo, setCaseNo] = useState('');
  const [who, setWho] = useState('');
  const [where, setWhere] = useState('');
  const [convs, setConvs] = useState<MonitorList['conversations'] | null>(null);
  const [retention, setRetention] = useState<RetentionSettings | null>(null);
  const [asking, setAsking] = useState<Asking | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    listConversations(engine)
      .then((r) => alive && setConvs(r.conversations))
      .catch((e: unknown) => alive && setError(problem(e)));
    getRetention(engine)
      .then((r) => alive && setRetention(r))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [engine]);
  const people = useMemo(() => {
    const q = who.trim().toLowerCase();
    if (q === '') return [];
    return engine
      .directory()
      .filter((u) => u.displayName.toLowerCase().includes(q))
      .slice(0, SHOWN);
  }, [engine, who]);
  const conversations = useMemo(() => {
    const q = where.trim().toLowerCase();
    if (q === '') return [];
    return (convs ?? []).filter((c) => c.name.toLowerCase().includes(q)).slice(0, SHOWN);
  }, [convs, where]);
  const caseId = /^\s*#?\s*(\d{1,12})\s*$/.exec(caseNo)?.[1];

  return (
    <section className="admin-section sg-export" aria-labelledby="export-title">
      <header className="admin-head">
        <div>
          <h1 id="export-title">Export</h1>
          <p className="muted admin-sub">
            For a referral, a meeting or a records request. Every export is written to the audit log with your
            name and reason.
          </p>
        </div>
      </header>
      <ErrorText message={error} />
      <div className="sg-export-grid">
        <form
          className="admin-card admin-form tight"
          aria-labelledby="export-case-title"
          onSubmit={(e) => {
            e.preventDefault();
            if (caseId) setAsking({ subject: { kind: 'case', id: caseId }, what: `case #${caseId}` });
          }}
        >
          <h2 id="export-case-title">A case</h2>
          <p className="hint">
            The item, its reports, status history, notes and the message with its context.
          </p>
          <label>
            Case number
            <input
              inputMode="numeric"
              value={caseNo}
              onChange={(e) => setCaseNo(e.target.value)}
              placeholder="e.g. 12"
            />
          </label>
          <div>
            <button type="submit" disabled={!caseId}>
              Export case…
            </button>
          </div>
        </form>
        <Finder
          title="A person’s messages"
          hint="Everything one person wrote, in every conversation, with the original of each edited or removed message."
          label="Find a person"
          placeholder="Type a name"
          query={who}
          onQuery={setWho}
          rows={people.map((u) => ({ id: u.id, name: u.displayName }))}
          action="Export messages…"
          onPick={(r) => setAsking({ subject: { kind: 'person', id: r.id }, what: `messages by ${r.name}` })}
        />
        <Finder
          title="A conversation"
          hint="A channel or direct message in order, with edits, deletions and removals marked."
          label="Find a conversation"
          placeholder="Type a name or #channel"
          query={where}
          onQuery={setWhere}
          rows={conversations.map((c) => ({ id: c.id, name: c.name }))}
          action="Export…"
          onPick={(r) => setAsking({ subject: { kind: 'conversation', id: r.id }, what: r.name })}
        />
        <section className="admin-card" aria-labelledby="retention-title">
          <h2 id="retention-title">How long content is kept</h2>
          {retention ? (
            <dl className="sg-retention">
              <dt>Channels</dt>
              <dd>{periodText(retention.channelsDays)}</dd>
              <dt>Direct messages</dt>
              <dd>{periodText(retention.dmsDays)}</dd>
              <dt>Safeguarding store</dt>
              <dd>{periodText(retention.safeguardingDays)}</dd>
            </dl>
          ) : (
            <p className="muted">Loading…</p>
          )}
          <p className="hint">Set by admins. Messages in an open case and pinned messages are always kept.</p>
        </section>
      </div>
      {asking && <ExportDialog subject={asking.subject} what={asking.what} onClose={() => setAsking(null)} />}
    </section>
  );
}

function Finder(props: {
  title: string;
  hint: string;
  label: string;
  placeholder: string;
  query: string;
  onQuery: (q: string) => void;
  rows: { id: string; name: string }[];
  action: string;
  onPick: (r: { id: string; name: string }) => void;
}) {
  const id = props.title.replace(/\W+/g, '-').toLowerCase();
  return (
    <section className="admin-card admin-form tight" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{props.title}</h2>
      <p className="hint">{props.hint}</p>
      <label>
        {props.label}
        <input
          type="search"
          placeholder={props.placeholder}
          value={props.query}
          onChange={(e) => props.onQuery(e.target.value)}
        />
      </label>
      {props.query.trim() !== '' && (
        <ul className="sg-finder" aria-label={`${props.label}: matches`}>
          {props.rows.length === 0 ? (
            <li className="muted">No match.</li>
          ) : (
            props.rows.map((r) => (
              <li key={r.id}>
                <span>{r.name}</span>
                <button
                  type="button"
                  onClick={() => props.onPick(r)}
                  aria-label={`${props.action.replace('…', '')} ${r.name}`}
                >
                  {props.action}
                </button>
              </li>
            ))
          )}
        </ul>
      )}
    </section>
  );
}
