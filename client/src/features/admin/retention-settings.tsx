import { RETENTION_DAYS, RetentionSettings, type RetentionPatch } from '@commonroom/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem } from './admin-api.ts';

type Key = keyof RetentionSettings;
const FIELDS: { key: Key; label: string; hint: string }[] = [
  { key: 'channelsDays', label: 'Channels', hint: 'Public, private and announcement channels.' },
  { key: 'dmsDays', label: 'Direct messages', hint: 'Conversations between people, group DMs included.' },
  {
    key: 'safeguardingDays',
    label: 'Safeguarding store',
    hint: 'The server’s copy that safeguarding leads review: original texts of edited, deleted and removed messages, and closed cases.',
  },
];
const show = (n: number | null): string => (n === null ? '' : String(n));

/**
 * Retention (issue 14 §7) in Admin → Settings: how many days each kind of content is kept; empty keeps it
 * forever (the default). An hourly job removes what is older from the server and from every device. Saved
 * on its own, audited.
 */
export function RetentionSettingsCard() {
  const engine = useEngine();
  const [saved, setSaved] = useState<RetentionSettings | null>(null);
  const [form, setForm] = useState<Record<Key, string>>({
    channelsDays: '',
    dmsDays: '',
    safeguardingDays: '',
  });
  const [error, setError] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<Key | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = (s: RetentionSettings) => {
    setSaved(s);
    setForm({
      channelsDays: show(s.channelsDays),
      dmsDays: show(s.dmsDays),
      safeguardingDays: show(s.safeguardingDays),
    });
  };
  useEffect(() => {
    let alive = true;
    engine.api
      .request('GET', '/api/retention', RetentionSettings)
      .then((s) => alive && load(s))
      .catch((e: unknown) => alive && setError(problem(e)));
    return () => {
      alive = false;
    };
  }, [engine]);
  if (!saved)
    return (
      <section className="admin-card retention-form" aria-busy={!error}>
        <h2>Retention</h2>
        {error ? <ErrorText message={error} /> : <p className="muted">Loading…</p>}
      </section>
    );

  const patch: RetentionPatch = {};
  for (const { key } of FIELDS)
    if (form[key].trim() !== show(saved[key]))
      patch[key] = form[key].trim() === '' ? null : Number(form[key]);
  const dirty = Object.keys(patch).length > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    setInvalid(null);
    for (const { key, label } of FIELDS) {
      const v = patch[key];
      if (
        v !== undefined &&
        v !== null &&
        !(Number.isInteger(v) && v >= RETENTION_DAYS.min && v <= RETENTION_DAYS.max)
      ) {
        setError(
          `${label}: enter ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max} whole days, or leave it empty to keep forever.`,
        );
        setInvalid(key);
        document.getElementById(`retention-${key}`)?.focus();
        return;
      }
    }
    setBusy(true);
    try {
      load(await engine.api.request('PATCH', '/api/admin/retention', RetentionSettings, patch));
      setResult(
        'Retention saved. Older content is removed within the hour, from the server and every device.',
      );
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="settings-form retention-form" noValidate onSubmit={(e) => void submit(e)}>
      <fieldset className="admin-card">
        <legend>Retention</legend>
        <p className="hint" id="retention-hint">
          How long content is kept, in days; empty keeps it forever. Once that many days have passed, the
          content is removed from the server and from everyone’s devices. Pinned messages and messages in an
          open safeguarding case are kept.
        </p>
        {FIELDS.map((f) => (
          <div key={f.key} className="retention-field">
            <label className="field">
              <span>{f.label} (days)</span>
              <input
                id={`retention-${f.key}`}
                className="narrow"
                type="number"
                inputMode="numeric"
                min={RETENTION_DAYS.min}
                max={RETENTION_DAYS.max}
                step={1}
                placeholder="Forever"
                aria-invalid={invalid === f.key || undefined}
                aria-describedby={`retention-${f.key}-hint`}
                value={form[f.key]}
                onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
              />
            </label>
            <p className="hint" id={`retention-${f.key}-hint`}>
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
          {busy ? 'Saving…' : 'Save retention'}
        </button>
      </div>
    </form>
  );
}
