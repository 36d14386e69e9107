import type { SyncStatus } from '@commonroom/engine';
import { describe, expect, it } from 'vitest';
import { syncSummary } from '../src/features/sync-summary.ts';

const base: SyncStatus = {
  connection: 'online',
  waiting: 0,
  saving: 0,
  rejected: 0,
  lastSyncedAt: null,
  updateNeeded: false,
  slowedUntil: null,
};

describe('the sync line says what waits and why (P10, P12)', () => {
  it('P12: messages held back by slow-down are shown as waiting, with when they go again', () => {
    const now = 1_000_000;
    expect(syncSummary({ ...base, waiting: 12, slowedUntil: now + 4_200 }, now)).toEqual({
      text: 'Sending… · 12 waiting · sending too fast, retrying in 5 s',
      tone: 'busy',
    });
    // Never "not sent": the messages are not refused, only delayed.
    expect(syncSummary({ ...base, waiting: 12, slowedUntil: now + 4_200 }, now).text).not.toMatch(/not sent/);
  });

  it('says the usual things otherwise', () => {
    expect(syncSummary(base, 0)).toEqual({ text: 'Online', tone: 'ok' });
    expect(syncSummary({ ...base, waiting: 2 }, 0).text).toBe('Sending… · 2 waiting');
    expect(syncSummary({ ...base, connection: 'offline', waiting: 3, rejected: 1 }, 0)).toEqual({
      text: 'Offline · 3 waiting · 1 not sent',
      tone: 'off',
    });
  });
});
