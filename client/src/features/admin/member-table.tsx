import { ROLE_LABELS, type AdminChannelMember } from '@commonroom/protocol';
import { navigate } from '../../hooks/use-path.ts';
import { TableFrame } from './table-frame.tsx';

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

/** A channel's members on its admin page: name (a link to the person), role, when they joined, Remove. */
export function MemberTable(props: {
  channelName: string;
  members: AdminChannelMember[] | null;
  removable: boolean;
  onRemove: (m: AdminChannelMember) => void;
}) {
  const { members } = props;
  return (
    <TableFrame label={`Members of #${props.channelName}`}>
      <table className="admin-table" aria-busy={members === null}>
        <caption className="visually-hidden">Members of #{props.channelName}</caption>
        <thead>
          <tr>
            <th scope="col" className="plain-th">
              Name
            </th>
            <th scope="col" className="plain-th">
              Role
            </th>
            <th scope="col" className="plain-th">
              Joined
            </th>
            <th scope="col" className="plain-th">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members === null ? (
            <tr>
              <td colSpan={4} className="table-state">
                Loading members…
              </td>
            </tr>
          ) : members.length === 0 ? (
            <tr>
              <td colSpan={4} className="table-state">
                No one is in this channel yet.
              </td>
            </tr>
          ) : (
            // By name, as the People list is: a channel of a whole cohort is found by reading down.
            [...members]
              .sort((a, b) => a.displayName.localeCompare(b.displayName, 'en-GB'))
              .map((m) => (
                <tr key={m.id} data-member={m.id}>
                  <td>
                    <a
                      href={`/admin/people/${m.id}`}
                      className="person-link"
                      onClick={(e) => {
                        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                        e.preventDefault();
                        navigate(`/admin/people/${m.id}`);
                      }}
                    >
                      {m.displayName}
                    </a>
                    {!m.active && <span className="cell-sub">Deactivated</span>}
                  </td>
                  <td>{ROLE_LABELS[m.role]}</td>
                  <td className="muted-cell">{dateFormat.format(m.joinedAt)}</td>
                  <td className="num">
                    {props.removable && (
                      <button
                        type="button"
                        aria-label={`Remove ${m.displayName}`}
                        onClick={() => props.onRemove(m)}
                      >
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))
          )}
        </tbody>
      </table>
    </TableFrame>
  );
}
