import {
  DEFAULT_QUIET_HOURS,
  DmPolicy,
  WorkspaceQuietHours,
  type WorkspaceSettings,
  type WorkspaceSettingsPatch,
} from '@commonroom/protocol';
import type { Db } from './db.ts';

export type SettingsStore = ReturnType<typeof createSettingsStore>;

const DAY_MS = 86_400_000;

/** One changed setting, as the audit log records it. */
export type SettingChange = { from: unknown; to: unknown };

/** The keys a settings patch may write, each stored as text. */
const WRITABLE = [
  'workspaceName',
  'studentDmPolicy',
  'sessionLengthDays',
  'dmSupervisorId',
  'attachmentMaxFileMb',
  'attachmentDailyMb',
] as const;

/**
 * The settings from their stored text (`value` of a key, undefined when never written): a missing or
 * unusable value reads as its default. Shared with the PostgreSQL store (storage/pg/settings-store.ts).
 */
export function settingsFrom(
  value: (key: string) => string | undefined,
  defaults: WorkspaceSettings,
): WorkspaceSettings {
  const policy = DmPolicy.safeParse(value('studentDmPolicy'));
  const days = Number(value('sessionLengthDays'));
  const mb = (key: string, fallback: number): number => {
    const v = Number(value(key));
    return Number.isInteger(v) && v > 0 ? v : fallback;
  };
  return {
    workspaceName: value('workspaceName') ?? defaults.workspaceName,
    studentDmPolicy: policy.success ? policy.data : defaults.studentDmPolicy,
    sessionLengthDays: Number.isFinite(days) && days > 0 ? days : defaults.sessionLengthDays,
    dmSupervisorId: value('dmSupervisorId') || null,
    attachmentMaxFileMb: mb('attachmentMaxFileMb', defaults.attachmentMaxFileMb),
    attachmentDailyMb: mb('attachmentDailyMb', defaults.attachmentDailyMb),
  };
}

/** The workspace's quiet hours from their stored JSON, or the defaults when never written or unusable. */
export function quietHoursFrom(raw: string | undefined): WorkspaceQuietHours {
  const parsed = raw === undefined ? null : WorkspaceQuietHours.safeParse(JSON.parse(raw));
  return parsed?.success ? parsed.data : DEFAULT_QUIET_HOURS;
}

/** What a patch changes: each key that differs from `old`, its text to store, and the change for the audit. */
export function settingChanges(
  old: WorkspaceSettings,
  patch: WorkspaceSettingsPatch,
): { key: (typeof WRITABLE)[number]; stored: string; change: SettingChange }[] {
  const out: { key: (typeof WRITABLE)[number]; stored: string; change: SettingChange }[] = [];
  for (const key of WRITABLE) {
    const value = patch[key];
    if (value === undefined || value === old[key]) continue;
    // An empty value reads back as null (no supervisor chosen).
    out.push({ key, stored: value === null ? '' : String(value), change: { from: old[key], to: value } });
  }
  return out;
}

/**
 * Workspace settings (issue 13 §4), one row per key. A key never written reads as its default from the
 * environment (WORKSPACE_NAME, SESSION_TTL_HOURS), so an admin's choice overrides configuration and clearing
 * the table returns to it.
 */
export function createSettingsStore(db: Db, defaults: WorkspaceSettings) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  // Kept in memory until written: the DM policy is read on every student write in a DM and for every DM in
  // a conversation list (auth/policy.ts), the session length on every request, and this process is the
  // database's only writer.
  let cached: WorkspaceSettings | null = null;
  const read = (): WorkspaceSettings => {
    if (cached) return cached;
    cached = settingsFrom((key) => get.get(key)?.value, defaults);
    return cached;
  };
  // The workspace's quiet hours (issue 15 §2): one JSON value, read for every push, so also kept in memory.
  let quiet: WorkspaceQuietHours | null = null;
  const quietHours = (): WorkspaceQuietHours => {
    if (quiet) return quiet;
    quiet = quietHoursFrom(get.get('quietHours')?.value);
    return quiet;
  };
  return {
    read,
    quietHours,
    /** Forgets the kept settings and quiet hours: for a write another process committed (SCALE-OUT §2). */
    drop(): void {
      cached = null;
      quiet = null;
    },
    /** Replaces the quiet hours; says what changed (old and new), for the audit log, or null when nothing did. */
    writeQuietHours(next: WorkspaceQuietHours): SettingChange | null {
      const old = quietHours();
      if (JSON.stringify(old) === JSON.stringify(next)) return null;
      set.run('quietHours', JSON.stringify(next));
      quiet = next;
      return { from: old, to: next };
    },
    /** How long a session lasts now, in milliseconds (new sessions, and the age check of existing ones). */
    sessionTtlMs: (): number => read().sessionLengthDays * DAY_MS,
    /** Writes what differs from the current value and says what changed, old and new, for the audit log. */
    write(patch: WorkspaceSettingsPatch): Record<string, SettingChange> {
      const old = read();
      const changes: Record<string, SettingChange> = {};
      db.transaction(() => {
        for (const { key, stored, change } of settingChanges(old, patch)) {
          set.run(key, stored);
          changes[key] = change;
        }
      })();
      cached = null;
      return changes;
    },
  };
}
