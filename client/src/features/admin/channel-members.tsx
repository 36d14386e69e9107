import {
  isAdminRole,
  isStaffRole,
  type AdminAddMembersReply,
  type AdminChannel,
  type AdminChannelMember,
  type PublicUser,
} from '@commonroom/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { MemberPicker } from '../member-picker.tsx';
import { problem } from './admin-api.ts';
import {
  addChannelMembers,
  channelMembers,
  getChannel,
  listCohorts,
  removeChannelMember,
} from './channel-api.ts';
import { Confirm } from './confirm.tsx';
import { MemberTable } from './member-table.tsx';

/** What adding did, in words: who joined, who already was in, who could not be and why. */
function addedText(r: AdminAddMembersReply, what: string): string {
  const parts = [`${r.added} ${r.added === 1 ? 'person' : 'people'} added${what}.`];
  if (r.already > 0) parts.push(`${r.already} already in.`);
  for (const s of r.skipped) parts.push(`${s.displayName} not added: ${s.reason}.`);
  return parts.join(' ');
}

/** The members of a channel on its admin page: roles, add by person or whole cohort, remove (confirmed). */
export function ChannelMembers({
  channel,
  onChanged,
}: {
  channel: AdminChannel;
  onChanged: (c: AdminChannel | null) => void;
}) {
  const engine = useEngine();
  const [members, setMembers] = useState<AdminChannelMember[] | null>(null);
  const [cohorts, setCohorts] = useState<{ cohort: string; people: number }[]>([]);
  const [cohort, setCohort] = useState('');
  const [removing, setRemoving] = useState<AdminChannelMember | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);

  const load = useCallback(
    () =>
      channelMembers(engine, channel.id)
        .then(setMembers)
        .catch((e: unknown) => setError(problem(e))),
    [engine, channel.id],
  );
  useEffect(() => {
    void load();
    listCohorts(engine)
      .then(setCohorts)
      .catch(() => setCohorts([]));
  }, [engine, load]);

  const act = async (run: () => Promise<string>) => {
    setError(null);
    setResult(null);
    try {
      setResult(await run());
      await load();
      onChanged(await getChannel(engine, channel.id));
    } catch (e) {
      setError(problem(e));
    }
  };
  const addPeople = (people: PublicUser[]) =>
    act(async () =>
      addedText(await addChannelMembers(engine, channel.id, { userIds: people.map((u) => u.id) }), ''),
    );
  const addCohort = () =>
    act(async () =>
      addedText(await addChannelMembers(engine, channel.id, { cohort }), ` from the cohort ${cohort}`),
    );
  // Staff-only and admin-only channels are not offered to those the server would refuse.
  const allow = (u: PublicUser) =>
    (!channel.adminOnly || isAdminRole(u.role)) && (!channel.staffOnly || isStaffRole(u.role));

  return (
    <section className="admin-card members-card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <div className="members-add">
        <MemberPicker
          idPrefix="admin-members"
          exclude={new Set(members?.map((m) => m.id))}
          allow={allow}
          onAdd={addPeople}
        />
        <form
          className="cohort-add"
          onSubmit={(e) => {
            e.preventDefault();
            if (cohort) void addCohort();
          }}
        >
          <label htmlFor="add-cohort">Add a whole cohort</label>
          <select id="add-cohort" value={cohort} onChange={(e) => setCohort(e.target.value)}>
            <option value="">Choose a cohort…</option>
            {cohorts.map((c) => (
              <option key={c.cohort} value={c.cohort}>
                {c.cohort} ({c.people} {c.people === 1 ? 'person' : 'people'})
              </option>
            ))}
          </select>
          <button type="submit" disabled={cohort === ''}>
            Add cohort
          </button>
        </form>
      </div>
      <MemberTable
        channelName={channel.name}
        members={members}
        removable={channel.name !== 'announcements'}
        onRemove={setRemoving}
      />
      {removing && (
        <Confirm
          title={`Remove ${removing.displayName}?`}
          action="Remove"
          danger
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            const m = removing;
            setRemoving(null);
            void act(async () => {
              await removeChannelMember(engine, channel.id, m.id);
              return `${m.displayName} was removed from #${channel.name}.`;
            });
          }}
        >
          <p>
            {channel.kind === 'private'
              ? `${removing.displayName} loses access to #${channel.name} on every device at once.`
              : `#${channel.name} leaves ${removing.displayName}'s sidebar; they can join it again, as it is public.`}
          </p>
        </Confirm>
      )}
    </section>
  );
}
