import type { QueueItem } from '@commonroom/protocol';
import { useEffect, useRef, useState } from 'react';
import { useEngine, useEngineVersion } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { listItems, problem, timeFormat, type StatusFilter } from './safeguarding-api.ts';
import { AreaLink } from './area-link.tsx';
import { StatusPill, reasonsText } from './status-pill.tsx';
import { TableFrame } from '../admin/table-frame.tsx';

const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'new', label: 'New' },
  { value: 'in_review', label: 'In review' },
  { value: 'closed', label: 'Closed' },
  { value: 'all', label: 'All' },
];

/** The server's most rows in one page: reading the shown pages again stops growing past it. */
const RELOAD_MAX = 500;

/**
 * The leads' queue: reports and keyword alerts, newest first, a page at a time ("Show older items"). When
 * the queue changes, the items shown are read again in one request (as many as are shown), so a lead who
 * paged back keeps their place and sees each item once.
 */
export function QueueScreen() {
  const engine = useEngine();
  useEngineVersion();
  const changed = engine.safeguardingVersion();
  const [filter, setFilter] = useState<StatusFilter>('open');
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const shown = useRef(0);
  const firstNew = useRef<HTMLAnchorElement | null>(null);
  const [focusAfter, setFocusAfter] = useState<number | null>(null);
  useEffect(() => {
    let alive = true;
    const want = Math.min(RELOAD_MAX, shown.current);
    listItems(engine, filter, undefined, want > 0 ? want : undefined)
      .then((r) => {
        if (!alive) return;
        setItems(r.items);
        setNext(r.nextCursor);
        shown.current = r.items.length;
        setError(null);
      })
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine, filter, changed]);
  // Keyboard and screen-reader users land on the first item of the page they asked for.
  useEffect(() => {
    if (focusAfter !== null) firstNew.current?.focus();
  }, [focusAfter]);

  const more = async () => {
    if (!next || !items) return;
    setLoadingMore(true);
    try {
      const r = await listItems(engine, filter, next);
      // An item already shown (it moved while the page was read) is shown once, where it was.
      const seen = new Set(items.map((i) => i.id));
      const added = r.items.filter((i) => !seen.has(i.id));
      setItems([...items, ...added]);
      setNext(r.nextCursor);
      shown.current = items.length + added.length;
      setFocusAfter(added.length > 0 ? items.length : null);
      setError(null);
    } catch (e) {
      setError(problem(e));
    } finally {
      setLoadingMore(false);
    }
  };

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
              setNext(null);
              shown.current = 0;
              setFilter(f.value);
            }}
          >
            {f.label}
          </button>
        ))}
      </div>
      <ErrorText message={error} />
      <TableFrame label="Safeguarding items">
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
              items.map((i, n) => (
                <tr key={i.id} data-item={i.id}>
                  <td className="nowrap">
                    <AreaLink
                      to={`/safeguarding/items/${i.id}`}
                      className="person-link"
                      {...(n === focusAfter ? { linkRef: firstNew } : {})}
                    >
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
      </TableFrame>
      {items !== null && items.length > 0 && (
        <p className="more-rows">
          <span className="muted" role="status">
            {next
              ? `Showing the newest ${items.length} items.`
              : `Showing all ${items.length === 1 ? '1 item' : `${items.length} items`}.`}
          </span>{' '}
          {next && (
            <button type="button" onClick={() => void more()} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Show older items'}
            </button>
          )}
        </p>
      )}
    </section>
  );
}
