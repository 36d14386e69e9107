import type { WorkspaceQuietHours, WorkspaceSettings } from '@commonroom/protocol';
import { z } from 'zod';
import type { AsyncSettingsStore } from '../settings-async.ts';
import { quietHoursFrom, settingChanges, settingsFrom } from '../settings.ts';
import { inTransaction, type PgClient, type PgPool } from './pool.ts';
import { type CacheSwitch, createReadCache, writeDropping } from './read-cache.ts';

const Row = z.object({ key: z.string(), value: z.string() });

const DAY_MS = 86_400_000;

/**
 * Workspace settings on PostgreSQL (docs/SCALE-OUT.md §2, §3), for migration 4 of pg/migrations.ts: one row
 * per key, read by the SQLite store's rules (settings.ts). Kept per process and dropped on write. A write
 * runs in one transaction that first locks the table against other writers (readers are not blocked), then
 * reads the stored values, so the changes it reports for the audit log are against what two processes
 * writing at once actually stored, never against a stale cache. `caching` is the invalidation wiring's
 * switch (invalidation-wiring.ts).
 */
export type PgSettingsStore = AsyncSettingsStore & CacheSwitch;

export function createPgSettingsStore(pool: PgPool, defaults: WorkspaceSettings): PgSettingsStore {
  const settings = createReadCache<WorkspaceSettings>(1);
  const quiet = createReadCache<WorkspaceQuietHours>(1);
  const drop = (): void => {
    settings.clear();
    quiet.clear();
  };
  const stored = async (q: PgPool | PgClient): Promise<Map<string, string>> => {
    const r = await q.query('SELECT key, value FROM settings');
    return new Map(r.rows.map((row) => Row.parse(row)).map((row) => [row.key, row.value]));
  };
  const set = (tx: PgClient, key: string, value: string) =>
    tx.query(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  /** A write under the table lock: SHARE ROW EXCLUSIVE conflicts with itself, not with plain reads. */
  const locked = <T>(f: (tx: PgClient, now: Map<string, string>) => Promise<T>): Promise<T> =>
    writeDropping(drop, () =>
      inTransaction(pool, async (tx) => {
        await tx.query('LOCK TABLE settings IN SHARE ROW EXCLUSIVE MODE');
        return f(tx, await stored(tx));
      }),
    );
  const read = (): Promise<WorkspaceSettings> =>
    settings.through('', async () => {
      const s = await stored(pool);
      return settingsFrom((key) => s.get(key), defaults);
    });
  return {
    read,
    quietHours: () =>
      quiet.through('', async () => {
        const r = await pool.query('SELECT value FROM settings WHERE key = $1', ['quietHours']);
        return quietHoursFrom(r.rows[0] === undefined ? undefined : Row.shape.value.parse(r.rows[0].value));
      }),
    writeQuietHours: (next) =>
      locked(async (tx, s) => {
        const old = quietHoursFrom(s.get('quietHours'));
        if (JSON.stringify(old) === JSON.stringify(next)) return null;
        await set(tx, 'quietHours', JSON.stringify(next));
        return { from: old, to: next };
      }),
    sessionTtlMs: async () => (await read()).sessionLengthDays * DAY_MS,
    write: (patch) =>
      locked(async (tx, s) => {
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        for (const { key, stored: value, change } of settingChanges(
          settingsFrom((k) => s.get(k), defaults),
          patch,
        )) {
          await set(tx, key, value);
          changes[key] = change;
        }
        return changes;
      }),
    drop,
    caching(on) {
      settings.caching(on);
      quiet.caching(on);
    },
  };
}
