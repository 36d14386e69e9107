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
    const policy = DmPolicy.safeParse(get.get('studentDmPolicy')?.value);
    const days = Number(get.get('sessionLengthDays')?.value);
    const mb = (key: string, fallback: number): number => {
      const v = Number(get.get(key)?.value);
      return Number.isInteger(v) && v > 0 ? v : fallback;
    };
    cached = {
      workspaceName: get.get('workspaceName')?.value ?? defaults.workspaceName,
      studentDmPolicy: policy.success ? policy.data : defaults.studentDmPolicy,
      sessionLengthDays: Number.isFinite(days) && days > 0 ? days : defaults.sessionLengthDays,
      dmSupervisorId: get.get('dmSupervisorId')?.value || null,
      attachmentMaxFileMb: mb('attachmentMaxFileMb', defaults.attachmentMaxFileMb),
      attachmentDailyMb: mb('attachmentDailyMb', defaults.attachmentDailyMb),
    };
    return cached;
  };
  // The workspace's quiet hours (issue 15 §2): one JSON value, read for every push, so also kept in memory.
  let quiet: WorkspaceQuietHours | null = null;
  const quietHours = (): WorkspaceQuietHours => {
    if (quiet) return quiet;
    const raw = get.get('quietHours')?.value;
    const parsed = raw === undefined ? null : WorkspaceQuietHours.safeParse(JSON.parse(raw));
    quiet = parsed?.success ? parsed.data : DEFAULT_QUIET_HOURS;
    return quiet;
  };
  return {
    read,
    quietHours,
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
        for (const key of [
          'workspaceName',
          'studentDmPolicy',
          'sessionLengthDays',
          'dmSupervisorId',
          'attachmentMaxFileMb',
          'attachmentDailyMb',
        ] as const) {
          const value = patch[key];
          if (value === undefined || value === old[key]) continue;
          // An empty value reads back as null (no supervisor chosen).
          set.run(key, value === null ? '' : String(value));
          changes[key] = { from: old[key], to: value };
        }
      })();
      cached = null;
      return changes;
    },
  };
}
