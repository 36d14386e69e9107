import {
  MuteList,
  MuteReply,
  OkReply,
  muteEnds,
  type AdminUser,
  type Mute,
  type MuteDuration,
} from '@commonroom/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import { Confirm } from './confirm.tsx';

const DURATIONS: { value: MuteDuration; label: string }[] = [
  { value: '1h', label: '1 hour' },
  { value: '1d', label: '1 day' },
  { value: '1w', label: '1 week' },
  { value: 'lifted', label: 'Until lifted' },
];

/**
 * The person page's Mutes card (issue 14 §3): their active mutes with who set them and until when, lifting
 * one, and muting them in one channel or everywhere. The server checks the admin role and audits each.
 */
export function PersonMutes({ person, onResult }: { person: AdminUser; onResult: (said: string) => void }) {
  const engine = useEngine();
  const [mutes, setMutes] = useState<Mute[] | null>(null);
  const [where, setWhere] = useState('');
  const [duration, setDuration] = useState<MuteDuration>('1d');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const load = useCallback(
    () =>
      engine.api
        .request('GET', `/api/mutes?userId=${encodeURIComponent(person.id)}`, MuteList)
        .then((r) => setMutes(r.mutes))
        .catch((e: unknown) => setError(problem(e))),
    [engine, person.id],
  );
  useEffect(() => void load(), [load]);
  const channels = engine
    .conversations()
    .filter((c) => c.kind !== 'dm' && c.name !== null)
    .sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
  const scope = where === '' ? 'in every channel' : `in #${channels.find((c) => c.id === where)?.name ?? ''}`;
  const span = DURATIONS.find((d) => d.value === duration)?.label.toLowerCase() ?? '';
  const name = person.displayName;

  const mute = async () => {
    setConfirming(false);
    setError(null);
    try {
      const { mute: m } = await engine.api.request('POST', '/api/mutes', MuteReply, {
        userId: person.id,
        conversationId: where === '' ? null : where,
        duration,
        reason: reason.trim(),
      });
      setReason('');
      onResult(`${name} is muted ${scope} ${muteEnds(m.until)}. They were told on their devices.`);
      await load();
    } catch (e) {
      setError(problem(e));
    }
  };
  const lift = async (m: Mute) => {
    setError(null);
    try {
      await engine.api.request('POST', `/api/mutes/${m.id}/lift`, OkReply, {});
      onResult(
        `${name} can post ${m.conversationId === null ? 'in every channel' : `in #${m.conversationName ?? ''}`} again.`,
      );
      await load();
    } catch (e) {
      setError(problem(e));
    }
  };

  return (
    <section className="admin-card mutes-card" aria-labelledby="mutes-title">
      <h2 id="mutes-title">Mutes</h2>
      <p className="muted">
        A muted person reads as before but cannot post, edit or react in the channels where they are muted.
        Direct messages stay open, so they can still reach staff.
      </p>
      {mutes && mutes.length === 0 && <p>Not muted anywhere.</p>}
      {mutes && mutes.length > 0 && (
        <ul className="mute-list" aria-label={`${name}'s mutes`}>
          {mutes.map((m) => (
            <li key={m.id}>
              <span>
                <strong>
                  {m.conversationId === null ? 'Every channel' : `#${m.conversationName ?? ''}`}
                </strong>{' '}
                {muteEnds(m.until)}
                {m.reason && <span className="muted"> · {m.reason}</span>}
              </span>
              <button type="button" onClick={() => void lift(m)}>
                Lift
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="admin-form tight"
        onSubmit={(e) => {
          e.preventDefault();
          setConfirming(true);
        }}
      >
        <label>
          Where
          <select value={where} onChange={(e) => setWhere(e.target.value)}>
            <option value="">Every channel</option>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                #{c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          For how long
          <select value={duration} onChange={(e) => setDuration(e.target.value as MuteDuration)}>
            {DURATIONS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason (optional)
          <input value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </label>
        <div>
          <button type="submit">Mute {name}</button>
        </div>
      </form>
      <ErrorText message={error} />
      {confirming && (
        <Confirm
          title={`Mute ${name}?`}
          action="Mute"
          danger
          onConfirm={() => void mute()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            {name} will not be able to post, edit or react {scope}
            {duration === 'lifted' ? ' until someone lifts the mute' : ` for ${span}`}. Their devices show it
            at once, and it is written to the audit log.
          </p>
        </Confirm>
      )}
    </section>
  );
}
