import { DmPolicy, type WorkspaceSettings } from '@commonroom/protocol';
import type { Db } from './db.ts';

export type SettingsStore = ReturnType<typeof createSettingsStore>;

export function createSettingsStore(db: Db, defaults: WorkspaceSettings) {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  );
  return {
    read(): WorkspaceSettings {
      const policy = DmPolicy.safeParse(get.get('studentDmPolicy')?.value);
      return {
        workspaceName: get.get('workspaceName')?.value ?? defaults.workspaceName,
        studentDmPolicy: policy.success ? policy.data : defaults.studentDmPolicy,
      };
    },
    write(s: {
      workspaceName?: string | undefined;
      studentDmPolicy?: WorkspaceSettings['studentDmPolicy'] | undefined;
    }): void {
      if (s.workspaceName !== undefined) set.run('workspaceName', s.workspaceName);
      if (s.studentDmPolicy !== undefined) set.run('studentDmPolicy', s.studentDmPolicy);
    },
  };
}
