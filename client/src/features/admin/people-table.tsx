import { ROLE_LABELS, type AdminUser } from '@commonroom/protocol';
import type { PeopleQuery } from './admin-api.ts';

type SortKey = PeopleQuery['sort'];

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'login', label: 'Email or username' },
  { key: 'role', label: 'Role' },
  { key: 'status', label: 'Status' },
  { key: 'created', label: 'Created' },
];

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** "Online now", when they were last seen (stored across restarts), or a dash for someone never seen. */
export const lastSeenText = (u: AdminUser): string =>
  u.online ? 'Online now' : u.lastSeenAt !== null ? timeFormat.format(u.lastSeenAt) : '—';

/** A person's cohorts as small chips, or a dash. */
export function CohortChips({ cohort }: { cohort: string | null }) {
  const list = (cohort ?? '').split(',').filter(Boolean);
  if (list.length === 0) return <span className="muted">—</span>;
  return (
    <span className="cohort-chips">
      {list.map((c) => (
        <span key={c} className="cohort-chip">
          {c}
        </span>
      ))}
    </span>
  );
}

/** The People table: sortable column headers (aria-sort), each name a link to the person's page. */
export function PeopleTable(props: {
  users: AdminUser[] | null;
  /** A newer page is on its way (the rows shown are the previous answer). */
  busy?: boolean;
  sort: SortKey;
  dir: 'asc' | 'desc';
  onSort: (key: SortKey) => void;
  onOpen: (id: string) => void;
  emptyText: string;
}) {
  const { users } = props;
  const header = (c: (typeof COLUMNS)[number]) => {
    const active = props.sort === c.key;
    return (
      <th
        key={c.key}
        scope="col"
        aria-sort={active ? (props.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
      >
        <button type="button" className="sort-button" onClick={() => props.onSort(c.key)}>
          {c.label}
          <span aria-hidden="true" className="sort-mark">
            {active ? (props.dir === 'asc' ? '▲' : '▼') : ''}
          </span>
        </button>
      </th>
    );
  };
  return (
    <table className="admin-table people-table" aria-busy={users === null || props.busy === true}>
      <caption className="visually-hidden">People, sorted by {props.sort}</caption>
      <thead>
        <tr>
          {COLUMNS.slice(0, 3).map(header)}
          <th scope="col" className="plain-th">
            Cohorts
          </th>
          {COLUMNS.slice(3, 4).map(header)}
          <th scope="col" className="plain-th">
            Last seen
          </th>
          {COLUMNS.slice(4).map(header)}
        </tr>
      </thead>
      <tbody>
        {users === null ? (
          <tr>
            <td colSpan={COLUMNS.length + 2} className="table-state">
              Loading people…
            </td>
          </tr>
        ) : users.length === 0 ? (
          <tr>
            <td colSpan={COLUMNS.length + 2} className="table-state">
              {props.emptyText}
            </td>
          </tr>
        ) : (
          users.map((u) => (
            <tr key={u.id} data-person={u.id}>
              <td>
                <a
                  href={`/admin/people/${u.id}`}
                  className="person-link"
                  onClick={(e) => {
                    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                    e.preventDefault();
                    props.onOpen(u.id);
                  }}
                >
                  {u.displayName}
                </a>
              </td>
              <td className="muted-cell">{u.email ?? u.username}</td>
              <td>{ROLE_LABELS[u.role]}</td>
              <td>
                <CohortChips cohort={u.cohort} />
              </td>
              <td>
                <span className={`status-pill ${u.active ? 'status-active' : 'status-off'}`}>
                  {u.active ? 'Active' : 'Deactivated'}
                </span>
              </td>
              <td className="muted-cell">{lastSeenText(u)}</td>
              <td className="muted-cell">{u.createdAt > 0 ? dateFormat.format(u.createdAt) : '—'}</td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
