import { isAdminRole, MuteReply, mutedWords, type MuteDuration } from '@commonroom/protocol';
import { useId, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { ErrorText } from '../ui/error-text.tsx';

/**
 * Mute a person (issue 14 §3), from the message menu or a channel's member list: for an hour, a day, a week
 * or until lifted, in this channel (moderators) or everywhere (admins). Lazy-loaded: few people ever see it.
 * The server decides who may (services/mutes.ts); a refusal is shown in its own words.
 */
const DURATIONS: { value: MuteDuration; label: string }[] = [
  { value: '1h', label: '1 hour' },
  { value: '1d', label: '1 day' },
  { value: '1w', label: '1 week' },
  { value: 'lifted', label: 'Until I lift it' },
];

export function MuteDialog({
  person,
  channel,
  onClose,
  onDone,
}: {
  person: { id: string; displayName: string };
  channel: { id: string; name: string | null };
  onClose: () => void;
  /** Told what was done, in words for a status line; without it the dialog says so itself. */
  onDone?: (said: string) => void;
}) {
  const engine = useEngine();
  const id = useId();
  const [duration, setDuration] = useState<MuteDuration>('1h');
  const [everywhere, setEverywhere] = useState(false);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const admin = isAdminRole(engine.me()?.role ?? 'student');
  const submit = async () => {
    setBusy(true);
    try {
      const { mute } = await engine.api.request('POST', '/api/mutes', MuteReply, {
        userId: person.id,
        conversationId: everywhere ? null : channel.id,
        duration,
        reason: reason.trim(),
      });
      const words = mutedWords(mute.conversationName, {
        until: mute.until,
        everywhere: mute.conversationId === null,
      }).replace(/^you are/, `${person.displayName} is`);
      if (onDone) {
        onDone(`${words}.`);
        onClose();
      } else setDone(`${words}. They were told on their devices.`);
    } catch (err) {
      setProblem(err instanceof Error && err.message ? err.message : 'That did not work. Please try again.');
      setBusy(false);
    }
  };
  if (done)
    return (
      <Dialog title={`${person.displayName} is muted`} onClose={onClose}>
        <p className="notice" role="status">
          {done}
        </p>
        <div className="dialog-buttons">
          <button type="button" className="primary" autoFocus onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  return (
    <Dialog title={`Mute ${person.displayName}?`} onClose={onClose}>
      <form
        className="mute-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p>
          {person.displayName} can still read, but cannot post, edit or react
          {everywhere ? ' in any channel' : ` in #${channel.name ?? ''}`} until the mute ends. They are told,
          and it is recorded in the audit log.
        </p>
        <fieldset>
          <legend>For how long</legend>
          {DURATIONS.map((d) => (
            <label key={d.value} className="radio-row">
              <input
                type="radio"
                name={`${id}-duration`}
                value={d.value}
                checked={duration === d.value}
                onChange={() => setDuration(d.value)}
              />
              {d.label}
            </label>
          ))}
        </fieldset>
        {admin && (
          <fieldset>
            <legend>Where</legend>
            <label className="radio-row">
              <input
                type="radio"
                name={`${id}-scope`}
                checked={!everywhere}
                onChange={() => setEverywhere(false)}
              />
              In #{channel.name ?? ''} only
            </label>
            <label className="radio-row">
              <input
                type="radio"
                name={`${id}-scope`}
                checked={everywhere}
                onChange={() => setEverywhere(true)}
              />
              In every channel
            </label>
          </fieldset>
        )}
        <label htmlFor={`${id}-reason`}>Reason (optional, seen by moderators and admins)</label>
        <input
          id={`${id}-reason`}
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
        />
        <ErrorText message={problem} />
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy}>
            Mute
          </button>
        </div>
      </form>
    </Dialog>
  );
}
