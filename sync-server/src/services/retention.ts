import type { RetentionSettings } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { Timers } from '../timers.ts';
import type { AuditLog } from '../storage/audit.ts';
import type { ExpiryCursor, RetentionStore } from '../storage/retention.ts';

/** One message whose content must leave every device. */
export type RedactTarget = {
  conversationId: string;
  authorId: string;
  localId: string;
  seq: number;
};

/**
 * Takes messages' content out of their authors' documents so it leaves every device, keeps pinned ones, and
 * resolves, with how many it redacted, once that is durable (the rooms own it: sync-rooms `redact`).
 */
export type Redact = (targets: readonly RedactTarget[], why: 'expired') => Promise<number>;

/** What one run did: counts only, never content (this is what the audit log records). */
export type RetentionRun = {
  channels: { expired: number; redacted: number };
  dms: { expired: number; redacted: number };
  safeguarding: { revisions: number; texts: number; cases: number };
};

const DAY_MS = 86_400_000;
export const RETENTION_EVERY_MS = 3_600_000;
export const RETENTION_BATCH = 200;

/** Lets the server answer requests between batches: a first run over years of history is long. */
const pause = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * The retention job (issue 14 §7, docs/THREAT_MODEL.md T16): at start and then every hour it hands the
 * messages past their conversation kind's period to `redact` (open cases kept, already redacted ones
 * skipped), then purges the safeguarding store past its own period: earlier texts, the server's copy of
 * messages (blanked, the row kept for ids and order) and closed cases. A run that removed anything is
 * audited with its counts. Runs never overlap; a failed run is logged and the next hour tries again.
 */
export function createRetentionJob(d: {
  store: RetentionStore;
  settings: () => RetentionSettings;
  redact: Redact;
  audit: AuditLog;
  log: Logger;
  now: () => number;
  timers: Timers;
  batch?: number;
  everyMs?: number;
}) {
  const batch = d.batch ?? RETENTION_BATCH;
  const everyMs = d.everyMs ?? RETENTION_EVERY_MS;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<RetentionRun> | null = null;
  let stopped = false;

  const expire = async (which: 'channels' | 'dms', days: number | null) => {
    const out = { expired: 0, redacted: 0 };
    if (days === null) return out;
    const cutoff = d.now() - days * DAY_MS;
    let from: ExpiryCursor | null = null;
    while (!stopped) {
      const rows = d.store.expired(which, cutoff, from, batch);
      if (rows.length === 0) break;
      out.expired += rows.length;
      out.redacted += await d.redact(
        rows.map((r) => ({
          conversationId: r.conversationId,
          authorId: r.authorId,
          localId: r.localId,
          seq: r.seq,
        })),
        'expired',
      );
      const last = rows[rows.length - 1];
      if (!last || rows.length < batch) break;
      from = { receivedAt: last.receivedAt, conversationId: last.conversationId, seq: last.seq };
      await pause();
    }
    return out;
  };

  /** Runs `step` in batches until a batch does less than a full batch's work. */
  const drain = async (step: (limit: number) => number): Promise<number> => {
    let total = 0;
    while (!stopped) {
      const n = step(batch);
      total += n;
      if (n < batch) break;
      await pause();
    }
    return total;
  };

  const runOnce = async (): Promise<RetentionRun> => {
    const s = d.settings();
    const channels = await expire('channels', s.channelsDays);
    const dms = await expire('dms', s.dmsDays);
    const safeguarding = { revisions: 0, texts: 0, cases: 0 };
    if (s.safeguardingDays !== null) {
      const cutoff = d.now() - s.safeguardingDays * DAY_MS;
      safeguarding.revisions = await drain((n) => d.store.purgeRevisions(cutoff, n));
      safeguarding.texts = await drain((n) => d.store.purgeTexts(cutoff, n));
      safeguarding.cases = await drain((n) => d.store.purgeClosedCases(cutoff, n));
    }
    const result: RetentionRun = { channels, dms, safeguarding };
    const removed =
      channels.redacted + dms.redacted + safeguarding.revisions + safeguarding.texts + safeguarding.cases;
    // Only a run that removed something is written down: an hourly "nothing to do" would bury the log.
    if (removed > 0) d.audit.record(null, 'retention.run', null, { ...result, settings: s });
    d.log.info({ retention: result }, 'retention run finished');
    return result;
  };

  /** One run now, or the one already going (never two at once). */
  const run = (): Promise<RetentionRun> => {
    running ??= runOnce().finally(() => {
      running = null;
    });
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = d.timers.setTimeout(() => {
      timer = null;
      run()
        .catch((err: unknown) => d.log.error({ err }, 'retention run failed'))
        .finally(schedule);
    }, everyMs);
  };

  return {
    run,
    /** A run at once, then one every hour. */
    start(): void {
      stopped = false;
      run()
        .catch((err: unknown) => d.log.error({ err }, 'retention run failed'))
        .finally(schedule);
    },
    /** No further runs; waits for one in progress to finish its current batch. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== null) d.timers.clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}

export type RetentionJob = ReturnType<typeof createRetentionJob>;
