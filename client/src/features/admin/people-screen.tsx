import { ROLES, ROLE_LABELS, type AdminUserPage, type CohortList, type Role } from '@commonroom/protocol';
import { Suspense, useEffect, useRef, useState } from 'react';
import { lazy } from '../../ui/lazy.tsx';
import { useEngine } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { listCohorts, listPeople, PAGE_SIZE, problem, type PeopleQuery } from './admin-api.ts';
import { PeopleTable } from './people-table.tsx';
import { TableFrame } from './table-frame.tsx';

const CreatePerson = lazy(async () => ({ default: (await import('./create-person.tsx')).CreatePerson }));

/**
 * Everyone in the college: search as you type, filter by role, cohort and status, sort by any column, a page
 * of 50 at a time from the server (20,000 accounts stay fast: the browser never holds them all). Pages are
 * keyset pages: "Next" follows the server's cursor, "Previous" goes back to the cursor it came from.
 */
export function PeopleScreen() {
  const engine = useEngine();
  const [q, setQ] = useState<PeopleQuery>({
    query: '',
    role: '',
    status: '',
    sort: 'name',
    dir: 'asc',
    cohort: '',
    cursor: '',
  });
  /** The cursors of the pages before this one, for "Previous". */
  const [back, setBack] = useState<string[]>([]);
  const [cohorts, setCohorts] = useState<CohortList['cohorts']>([]);
  const [page, setPage] = useState<AdminUserPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [loading, setLoading] = useState(true);
  const asked = useRef(0);

  // Every keystroke asks at once (a page costs the server a few milliseconds at 20,000 accounts, and a pause
  // before asking would be most of the 100 ms the search has); only the newest question's answer is shown,
  // and the previous page stays on screen until it arrives, so the table does not flash.
  useEffect(() => {
    const mine = ++asked.current;
    setLoading(true);
    listPeople(engine, q)
      .then((p) => {
        if (mine !== asked.current) return;
        setPage(p);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (mine !== asked.current) return;
        setError(problem(e));
        setLoading(false);
      });
  }, [engine, q, reload]);

  useEffect(() => {
    let alive = true;
    listCohorts(engine)
      .then((l) => alive && setCohorts(l.cohorts))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [engine, reload]);

  const set = (patch: Partial<PeopleQuery>) => {
    setBack([]);
    setQ((old) => ({ ...old, cursor: '', ...patch }));
  };
  const skipped = back.length * PAGE_SIZE;
  const from = page && page.total > 0 ? skipped + 1 : 0;
  const to = page ? skipped + page.users.length : 0;
  const filtered = q.query.trim() !== '' || q.role !== '' || q.status !== '' || q.cohort !== '';

  return (
    <section className="admin-section" aria-labelledby="people-title">
      <header className="admin-head">
        <div>
          <h1 id="people-title">People</h1>
          <p className="muted admin-sub" aria-live="polite">
            {page ? `${page.total.toLocaleString('en-GB')} ${filtered ? 'matching' : 'in total'}` : ' '}
          </p>
        </div>
        <div className="head-actions">
          <a
            className="button-link"
            href="/admin/people/import"
            onClick={(e) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
              e.preventDefault();
              navigate('/admin/people/import');
            }}
          >
            Import from CSV
          </a>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Add person
          </button>
        </div>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <div className="admin-toolbar" role="search">
        <label className="grow">
          <span className="visually-hidden">Search people</span>
          <input
            type="search"
            placeholder="Search by name, email or username"
            value={q.query}
            onChange={(e) => set({ query: e.target.value })}
            aria-label="Search people"
          />
        </label>
        <label>
          <span className="visually-hidden">Role</span>
          <select
            aria-label="Role"
            value={q.role}
            onChange={(e) => set({ role: e.target.value as Role | '' })}
          >
            <option value="">All roles</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">Cohort</span>
          <select aria-label="Cohort" value={q.cohort} onChange={(e) => set({ cohort: e.target.value })}>
            <option value="">All cohorts</option>
            {cohorts.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.people.toLocaleString('en-GB')})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">Status</span>
          <select
            aria-label="Status"
            value={q.status}
            onChange={(e) => set({ status: e.target.value as PeopleQuery['status'] })}
          >
            <option value="">Any status</option>
            <option value="active">Active</option>
            <option value="deactivated">Deactivated</option>
          </select>
        </label>
      </div>
      <ErrorText message={error} />
      <TableFrame label="People">
        <PeopleTable
          users={error ? [] : (page?.users ?? null)}
          busy={loading}
          sort={q.sort}
          dir={q.dir}
          onSort={(key) => set({ sort: key, dir: q.sort === key && q.dir === 'asc' ? 'desc' : 'asc' })}
          onOpen={(id) => navigate(`/admin/people/${id}`)}
          emptyText={filtered ? 'No one matches this search.' : 'No accounts yet. Add the first person.'}
        />
      </TableFrame>
      <nav className="pager" aria-label="Pages">
        <span className="muted">
          {page && page.total > 0
            ? `Showing ${from.toLocaleString('en-GB')}–${to.toLocaleString('en-GB')} of ${page.total.toLocaleString('en-GB')}`
            : ''}
        </span>
        <button
          type="button"
          disabled={back.length === 0}
          onClick={() => {
            const prev = back.at(-1) ?? '';
            setBack((b) => b.slice(0, -1));
            setQ((o) => ({ ...o, cursor: prev }));
          }}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            const next = page?.nextCursor;
            if (!next) return;
            setBack((b) => [...b, q.cursor]);
            setQ((o) => ({ ...o, cursor: next }));
          }}
        >
          Next
        </button>
      </nav>
      <Suspense fallback={null}>
        {creating && (
          <CreatePerson
            onClose={() => setCreating(false)}
            onCreated={(message) => {
              setCreating(false);
              setResult(message);
              setReload((n) => n + 1);
            }}
          />
        )}
      </Suspense>
    </section>
  );
}
