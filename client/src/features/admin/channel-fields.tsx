import { slugifyChannelName, type PostPolicy } from '@commonroom/protocol';
import { useEffect, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { listCohorts } from './channel-api.ts';

/**
 * The channel name field: what is typed becomes a valid name as it is typed ("Biology L3" → "biology-l3"),
 * and the hint says so, so a name is never refused after submit.
 */
export function ChannelNameField(props: { id: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>Name</label>
      <span className="name-input">
        <span aria-hidden="true" className="name-hash">
          #
        </span>
        <input
          id={props.id}
          value={props.value}
          onChange={(e) => props.onChange(slugifyChannelName(e.target.value))}
          required
          maxLength={60}
          autoComplete="off"
          spellCheck={false}
          aria-describedby={`${props.id}-hint`}
        />
      </span>
      <span id={`${props.id}-hint`} className="hint">
        Lowercase letters, digits and dashes; spaces become dashes as you type (“Biology L3” is “biology-l3”).
      </span>
    </div>
  );
}

/** Who may post: everyone in it, or staff only; announcement channels are always staff only. */
export function PostPolicyField(props: {
  id: string;
  value: PostPolicy;
  announcement: boolean;
  onChange: (v: PostPolicy) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>Who may post</label>
      <select
        id={props.id}
        value={props.announcement ? 'staff' : props.value}
        disabled={props.announcement}
        onChange={(e) => props.onChange(e.target.value === 'staff' ? 'staff' : 'everyone')}
        aria-describedby={`${props.id}-hint`}
      >
        <option value="everyone">Everyone in the channel</option>
        <option value="staff">Staff only (students read and react)</option>
      </select>
      <span id={`${props.id}-hint`} className="hint">
        {props.announcement
          ? 'Announcement channels: only tutors, teachers, staff and admins post.'
          : 'Staff are tutors, teachers, staff and admins.'}
      </span>
    </div>
  );
}

/** The course cohort a channel is bound to: its people join. Offers the cohorts people carry, with counts. */
export function CohortField(props: {
  id: string;
  value: string;
  /** The cohort the channel is bound to now, if any. */
  bound?: string | null;
  onChange: (v: string) => void;
}) {
  const engine = useEngine();
  const [cohorts, setCohorts] = useState<{ cohort: string; people: number }[]>([]);
  useEffect(() => {
    listCohorts(engine)
      .then(setCohorts)
      .catch(() => setCohorts([]));
  }, [engine]);
  const v = props.value.trim().toLowerCase();
  const n = cohorts.find((c) => c.cohort === v)?.people;
  return (
    <div className="field">
      <label htmlFor={props.id}>Course cohort (optional)</label>
      <input
        id={props.id}
        list={`${props.id}-list`}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value.toLowerCase().replace(/\s+/g, '-'))}
        placeholder="e.g. biology-l3"
        autoComplete="off"
        aria-describedby={`${props.id}-hint`}
      />
      <datalist id={`${props.id}-list`}>
        {cohorts.map((c) => (
          <option key={c.cohort} value={c.cohort}>
            {c.people} {c.people === 1 ? 'person' : 'people'}
          </option>
        ))}
      </datalist>
      <span id={`${props.id}-hint`} className="hint" aria-live="polite">
        {v === ''
          ? 'Bind a course channel to a cohort: the people of that cohort join it.'
          : v === props.bound
            ? `Bound to ${v} (${n ?? 0} ${n === 1 ? 'person' : 'people'}): its people joined when it was bound.`
            : n !== undefined
              ? `${n} ${n === 1 ? 'person is' : 'people are'} in ${v}: they join when you save.`
              : `No one is in ${v} yet.`}
      </span>
    </div>
  );
}
