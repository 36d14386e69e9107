import { auditLabel, type AuditPage } from '@commonroom/protocol';
import { useEffect, useRef, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import {
  AUDIT_PAGE_SIZE,
  auditCsvUrl,
  listAudit,
  listAuditActions,
  NO_FILTERS,
  type AuditFilters,
} from './audit-api.ts';
import { AuditTable } from './audit-table.tsx';
import { AuditVerify } from './audit-verify.tsx';
import { TableFrame } from './table-frame.tsx';

/** Waits this long after the last keystroke in a search box before asking the server. */
const SEARCH_PAUSE_MS = 250;

/**
 * The audit log (/admin/audit, issue 13 §5), read-only: newest first, filtered by who, what, on whom or
 * which channel, and when; pages by keyset (the server's `before`), so paging stays fast however long the
 * log; the filtered view downloads as CSV.
 */
export function AuditScreen() {
  const engine = useEngine();
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  /** The `before` cursor of each page shown so far: the last is the current page (null: the newest). */
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [actions, setActions] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const asked = useRef(0);
  const before = cursors[cursors.length - 1] ?? null;

  useEffect(() => {
    listAuditActions(engine)
      .then(setActions)
      .catch(() => undefined);
  }, [engine]);

  useEffect(() => {
    const mine = ++asked.current;
    setPage(null);
    const t = setTimeout(() => {
      listAudit(engine, filters, before)
        .then((p) => {
          // Only the newest question's answer is shown: an older one can arrive after it.
          if (mine !== asked.current) return;
          setPage(p);
          setError(null);
        })
        .catch((e: unknown) => mine === asked.current && setError(problem(e)));
    }, SEARCH_PAUSE_MS);
    return () => clearTimeout(t);
  }, [engine, filters, before]);

  const set = (patch: Partial<AuditFilters>) => {
    setFilters((old) => ({ ...old, ...patch }));
    setCursors([null]);
  };
  const filtered = Object.values(filters).some((v) => v !== '');
  const pageNumber = cursors.length;
  const first = (pageNumber - 1) * AUDIT_PAGE_SIZE + 1;

  return (
    <section className="admin-section" aria-labelledby="audit-title">
      <header className="admin-head">
        <div>
          <h1 id="audit-title">Audit log</h1>
          <p className="muted admin-sub">
            Who did what, and when: sign-ins, account changes, settings and moderation. Newest first.
          </p>
        </div>
        <a className="button" href={auditCsvUrl(filters)} download>
          Export CSV
        </a>
      </header>
      <AuditVerify />
      <div className="admin-toolbar audit-filters" role="search" aria-label="Filter the audit log">
        <label className="grow">
          <span className="filter-label">Actor</span>
          <input
            type="search"
            placeholder="Name, email or username"
            value={filters.actor}
            onChange={(e) => set({ actor: e.target.value })}
          />
        </label>
        <label>
          <span className="filter-label">Action</span>
          <select value={filters.action} onChange={(e) => set({ action: e.target.value })}>
            <option value="">All actions</option>
            {actions
              .map((a) => ({ a, label: auditLabel(a) }))
              .sort((x, y) => x.label.localeCompare(y.label, 'en-GB'))
              .map(({ a, label }) => (
                <option key={a} value={a}>
                  {label}
                </option>
              ))}
          </select>
        </label>
        <label className="grow">
          <span className="filter-label">Target</span>
          <input
            type="search"
            placeholder="Person, #channel or id"
            value={filters.target}
            onChange={(e) => set({ target: e.target.value })}
          />
        </label>
        <label>
          <span className="filter-label">From</span>
          <input type="date" value={filters.from} onChange={(e) => set({ from: e.target.value })} />
        </label>
        <label>
          <span className="filter-label">To</span>
          <input type="date" value={filters.to} onChange={(e) => set({ to: e.target.value })} />
        </label>
        {filtered && (
          <button type="button" className="clear-filters" onClick={() => set(NO_FILTERS)}>
            Clear filters
          </button>
        )}
      </div>
      <ErrorText message={error} />
      <TableFrame label="The audit log">
        <AuditTable
          entries={error ? [] : (page?.entries ?? null)}
          emptyText={filtered ? 'Nothing in the log matches these filters.' : 'The audit log is empty.'}
        />
      </TableFrame>
      <nav className="pager" aria-label="Pages">
        <span className="muted" aria-live="polite">
          {page && page.entries.length > 0
            ? `Entries ${first.toLocaleString('en-GB')}–${(first + page.entries.length - 1).toLocaleString('en-GB')}`
            : ''}
        </span>
        <button
          type="button"
          disabled={pageNumber === 1}
          onClick={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!page?.nextBefore}
          onClick={() => page?.nextBefore && setCursors((c) => [...c, page.nextBefore])}
        >
          Older
        </button>
      </nav>
    </section>
  );
}
