import { ATTACHMENT_MB, type WorkspaceSettings } from '@commonroom/protocol';
import { getSettings, saveSettings } from './settings-api.ts';
import { NumberSetting, SettingsCard, type Checked } from './settings-card.tsx';

type Key = 'attachmentMaxFileMb' | 'attachmentDailyMb';
type Form = Record<Key, string>;
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
const idOf = (key: Key): string => `attachments-${key}`;

const toForm = (s: WorkspaceSettings): Form => ({
  attachmentMaxFileMb: String(s.attachmentMaxFileMb),
  attachmentDailyMb: String(s.attachmentDailyMb),
});

function check(form: Form, saved: WorkspaceSettings): Checked<Partial<Record<Key, number>>> {
  const patch: Partial<Record<Key, number>> = {};
  for (const { key, label, range } of FIELDS) {
    const v = Number(form[key].trim());
    if (!(form[key].trim() !== '' && Number.isInteger(v) && v >= range.min && v <= range.max))
      return {
        problem: `${label}: enter ${range.min} to ${range.max.toLocaleString('en-GB')} whole MB.`,
        field: idOf(key),
      };
    if (v !== saved[key]) patch[key] = v;
  }
  return { patch };
}

/**
 * Attachment limits (issue 17) in Admin → Settings: the largest file and each person's files a day, in MB.
 * The server checks both when an upload starts, before any of the file is stored. Saved on its own,
 * audited as a settings change.
 */
export function AttachmentLimitsCard() {
  return (
    <SettingsCard
      title="Attachments"
      intro="Photos and files people send. Limits keep the college’s storage in hand and stop one person filling it."
      load={getSettings}
      toForm={toForm}
      check={check}
      save={saveSettings}
      dirty={(form, saved) => FIELDS.some(({ key }) => form[key].trim() !== String(saved[key]))}
      saveLabel="Save attachment limits"
      savedText="Attachment limits saved. They apply to the next file anyone sends."
    >
      {({ form, set, invalid }) =>
        FIELDS.map((f) => (
          <NumberSetting
            key={f.key}
            id={idOf(f.key)}
            label={f.label}
            hint={f.hint}
            range={f.range}
            value={form[f.key]}
            invalid={invalid === idOf(f.key)}
            onChange={(v) => set({ [f.key]: v })}
          />
        ))
      }
    </SettingsCard>
  );
}
