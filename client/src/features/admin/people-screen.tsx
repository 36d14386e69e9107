import { ROLES, ROLE_LABELS, type AdminUserPage, type Role } from '@commonroom/protocol';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { navigate } from '../../hooks/use-path.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import { listPeople, PAGE_SIZE, problem, type PeopleQuery } from './admin-api.ts';
import { PeopleTable } from './people-table.tsx';

const CreatePerson = lazy(async () => ({ default: (await import('./create-person.tsx')).CreatePerson }));

/** Waits this long after the last keystroke before asking the server, so typing a name is one request. */
const SEARCH_PAUSE_MS = 150;

/**
 * Everyone in the college: search as you type, filter by role and status, sort by any column, a page of 50
 * at a time from the server (20,000 accounts stay fast: the browser never holds them all).
 */
export function PeopleScreen() {
  const engine = useEngine();
  const [q, setQ] = useState<PeopleQuery>({
    query: '',
    role: '',
    status: '',
    sort: 'name',
    dir: 'asc',
    cursor: 0,
  });
  const [page, setPage] = useState<AdminUserPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const asked = useRef(0);

  useEffect(() => {
    const mine = ++asked.current;
    setPage(null);
    const t = setTimeout(() => {
      listPeople(engine, q)
        .then((p) => {
          // Only the newest question's answer is shown: an older one can arrive after it.
          if (mine === asked.current) {
            setPage(p);
            setError(null);
          }
        })
        .catch((e: unknown) => mine === asked.current && setError(problem(e)));
    }, SEARCH_PAUSE_MS);
    return () => clearTimeout(t);
  }, [engine, q, reload]);

  const set = (patch: Partial<PeopleQuery>) => setQ((old) => ({ ...old, cursor: 0, ...patch }));
  const from = page && page.total > 0 ? q.cursor + 1 : 0;
  const to = page ? q.cursor + page.users.length : 0;
  const filtered = q.query.trim() !== '' || q.role !== '' || q.status !== '';

  return (
    <section className="admin-section" aria-labelledby="people-title">
      <header className="admin-head">
        <div>
          <h1 id="people-title">People</h1>
          <p className="muted admin-sub" aria-live="polite">
            {page ? `${page.total.toLocaleString('en-GB')} ${filtered ? 'matching' : 'in total'}` : ' '}
          </p>
        </div>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          Add person
        </button>
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
      <div className="table-wrap">
        <PeopleTable
          users={error ? [] : (page?.users ?? null)}
          sort={q.sort}
          dir={q.dir}
          onSort={(key) => set({ sort: key, dir: q.sort === key && q.dir === 'asc' ? 'desc' : 'asc' })}
          onOpen={(id) => navigate(`/admin/people/${id}`)}
          emptyText={filtered ? 'No one matches this search.' : 'No accounts yet. Add the first person.'}
        />
      </div>
      <nav className="pager" aria-label="Pages">
        <span className="muted">
          {page && page.total > 0
            ? `Showing ${from.toLocaleString('en-GB')}–${to.toLocaleString('en-GB')} of ${page.total.toLocaleString('en-GB')}`
            : ''}
        </span>
        <button
          type="button"
          disabled={q.cursor === 0}
          onClick={() => setQ((o) => ({ ...o, cursor: Math.max(0, o.cursor - PAGE_SIZE) }))}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => page?.nextCursor && setQ((o) => ({ ...o, cursor: Number(page.nextCursor) }))}
        >
          Next
        </button>
      </nav>
      <Suspense fallback={null}>
        {creating && (
          <CreatePerson
            onClose={() => setCreating(false)}
            onCreated={(name) => {
              setCreating(false);
              setResult(`${name} was added. They can sign in with the password you set.`);
              setReload((n) => n + 1);
            }}
          />
        )}
      </Suspense>
    </section>
  );
}
