import { ApiError } from '@commonroom/engine';
import { avatarHex } from '@commonroom/protocol';
import { useState } from 'react';
import { useEngine, useEngineVersion } from '../../hooks/engine-context.tsx';
import { Dialog, type Anchor } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { clockTime, dayLabel, initials, roleLabel } from '../../ui/format.ts';
import { dmRefusedBetween } from '../dm-rule.ts';
import { PresenceDot, presenceWords, statusText } from '../people.tsx';
import './status.css';

/**
 * A person at a glance (issue 15 §3), opened from their name or avatar in the messages: name, pronouns,
 * role, presence and status, and a way to message them. Loaded when first opened.
 */
export function ProfileCard({
  userId,
  onClose,
  anchor = null,
}: {
  userId: string;
  onClose: () => void;
  /** What was clicked: on a desktop the card opens beside it, as a popover. */
  anchor?: Anchor | null;
}) {
  const engine = useEngine();
  useEngineVersion();
  const [error, setError] = useState<string | null>(null);
  // The workspace's rule refused this DM (dm-policy): trying again cannot help, so the button goes.
  const [refused, setRefused] = useState(false);
  const me = engine.me();
  const u = userId === me?.id ? me : engine.user(userId);
  const p = engine.presenceOf(userId);
  const now = Date.now();
  if (!u) return null;
  const status = statusText(p);
  // The workspace's DM rule as last heard: a DM it refuses is not offered, and the card says why.
  const ruleSays = me && userId !== me.id ? dmRefusedBetween(me.role, u.role) : null;
  const until = p && p.until > 0 ? untilWords(p.until, now) : '';

  const message = async () => {
    try {
      const dm = await engine.openDm([userId]);
      onClose();
      location.hash = `#/c/${dm.id}`;
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'You need to be online to start a conversation.');
      setRefused(e instanceof ApiError && e.code === 'dm-policy');
    }
  };

  return (
    <Dialog title={u.displayName} onClose={onClose} anchor={anchor}>
      <div className="person-card" data-testid="profile-card">
        <span className="avatar" aria-hidden="true" style={{ background: avatarHex(u.avatarColour) }}>
          {initials(u.displayName)}
        </span>
        <p className="facts">{roleLabel(u.role)}</p>
        {u.pronouns && <p className="pronouns muted">{u.pronouns}</p>}
        {p && (
          <p className="presence-facts">
            <PresenceDot userId={userId} />
            {status ? `${status} · ` : ''}
            {presenceWords(p, now)}
          </p>
        )}
        {until && <p className="status-until muted">{until}</p>}
        <ErrorText message={error} />
        {ruleSays && (
          <p className="dm-refused muted" data-testid="dm-refused">
            {ruleSays}
          </p>
        )}
        {userId !== me?.id && !refused && !ruleSays && (
          <div className="dialog-buttons">
            <button type="button" className="primary" onClick={() => void message()}>
              Message
            </button>
          </div>
        )}
      </div>
    </Dialog>
  );
}

/** "Until 3:00 PM", "Until the end of today", "Until the end of Sunday": when a status clears. */
function untilWords(until: number, now: number): string {
  const end = new Date(until);
  // The presets "today" and "this week" end at midnight: said as the end of the day before.
  if (end.getHours() === 0 && end.getMinutes() === 0) {
    const day = dayLabel(until - 1, now);
    return `Until the end of ${day === 'Today' ? 'today' : (day.split(',')[0] ?? day)}`;
  }
  const day = dayLabel(until, now);
  return `Until ${day === 'Today' ? '' : `${day}, `}${clockTime(until)}`;
}
