import type { Engine } from '@commonroom/engine';
import { WorkspaceQuietHours, clockText, parseClock, type QuietWindow } from '@commonroom/protocol';
import { SettingsCard, type Checked } from './settings-card.tsx';

type Who = 'students' | 'staff';
type Row = { on: boolean; from: string; to: string };
type Form = Record<Who, Row> & { zone: string };
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

const toForm = (q: WorkspaceQuietHours): Form => ({
  zone: q.timeZone,
  students: rowOf(q.students),
  staff: rowOf(q.staff),
});
const windowOf = (r: Row): QuietWindow | null | 'bad' => {
  if (!r.on) return null;
  const start = parseClock(r.from);
  const end = parseClock(r.to);
  return start === null || end === null || start === end ? 'bad' : { start, end };
};
function check(form: Form): Checked<WorkspaceQuietHours> {
  const students = windowOf(form.students);
  const staff = windowOf(form.staff);
  if (students === 'bad' || staff === 'bad')
    return { problem: 'Quiet hours need a start and an end time, at different times.' };
  return { patch: { timeZone: form.zone, students, staff } };
}
const load = (engine: Engine) => engine.api.request('GET', '/api/admin/quiet-hours', WorkspaceQuietHours);
const save = (engine: Engine, body: WorkspaceQuietHours) =>
  engine.api.request('PUT', '/api/admin/quiet-hours', WorkspaceQuietHours, body);

/**
 * Quiet hours (issue 15 §2) in Admin → Settings: when nothing is pushed, for students and for staff, on the
 * college's clock. Saved on its own, audited. The server keeps students to the college's window.
 */
export function QuietHoursCard() {
  return (
    <SettingsCard
      title="Quiet hours"
      intro="No notifications are sent to phones and computers during quiet hours; messages wait, unread, in the app. Alerts of new safeguarding reports to safeguarding leads are still sent."
      load={load}
      toForm={toForm}
      check={check}
      save={save}
      saveLabel="Save quiet hours"
      savedText="Quiet hours saved. They apply to the next message sent."
    >
      {({ form, set }) => (
        <>
          {GROUPS.map((g) => {
            const row = form[g.who];
            const change = (r: Partial<Row>) => set({ [g.who]: { ...row, ...r } });
            return (
              <div key={g.who} className="quiet-group">
                <label className="check-row">
                  <input
                    type="checkbox"
                    checked={row.on}
                    onChange={(e) => change({ on: e.target.checked })}
                  />
                  <strong>Quiet hours for {g.label.toLowerCase()}</strong>
                </label>
                <p className="hint">{g.hint}</p>
                {row.on && (
                  <div className="quiet-times">
                    <label className="field">
                      <span>From</span>
                      <input
                        type="time"
                        value={row.from}
                        onChange={(e) => change({ from: e.target.value })}
                      />
                    </label>
                    <label className="field">
                      <span>To</span>
                      <input type="time" value={row.to} onChange={(e) => change({ to: e.target.value })} />
                    </label>
                  </div>
                )}
              </div>
            );
          })}
          <div className="setting-field">
            <label className="field">
              <span>Time zone</span>
              <select
                value={form.zone}
                aria-describedby="quiet-zone-hint"
                onChange={(e) => set({ zone: e.target.value })}
              >
                {zones().map((z) => (
                  <option key={z} value={z}>
                    {z.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            </label>
            <p className="hint" id="quiet-zone-hint">
              The college’s clock, which quiet hours follow (summer time included).
            </p>
          </div>
        </>
      )}
    </SettingsCard>
  );
}
