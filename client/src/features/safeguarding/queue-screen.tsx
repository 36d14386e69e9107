import type { QueueItem } from '@commonroom/protocol';
import { useEffect, useState } from 'react';
import { useEngine, useEngineVersion } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { listItems, problem, timeFormat, type StatusFilter } from './safeguarding-api.ts';
import { AreaLink } from './area-link.tsx';
import { StatusPill, reasonsText } from './status-pill.tsx';

const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'new', label: 'New' },
  { value: 'in_review', label: 'In review' },
  { value: 'closed', label: 'Closed' },
  { value: 'all', label: 'All' },
];

/** The leads' queue: reports and keyword alerts, newest first, read again whenever the queue changes. */
export function QueueScreen() {
  const engine = useEngine();
  useEngineVersion();
  const changed = engine.safeguardingVersion();
  const [filter, setFilter] = useState<StatusFilter>('open');
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    listItems(engine, filter)
      .then((r) => alive && (setItems(r.items), setError(null)))
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine, filter, changed]);

  return (
    <section className="admin-section" aria-labelledby="queue-title">
      <header className="admin-head">
        <div>
          <h1 id="queue-title">Safeguarding queue</h1>
          <p className="muted admin-sub">
            Reports from people and keyword alerts. Only safeguarding leads can see this page.
          </p>
        </div>
      </header>
      <div className="verdict-tabs" role="group" aria-label="Show">
        {FILTERS.map((f) => (
          <button
            key={f.value}
            type="button"
            aria-pressed={filter === f.value}
            onClick={() => {
              setItems(null);
              setFilter(f.value);
            }}
          >
            {f.label}
          </button>
        ))}
      </div>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="admin-table sg-queue">
          <caption className="visually-hidden">Safeguarding items, newest first</caption>
          <thead>
            <tr>
              <th scope="col" className="plain-th">
                Item
              </th>
              <th scope="col" className="plain-th">
                Status
              </th>
              <th scope="col" className="plain-th">
                Why
              </th>
              <th scope="col" className="plain-th">
                Message
              </th>
              <th scope="col" className="plain-th">
                Where
              </th>
              <th scope="col" className="plain-th">
                Assigned to
              </th>
              <th scope="col" className="plain-th">
                Raised
              </th>
            </tr>
          </thead>
          <tbody aria-busy={items === null}>
            {items === null ? (
              <tr>
                <td colSpan={7} className="table-state">
                  Loading…
                </td>
              </tr>
            ) : items.length === 0 ? (
              <tr>
                <td colSpan={7} className="table-state">
                  Nothing here. New reports and keyword alerts appear as they arrive.
                </td>
              </tr>
            ) : (
              items.map((i) => (
                <tr key={i.id} data-item={i.id}>
                  <td className="nowrap">
                    <AreaLink to={`/safeguarding/items/${i.id}`} className="person-link">
                      {`${i.kind === 'report' ? 'Report' : 'Alert'} #${i.id}`}
                    </AreaLink>
                  </td>
                  <td>
                    <StatusPill status={i.status} />
                  </td>
                  <td>
                    {reasonsText(i)}
                    {i.reporterCount > 1 && <span className="cell-sub">{i.reporterCount} reporters</span>}
                  </td>
                  <td className="sg-excerpt">
                    <span className="cell-sub">{i.authorName}</span>
                    {i.excerpt}
                  </td>
                  <td>{i.conversationName}</td>
                  <td>{i.assigneeName ?? <span className="muted-cell">Nobody</span>}</td>
                  <td className="nowrap">
                    <time dateTime={new Date(i.createdAt).toISOString()}>
                      {timeFormat.format(i.createdAt)}
                    </time>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
