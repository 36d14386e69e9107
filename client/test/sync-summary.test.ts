import type { SyncStatus } from '@commonroom/engine';
import { describe, expect, it } from 'vitest';
import { syncSummary, waitingWords } from '../src/features/sync-summary.ts';

const base: SyncStatus = {
  connection: 'online',
  waiting: 0,
  waitingMessages: 0,
  saving: 0,
  rejected: 0,
  lastSyncedAt: null,
  updateNeeded: false,
  slowedUntil: null,
};

describe('the sync line says what waits and why (P10, P12)', () => {
  it('P12: messages held back by slow-down are shown as waiting, with when they go again', () => {
    const now = 1_000_000;
    const slowed = { ...base, waiting: 12, waitingMessages: 12, slowedUntil: now + 4_200 };
    expect(syncSummary(slowed, now)).toEqual({
      text: 'Sending… · 12 messages waiting · sending too fast, retrying in 5 s',
      tone: 'busy',
    });
    // Never "not sent": the messages are not refused, only delayed.
    expect(syncSummary(slowed, now).text).not.toMatch(/not sent/);
  });

  it('says the usual things otherwise', () => {
    expect(syncSummary(base, 0)).toEqual({ text: 'Online', tone: 'ok' });
    expect(syncSummary({ ...base, waiting: 2, waitingMessages: 2 }, 0).text).toBe(
      'Sending… · 2 messages waiting',
    );
    expect(
      syncSummary({ ...base, connection: 'offline', waiting: 3, waitingMessages: 1, rejected: 1 }, 0),
    ).toEqual({ text: 'Offline · 1 message and 2 changes waiting · 1 not sent', tone: 'off' });
  });

  it('counts a message waiting for its files as a message waiting, and a refused upload as not sent (issue 17)', () => {
    const offline = { ...base, connection: 'offline' as const, waiting: 2, waitingMessages: 1 };
    expect(syncSummary(offline, 0, { count: 2, failed: 1 })).toEqual({
      text: 'Offline · 3 messages and 1 change waiting · 1 not sent',
      tone: 'off',
    });
    expect(syncSummary(base, 0, { count: 1, failed: 0 }).text).toBe('Sending… · 1 message waiting');
  });

  it('names messages and changes apart, singular and plural right (issue 18)', () => {
    expect(waitingWords(3, 2)).toBe('3 messages and 2 changes waiting');
    expect(waitingWords(1, 1)).toBe('1 message and 1 change waiting');
    expect(waitingWords(0, 5)).toBe('5 changes waiting');
    expect(waitingWords(1, 0)).toBe('1 message waiting');
  });
});
