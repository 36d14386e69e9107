import type { Engine } from '@commonroom/engine';
import { RETENTION_DAYS, RetentionSettings, type RetentionPatch } from '@commonroom/protocol';
import { NumberSetting, SettingsCard, type Checked } from './settings-card.tsx';

type Key = keyof RetentionSettings;
type Form = Record<Key, string>;
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
const idOf = (key: Key): string => `retention-${key}`;

const toForm = (s: RetentionSettings): Form => ({
  channelsDays: show(s.channelsDays),
  dmsDays: show(s.dmsDays),
  safeguardingDays: show(s.safeguardingDays),
});

/** Only what differs from the saved periods is sent, so the audit log records real changes only. */
function changes(form: Form, saved: RetentionSettings): RetentionPatch {
  const patch: RetentionPatch = {};
  for (const { key } of FIELDS)
    if (form[key].trim() !== show(saved[key]))
      patch[key] = form[key].trim() === '' ? null : Number(form[key]);
  return patch;
}

function check(form: Form, saved: RetentionSettings): Checked<RetentionPatch> {
  const patch = changes(form, saved);
  for (const { key, label } of FIELDS) {
    const v = patch[key];
    if (
      v !== undefined &&
      v !== null &&
      !(Number.isInteger(v) && v >= RETENTION_DAYS.min && v <= RETENTION_DAYS.max)
    )
      return {
        problem: `${label}: enter ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max} whole days, or leave it empty to keep forever.`,
        field: idOf(key),
      };
  }
  return { patch };
}

const load = (engine: Engine) => engine.api.request('GET', '/api/retention', RetentionSettings);
const save = (engine: Engine, patch: RetentionPatch) =>
  engine.api.request('PATCH', '/api/admin/retention', RetentionSettings, patch);

/**
 * Retention (issue 14 §7) in Admin → Settings: how many days each kind of content is kept; empty keeps it
 * forever (the default). An hourly job removes what is older from the server and from every device. Saved
 * on its own, audited.
 */
export function RetentionSettingsCard() {
  return (
    <SettingsCard
      title="Retention"
      className="retention-form"
      intro="How long content is kept, in days; empty keeps it forever. Once that many days have passed, the content is removed from the server and from everyone’s devices. Pinned messages and messages in an open safeguarding case are kept."
      load={load}
      toForm={toForm}
      check={check}
      save={save}
      dirty={(form, saved) => Object.keys(changes(form, saved)).length > 0}
      saveLabel="Save retention"
      savedText="Retention saved. Older content is removed within the hour, from the server and every device."
    >
      {({ form, set, invalid }) =>
        FIELDS.map((f) => (
          <NumberSetting
            key={f.key}
            id={idOf(f.key)}
            label={`${f.label} (days)`}
            hint={f.hint}
            range={RETENTION_DAYS}
            placeholder="Forever"
            value={form[f.key]}
            invalid={invalid === idOf(f.key)}
            onChange={(v) => set({ [f.key]: v })}
          />
        ))
      }
    </SettingsCard>
  );
}
