import { ATTACHMENT_MB, type WorkspaceSettings } from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';
import { getSettings, saveSettings } from './settings-api.ts';

type Key = 'attachmentMaxFileMb' | 'attachmentDailyMb';
const FIELDS: { key: Key; label: string; hint: string; range: { min: number; max: number } }[] = [
  {
    key: 'attachmentMaxFileMb',
    label: 'Largest file (MB)',
    hint: 'A bigger file is refused as soon as someone tries to send it, and they are told why.',
    range: ATTACHMENT_MB.file,
  },
  {
    key: 'attachmentDailyMb',
    label: 'Each person’s files a day (MB)',
    hint: 'Everything one person sends in 24 hours. Over it, they are asked to wait or send less.',
    range: ATTACHMENT_MB.daily,
  },
];

/**
 * Attachment limits (issue 17) in Admin → Settings: the largest file and each person's files a day, in MB.
 * The server checks both when an upload starts, before any of the file is stored. Saved on its own,
 * audited as a settings change.
 */
export function AttachmentLimitsCard() {
  const engine = useEngine();
  const [saved, setSaved] = useState<WorkspaceSettings | null>(null);
  const [form, setForm] = useState<Record<Key, string>>({ attachmentMaxFileMb: '', attachmentDailyMb: '' });
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<Key | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = (s: WorkspaceSettings) => {
    setSaved(s);
    setForm({
      attachmentMaxFileMb: String(s.attachmentMaxFileMb),
      attachmentDailyMb: String(s.attachmentDailyMb),
    });
  };
  useEffect(() => {
    let alive = true;
    getSettings(engine)
      .then((s) => alive && load(s))
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine]);
  if (!saved)
    return (
      <section className="admin-card" aria-busy={!error}>
        <h2>Attachments</h2>
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const dirty = FIELDS.some(({ key }) => form[key].trim() !== String(saved[key]));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    setInvalid(null);
    const patch: Partial<Record<Key, number>> = {};
    for (const { key, label, range } of FIELDS) {
      const v = Number(form[key].trim());
      if (!(form[key].trim() !== '' && Number.isInteger(v) && v >= range.min && v <= range.max)) {
        setError(`${label}: enter ${range.min} to ${range.max.toLocaleString('en-GB')} whole MB.`);
        setInvalid(key);
        document.getElementById(`attachments-${key}`)?.focus();
        return;
      }
      if (v !== saved[key]) patch[key] = v;
    }
    setBusy(true);
    try {
      load(await saveSettings(engine, patch));
      setResult('Attachment limits saved. They apply to the next file anyone sends.');
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="settings-form" noValidate onSubmit={(e) => void submit(e)}>
      <fieldset className="admin-card">
        <legend>Attachments</legend>
        <p className="hint">
          Photos and files people send. Limits keep the college’s storage in hand and stop one person filling
          it.
        </p>
        {FIELDS.map((f) => (
          <div key={f.key} className="retention-field">
            <label className="field">
              <span>{f.label}</span>
              <input
                id={`attachments-${f.key}`}
                className="narrow"
                type="number"
                inputMode="numeric"
                min={f.range.min}
                max={f.range.max}
                step={1}
                aria-invalid={invalid === f.key || undefined}
                aria-describedby={`attachments-${f.key}-hint`}
                value={form[f.key]}
                onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
              />
            </label>
            <p className="hint" id={`attachments-${f.key}-hint`}>
              {f.hint}
            </p>
          </div>
        ))}
      </fieldset>
      {result && (
        <p className="admin-result" role="status">
          {result}
        </p>
      )}
      <ErrorText message={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!dirty || busy}>
          {busy ? 'Saving…' : 'Save attachment limits'}
        </button>
      </div>
    </form>
  );
}
