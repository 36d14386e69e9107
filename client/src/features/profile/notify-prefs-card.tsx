import { NetworkError } from '@commonroom/engine';
import {
  NotifyPrefsReply,
  clockText,
  parseClock,
  windowInside,
  type NotifyLevel,
  type NotifyPrefsPatch,
  type QuietWindow,
} from '@commonroom/protocol';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { useSafeguarding } from '../../hooks/use-safeguarding.ts';
import { ErrorText } from '../../ui/error-text.tsx';
import '../notify.css';

const LEVELS: { value: NotifyLevel; label: string; hint: string }[] = [
  { value: 'all', label: 'All new messages', hint: 'Every message in your channels and conversations.' },
  {
    value: 'mentions',
    label: 'Mentions and direct messages',
    hint: 'Direct messages, mentions of you, replies in your threads and announcements.',
  },
  { value: 'nothing', label: 'Nothing', hint: 'No notifications. Unread counts still show in the app.' },
];

const span = (w: QuietWindow) => `${clockText(w.start)} to ${clockText(w.end)}`;

type QuietChoice = 'workspace' | 'own' | 'off';

/**
 * What a person is notified of (issue 15 §2), on every device: a level and quiet hours. Students may only
 * shorten the college's quiet hours; staff may set their own or none. A conversation's own choice is made
 * from the bell in its header. Saved on the server, which decides each push: needs the network.
 */
export function NotifyPrefsCard() {
  const engine = useEngine();
  const id = useId();
  const lead = useSafeguarding()?.lead === true;
  const [prefs, setPrefs] = useState<NotifyPrefsReply | null>(null);
  const [level, setLevel] = useState<NotifyLevel>('mentions');
  const [quiet, setQuiet] = useState<QuietChoice>('workspace');
  const [from, setFrom] = useState('22:00');
  const [to, setTo] = useState('07:00');
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (p: NotifyPrefsReply) => {
    setPrefs(p);
    setLevel(p.level);
    setQuiet(typeof p.quiet === 'object' ? 'own' : p.quiet);
    const w = typeof p.quiet === 'object' ? p.quiet : (p.workspace ?? { start: 22 * 60, end: 7 * 60 });
    setFrom(clockText(w.start));
    setTo(clockText(w.end));
  };
  useEffect(() => {
    let alive = true;
    engine.api
      .request('GET', '/api/me/notifications', NotifyPrefsReply)
      .then((p) => alive && show(p))
      .catch(() => alive && setProblem('You are offline. Your notification settings show when connected.'));
    return () => {
      alive = false;
    };
  }, [engine]);

  if (!prefs)
    return (
      <section className="profile-card" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>What you are notified of</h2>
        {problem ? <ErrorText message={problem} /> : <p className="hint">Loading…</p>}
      </section>
    );

  const narrowOnly = !prefs.mayWiden && prefs.workspace !== null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setDone(null);
    const patch: NotifyPrefsPatch = { level };
    if (quiet === 'own') {
      const w = { start: parseClock(from) ?? -1, end: parseClock(to) ?? -1 };
      if (w.start < 0 || w.end < 0 || w.start === w.end)
        return setProblem('Choose a start and an end time, at different times.');
      if (narrowOnly && prefs.workspace && !windowInside(w, prefs.workspace))
        return setProblem(`Your quiet hours must fit inside the college’s, ${span(prefs.workspace)}.`);
      patch.quiet = w;
    } else patch.quiet = quiet;
    setBusy(true);
    try {
      const next = await engine.api.request('PATCH', '/api/me/notifications', NotifyPrefsReply, patch);
      show(next);
      setDone(next.effective ? `Saved. Quiet hours: ${span(next.effective)}.` : 'Saved. No quiet hours.');
    } catch (err) {
      setProblem(
        err instanceof NetworkError
          ? 'You are offline. Changing notifications needs the network.'
          : err instanceof Error
            ? err.message
            : 'That did not work. Please try again.',
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="profile-card" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h2 id={`${id}-title`}>What you are notified of</h2>
      <fieldset className="notify-choices">
        <legend>Notify me of</legend>
        {LEVELS.map((x) => (
          <label key={x.value} className="notify-choice">
            <input
              type="radio"
              name={`${id}-level`}
              checked={level === x.value}
              onChange={() => setLevel(x.value)}
            />
            <span>
              <strong>{x.label}</strong>
              <span className="hint">{x.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {lead && (
        <p className="hint">
          As a safeguarding lead you are always told of new reports, whatever you choose.
        </p>
      )}
      <fieldset className="notify-choices">
        <legend>Quiet hours</legend>
        <p className="hint">
          Nothing is sent during quiet hours; what arrives waits, unread, for the morning. Times are{' '}
          {prefs.timeZone.replace(/_/g, ' ')} time.
        </p>
        {prefs.workspace && (
          <label className="notify-choice">
            <input
              type="radio"
              name={`${id}-quiet`}
              checked={quiet === 'workspace'}
              onChange={() => setQuiet('workspace')}
            />
            <span>
              <strong>The college’s: {span(prefs.workspace)}</strong>
            </span>
          </label>
        )}
        <label className="notify-choice">
          <input
            type="radio"
            name={`${id}-quiet`}
            checked={quiet === 'own'}
            onChange={() => setQuiet('own')}
          />
          <span>
            <strong>{narrowOnly ? 'Shorter ones of my own' : 'My own'}</strong>
            {narrowOnly && (
              <span className="hint">Inside the college’s, {span(prefs.workspace as QuietWindow)}.</span>
            )}
          </span>
        </label>
        {quiet === 'own' && (
          <div className="quiet-times">
            <label>
              From
              <input type="time" value={from} required onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label>
              To
              <input type="time" value={to} required onChange={(e) => setTo(e.target.value)} />
            </label>
          </div>
        )}
        {!narrowOnly && (
          <label className="notify-choice">
            <input
              type="radio"
              name={`${id}-quiet`}
              checked={quiet === 'off' || (quiet === 'workspace' && !prefs.workspace)}
              onChange={() => setQuiet('off')}
            />
            <span>
              <strong>None</strong>
            </span>
          </label>
        )}
      </fieldset>
      {done && (
        <p className="profile-done" role="status">
          {done}
        </p>
      )}
      <ErrorText message={problem} />
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save notification settings'}
        </button>
      </div>
    </form>
  );
}
