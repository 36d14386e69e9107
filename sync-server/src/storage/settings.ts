import { DmPolicy, type WorkspaceSettings } from '@commonroom/protocol';
import type { Db } from './db.ts';

export type SettingsStore = ReturnType<typeof createSettingsStore>;

export function createSettingsStore(db: Db, defaults: WorkspaceSettings) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  // Kept in memory until written: the DM policy is read on every student write in a DM and for every DM in
  // a conversation list (rooms/policy.ts), and this process is the database's only writer.
  let cached: WorkspaceSettings | null = null;
  return {
    read(): WorkspaceSettings {
      if (cached) return cached;
      const policy = DmPolicy.safeParse(get.get('studentDmPolicy')?.value);
      cached = {
        workspaceName: get.get('workspaceName')?.value ?? defaults.workspaceName,
        studentDmPolicy: policy.success ? policy.data : defaults.studentDmPolicy,
      };
      return cached;
    },
    write(s: {
      workspaceName?: string | undefined;
      studentDmPolicy?: WorkspaceSettings['studentDmPolicy'] | undefined;
    }): void {
      if (s.workspaceName !== undefined) set.run('workspaceName', s.workspaceName);
      if (s.studentDmPolicy !== undefined) set.run('studentDmPolicy', s.studentDmPolicy);
      cached = null;
    },
  };
}
