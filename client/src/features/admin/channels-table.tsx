import type { AdminChannel } from '@commonroom/protocol';
import { KIND_LABELS } from './channel-api.ts';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

/** The Channels table: each name a link to the channel's admin page; kind, cohort, members, who posts. */
export function ChannelsTable(props: {
  channels: AdminChannel[] | null;
  failed: boolean;
  emptyText: string;
  onOpen: (id: string) => void;
}) {
  const { channels } = props;
  return (
    <table className="admin-table channels-table" aria-busy={channels === null}>
      <caption className="visually-hidden">Channels, by name</caption>
      <thead>
        <tr>
          <th scope="col" className="plain-th">
            Channel
          </th>
          <th scope="col" className="plain-th">
            Kind
          </th>
          <th scope="col" className="plain-th">
            Course cohort
          </th>
          <th scope="col" className="plain-th num">
            Members
          </th>
          <th scope="col" className="plain-th">
            Who posts
          </th>
          <th scope="col" className="plain-th">
            Created
          </th>
          <th scope="col" className="plain-th">
            Status
          </th>
        </tr>
      </thead>
      <tbody>
        {channels === null ? (
          <tr>
            <td colSpan={7} className="table-state">
              {props.failed ? 'The channels could not be loaded.' : 'Loading channels…'}
            </td>
          </tr>
        ) : channels.length === 0 ? (
          <tr>
            <td colSpan={7} className="table-state">
              {props.emptyText}
            </td>
          </tr>
        ) : (
          channels.map((c) => (
            <tr key={c.id} data-channel={c.name}>
              <td>
                <a
                  href={`/admin/channels/${c.id}`}
                  className="person-link"
                  onClick={(e) => {
                    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                    e.preventDefault();
                    props.onOpen(c.id);
                  }}
                >
                  #{c.name}
                </a>
                {c.description && <span className="cell-sub">{c.description}</span>}
              </td>
              <td>
                <span className={`kind-pill kind-${c.kind}`}>{KIND_LABELS[c.kind]}</span>
              </td>
              <td className="muted-cell">{c.cohort ?? '—'}</td>
              <td className="num">{c.memberCount.toLocaleString('en-GB')}</td>
              <td className="muted-cell">{c.postPolicy === 'staff' ? 'Staff only' : 'Everyone'}</td>
              <td className="muted-cell">{c.createdAt > 0 ? dateFormat.format(c.createdAt) : '—'}</td>
              <td>
                <span className={`status-pill ${c.archived ? 'status-off' : 'status-active'}`}>
                  {c.archived ? 'Archived' : 'Open'}
                </span>
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
