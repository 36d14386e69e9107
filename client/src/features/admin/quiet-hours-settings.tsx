import { WorkspaceQuietHours, clockText, parseClock, type QuietWindow } from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';

type Who = 'students' | 'staff';
type Row = { on: boolean; from: string; to: string };
const GROUPS: { who: Who; label: string; hint: string }[] = [
  {
    who: 'students',
    label: 'Students',
    hint: 'Every student has these. A student may choose shorter ones inside them, never longer ones or none.',
  },
  {
    who: 'staff',
    label: 'Staff',
    hint: 'A starting point: each member of staff may change them or turn them off on their profile page.',
  },
];
const rowOf = (w: QuietWindow | null): Row =>
  w
    ? { on: true, from: clockText(w.start), to: clockText(w.end) }
    : { on: false, from: '22:00', to: '07:00' };
const zones = (): string[] => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['Europe/London'];
  }
};

/**
 * Quiet hours (issue 15 §2) in Admin → Settings: when nothing is pushed, for students and for staff, on the
 * college's clock. Saved on its own, audited. The server keeps students to the college's window.
 */
export function QuietHoursCard() {
  const engine = useEngine();
  const [saved, setSaved] = useState<WorkspaceQuietHours | null>(null);
  const [zone, setZone] = useState('Europe/London');
  const [rows, setRows] = useState<Record<Who, Row>>({ students: rowOf(null), staff: rowOf(null) });
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = (q: WorkspaceQuietHours) => {
    setSaved(q);
    setZone(q.timeZone);
    setRows({ students: rowOf(q.students), staff: rowOf(q.staff) });
  };
  useEffect(() => {
    let alive = true;
    engine.api
      .request('GET', '/api/admin/quiet-hours', WorkspaceQuietHours)
      .then((q) => alive && load(q))
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine]);
  if (!saved)
    return (
      <section className="admin-card" aria-busy={!error}>
        <h2>Quiet hours</h2>
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const windowOf = (r: Row): QuietWindow | null | 'bad' => {
    if (!r.on) return null;
    const start = parseClock(r.from);
    const end = parseClock(r.to);
    return start === null || end === null || start === end ? 'bad' : { start, end };
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const students = windowOf(rows.students);
    const staff = windowOf(rows.staff);
    if (students === 'bad' || staff === 'bad')
      return setError('Quiet hours need a start and an end time, at different times.');
    setBusy(true);
    try {
      const body = { timeZone: zone, students, staff };
      load(await engine.api.request('PUT', '/api/admin/quiet-hours', WorkspaceQuietHours, body));
      setResult('Quiet hours saved. They apply to the next message sent.');
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };
  const set = (who: Who, r: Partial<Row>) => setRows({ ...rows, [who]: { ...rows[who], ...r } });

  return (
    <form className="settings-form" noValidate onSubmit={(e) => void submit(e)}>
      <fieldset className="admin-card">
        <legend>Quiet hours</legend>
        <p className="hint">
          No notifications are sent to phones and computers during quiet hours; messages wait, unread, in the
          app. Alerts of new safeguarding reports to safeguarding leads are still sent.
        </p>
        {GROUPS.map((g) => (
          <div key={g.who} className="quiet-group">
            <label className="check-row">
              <input
                type="checkbox"
                checked={rows[g.who].on}
                onChange={(e) => set(g.who, { on: e.target.checked })}
              />
              <strong>Quiet hours for {g.label.toLowerCase()}</strong>
            </label>
            <p className="hint">{g.hint}</p>
            {rows[g.who].on && (
              <div className="quiet-times">
                <label className="field">
                  <span>From</span>
                  <input
                    type="time"
                    value={rows[g.who].from}
                    onChange={(e) => set(g.who, { from: e.target.value })}
                  />
                </label>
                <label className="field">
                  <span>To</span>
                  <input
                    type="time"
                    value={rows[g.who].to}
                    onChange={(e) => set(g.who, { to: e.target.value })}
                  />
                </label>
              </div>
            )}
          </div>
        ))}
        <label className="field">
          <span>Time zone</span>
          <select value={zone} onChange={(e) => setZone(e.target.value)}>
            {zones().map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <p className="hint">The college’s clock, which quiet hours follow (summer time included).</p>
      </fieldset>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save quiet hours'}
        </button>
      </div>
    </form>
  );
}
