import { auditLabel, noActorLabel, type AuditRow } from '@commonroom/protocol';
import { describeDetail } from './audit-api.ts';

const timeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** One page of the audit log: when, who, what (in words), on whom or what, and the detail in a line. */
export function AuditTable({ entries, emptyText }: { entries: AuditRow[] | null; emptyText: string }) {
  return (
    <table className="admin-table audit-table">
      <caption className="visually-hidden">Audit log entries, newest first</caption>
      <thead>
        <tr>
          <th scope="col" className="plain-th">
            When
          </th>
          <th scope="col" className="plain-th">
            Actor
          </th>
          <th scope="col" className="plain-th">
            Action
          </th>
          <th scope="col" className="plain-th">
            Target
          </th>
          <th scope="col" className="plain-th">
            Detail
          </th>
        </tr>
      </thead>
      <tbody aria-busy={entries === null}>
        {entries === null ? (
          <tr>
            <td colSpan={5} className="table-state">
              Loading…
            </td>
          </tr>
        ) : entries.length === 0 ? (
          <tr>
            <td colSpan={5} className="table-state">
              {emptyText}
            </td>
          </tr>
        ) : (
          entries.map((e) => {
            const detail = describeDetail(e.detail);
            return (
              <tr key={e.id} data-entry={e.id}>
                <td className="nowrap">
                  <time dateTime={new Date(e.at).toISOString()}>{timeFormat.format(e.at)}</time>
                </td>
                <td>
                  {e.actorName ?? (
                    <span className="muted-cell">
                      {e.actorId === null ? noActorLabel(e.action) : 'Removed account'}
                    </span>
                  )}
                </td>
                <td>
                  <span className="action-name" title={e.action}>
                    {auditLabel(e.action)}
                  </span>
                </td>
                <td className="target-cell">
                  {e.targetName ?? <span className="muted-cell">{e.target ?? '—'}</span>}
                </td>
                <td className="detail-cell" title={detail}>
                  {detail || <span className="muted-cell">—</span>}
                </td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}
