import type { ReportReason } from '@commonroom/protocol';
import type * as z from 'zod/mini';
import { ApiError, NetworkError, type ApiClient } from './api-client.ts';
import type { EngineStorage } from './storage.ts';

/**
 * Reports of a concern (issue 14 §2), kept on the device until the server has them. A report is not a
 * document change: it goes by HTTP POST with an id made here when it was written, so a resend after a lost
 * answer files nothing twice (the server keys reports by that id). Kept in the engine's storage, it
 * survives the app closing; it is sent at once when online, and again each time the connection returns.
 */
export type PendingReport = {
  id: string;
  conversationId: string;
  authorId: string;
  localId: string;
  reason: ReportReason;
  detail: string;
  createdAt: number;
};

export const REPORTS_KEY = 'safeguarding-reports';
const KEY = REPORTS_KEY;

export type ReportQueue = ReturnType<typeof createReportQueue>;

export function createReportQueue(d: {
  storage: EngineStorage;
  api: ApiClient;
  newId: () => string;
  now: () => number;
  /**
   * The answer's schema (`{ ok: true }`), given by the engine: the protocol's ReportReply would bring every
   * safeguarding schema into the PWA's first screen, and a zod import here would split its chunks anew.
   */
  ok: z.ZodMiniType;
  /** Hears the number of reports waiting on the device whenever it changes. */
  changed: (pending: number) => void;
}) {
  /** One flush at a time: two would send the same report twice (harmless, but wasteful). */
  let flushing: Promise<void> | null = null;
  let pending = -1;

  const load = async (): Promise<PendingReport[]> => {
    const v = await d.storage.getMeta(KEY);
    return Array.isArray(v) ? (v as PendingReport[]) : [];
  };
  const save = async (list: PendingReport[]): Promise<void> => {
    await d.storage.setMeta(KEY, list);
    if (pending !== list.length) {
      pending = list.length;
      d.changed(pending);
    }
  };

  const flushOnce = async (): Promise<void> => {
    for (const r of await load()) {
      try {
        await d.api.request('POST', '/api/safeguarding/reports', d.ok, r);
      } catch (e) {
        // Offline: everything waits for the next connection. A refusal (the message is gone, a bad
        // request) will not change by sending again: the report is dropped rather than retried forever.
        if (e instanceof NetworkError) return;
        if (!(e instanceof ApiError) || e.status >= 500) return;
      }
      await save((await load()).filter((x) => x.id !== r.id));
    }
  };

  return {
    /**
     * Keeps the report on the device, then tries to send it. Resolves with `sent: false` when it waits
     * for the connection (the app says it will be sent when back online).
     */
    async report(r: Omit<PendingReport, 'id' | 'createdAt'>): Promise<{ sent: boolean }> {
      const entry: PendingReport = { ...r, id: d.newId(), createdAt: d.now() };
      await save([...(await load()), entry]);
      await this.flush();
      return { sent: !(await load()).some((x) => x.id === entry.id) };
    },
    async flush(): Promise<void> {
      while (flushing) await flushing;
      flushing = flushOnce().finally(() => {
        flushing = null;
      });
      await flushing;
    },
  };
}
