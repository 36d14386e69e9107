import type { WorkspaceQuietHours, WorkspaceSettings, WorkspaceSettingsPatch } from '@commonroom/protocol';
import { liftSync } from './lift-sync.ts';
import type { SettingChange, SettingsStore } from './settings.ts';

/**
 * The workspace settings with the operations of `SettingsStore` (settings.ts), returning Promises: what
 * PostgreSQL (storage/pg/settings-store.ts) can offer (docs/SCALE-OUT.md §2, §3). The rules are the same
 * (settingsFrom, quietHoursFrom, settingChanges): a key never written reads as its default; a write stores
 * what differs and says what changed, old and new, for the audit log, compared with what is stored, not
 * with what this process last read. Kept per process, dropped on write; `drop` is for writes of others.
 * One conformance suite (test/settings-async.suite.ts) runs against every implementation.
 */
export interface AsyncSettingsStore {
  read(): Promise<WorkspaceSettings>;
  quietHours(): Promise<WorkspaceQuietHours>;
  /** Replaces the quiet hours; the change (old and new), or null when nothing changed. */
  writeQuietHours(next: WorkspaceQuietHours): Promise<SettingChange | null>;
  /** How long a session lasts now, in milliseconds. */
  sessionTtlMs(): Promise<number>;
  /** Writes what differs and says what changed, old and new. */
  write(patch: WorkspaceSettingsPatch): Promise<Record<string, SettingChange>>;
  /** Forgets what this process keeps (a write committed elsewhere). */
  drop(): void;
}

/**
 * The synchronous SQLite store behind the async interface. The writes drop the store's cache first, so
 * they compare with the stored values as the PostgreSQL store does (in one process the two are the same;
 * with another instance on the file, as in the suite, they may not be).
 */
export function adaptSqliteSettingsStore(store: SettingsStore): AsyncSettingsStore {
  return {
    read: () => liftSync(() => store.read()),
    quietHours: () => liftSync(() => store.quietHours()),
    writeQuietHours: (next) =>
      liftSync(() => {
        store.drop();
        return store.writeQuietHours(next);
      }),
    sessionTtlMs: () => liftSync(() => store.sessionTtlMs()),
    write: (patch) =>
      liftSync(() => {
        store.drop();
        return store.write(patch);
      }),
    drop: () => store.drop(),
  };
}
