import {
  DM_POLICY_LABELS,
  ROLE_LABELS,
  SESSION_DAYS,
  type DmPolicy,
  type Role,
  type WorkspaceSettings,
} from '@commonroom/protocol';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import { AttachmentLimitsCard } from './attachment-limits.tsx';
import { QuietHoursCard } from './quiet-hours-settings.tsx';
import { RetentionSettingsCard } from './retention-settings.tsx';
import { getSettings, getSupervisorChoices, saveSettings, settingsChanges } from './settings-api.ts';

const POLICY_HINTS: Record<DmPolicy, string> = {
  anyone: 'Students may message anyone, including other students.',
  supervised:
    'Students may message anyone; every conversation between students has a member of staff in it who reads it, does not post, and cannot leave. The students see who.',
  staff_only:
    'Students may message staff, and staff students; students cannot message each other (conversations they already have become read-only).',
  nobody: 'No direct messages with students at all; staff still message each other.',
};

/**
 * Workspace settings (/admin/settings, issue 13 §4): the name, whom students may message, how long a
 * sign-in lasts. Saved together; each change applies at once on the server and goes to the audit log.
 */
export function SettingsScreen() {
  const engine = useEngine();
  const [saved, setSaved] = useState<WorkspaceSettings | null>(null);
  const [name, setName] = useState('');
  const [policy, setPolicy] = useState<DmPolicy>('anyone');
  const [supervisor, setSupervisor] = useState('');
  const [staff, setStaff] = useState<{ id: string; displayName: string; role: string }[] | null>(null);
  const [days, setDays] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The field a problem is about: marked invalid and given focus, so the fix starts there. */
  const [invalid, setInvalid] = useState<'name' | 'days' | 'supervisor' | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const supervisorRef = useRef<HTMLSelectElement>(null);
  const daysRef = useRef<HTMLInputElement>(null);

  const shownDays = (s: WorkspaceSettings): string => String(Math.round(s.sessionLengthDays * 100) / 100);
  const show = (s: WorkspaceSettings) => {
    setSaved(s);
    setName(s.workspaceName);
    setPolicy(s.studentDmPolicy);
    setSupervisor(s.dmSupervisorId ?? '');
    setDays(shownDays(s));
  };

  useEffect(() => {
    let alive = true;
    getSettings(engine)
      .then((s) => alive && show(s))
      .catch((e: unknown) => alive && setError(problem(e)));
    getSupervisorChoices(engine)
      .then((people) => alive && setStaff(people))
      .catch(() => alive && setStaff([]));
    return () => {
      alive = false;
    };
  }, [engine]);

  if (!saved)
    return (
      <section className="admin-section" aria-busy={!error}>
        <h1>Settings</h1>
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const patch = settingsChanges(
    saved,
    { workspaceName: name, studentDmPolicy: policy, dmSupervisorId: supervisor, days },
    shownDays(saved),
  );
  const dirty = Object.keys(patch).length > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    setInvalid(null);
    const n = Number(days);
    if (!name.trim()) {
      setError('Enter a name for the workspace.');
      setInvalid('name');
      nameRef.current?.focus();
      return;
    }
    if (
      patch.sessionLengthDays !== undefined &&
      !(Number.isInteger(n) && n >= SESSION_DAYS.min && n <= SESSION_DAYS.max)
    ) {
      setError(`Choose a session length of ${SESSION_DAYS.min} to ${SESSION_DAYS.max} whole days.`);
      setInvalid('days');
      daysRef.current?.focus();
      return;
    }
    if (policy === 'supervised' && !supervisor) {
      setError('Choose the member of staff who supervises students’ conversations.');
      setInvalid('supervisor');
      supervisorRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const next = await saveSettings(engine, patch);
      show(next);
      const who = staff?.find((p) => p.id === next.dmSupervisorId)?.displayName;
      const supervision =
        (patch.studentDmPolicy !== undefined || patch.dmSupervisorId !== undefined) &&
        next.studentDmPolicy === 'supervised' &&
        who
          ? ` ${who} now supervises every conversation between students, including those that already exist.`
          : '';
      setResult(`Settings saved. They apply now.${supervision}`);
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="admin-section" aria-labelledby="settings-title">
      <header className="admin-head">
        <div>
          <h1 id="settings-title">Settings</h1>
          <p className="muted admin-sub">For the whole college. Every change is recorded in the audit log.</p>
        </div>
      </header>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      {/* noValidate: the checks below say what is wrong in words, beside the other messages. */}
      <form className="settings-form" noValidate onSubmit={(e) => void submit(e)}>
        <fieldset className="admin-card">
          <legend>Workspace</legend>
          <label className="field">
            <span>Workspace name</span>
            <input
              ref={nameRef}
              aria-invalid={invalid === 'name' || undefined}
              value={name}
              maxLength={80}
              required
              aria-describedby="name-hint"
              onChange={(e) => setName(e.target.value)}
              autoComplete="organization"
            />
          </label>
          <p className="hint" id="name-hint">
            Shown at the top of the app and in the browser tab.
          </p>
        </fieldset>
        <fieldset className="admin-card">
          <legend>Direct messages</legend>
          <p className="hint" id="policy-hint">
            Whom students may message directly. Applies to the next message anyone sends; existing
            conversations stay readable.
          </p>
          <div className="choice-list" role="radiogroup" aria-describedby="policy-hint">
            {(Object.keys(DM_POLICY_LABELS) as DmPolicy[]).map((p) => (
              <label key={p} className={`choice${policy === p ? ' chosen' : ''}`}>
                <input
                  type="radio"
                  name="dm-policy"
                  value={p}
                  checked={policy === p}
                  onChange={() => setPolicy(p)}
                />
                <span>
                  <strong>Students may message: {DM_POLICY_LABELS[p].toLowerCase()}</strong>
                  <span className="hint">{POLICY_HINTS[p]}</span>
                </span>
              </label>
            ))}
          </div>
          {policy === 'supervised' && (
            <div className="supervisor-field">
              <label className="field">
                <span>Supervisor</span>
                <select
                  ref={supervisorRef}
                  value={supervisor}
                  aria-invalid={invalid === 'supervisor' || undefined}
                  aria-describedby="supervisor-hint"
                  onChange={(e) => setSupervisor(e.target.value)}
                >
                  <option value="">Choose a member of staff…</option>
                  {(staff ?? []).map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.displayName} ({ROLE_LABELS[p.role as Role] ?? p.role})
                    </option>
                  ))}
                </select>
              </label>
              <p className="hint" id="supervisor-hint">
                Usually the designated safeguarding lead. Students see “Supervised by” with this name in each
                conversation; changing the supervisor moves every conversation to the new one.
              </p>
            </div>
          )}
        </fieldset>
        <fieldset className="admin-card">
          <legend>Sign-in</legend>
          <label className="field">
            <span>Session length (days)</span>
            <input
              ref={daysRef}
              aria-invalid={invalid === 'days' || undefined}
              type="number"
              inputMode="numeric"
              min={SESSION_DAYS.min}
              max={SESSION_DAYS.max}
              step={1}
              value={days}
              aria-describedby="days-hint"
              onChange={(e) => setDays(e.target.value)}
              className="narrow"
            />
          </label>
          <p className="hint" id="days-hint">
            How long someone stays signed in on a device, {SESSION_DAYS.min} to {SESSION_DAYS.max} days. A
            shorter length also ends older sign-ins at once; a longer one applies to new sign-ins.
          </p>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={!dirty || busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
          <button type="button" disabled={!dirty || busy} onClick={() => show(saved)}>
            Discard changes
          </button>
        </div>
      </form>
      <QuietHoursCard />
      <RetentionSettingsCard />
      <AttachmentLimitsCard />
    </section>
  );
}
