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

/**
 * A report the server refused (P15): the message is gone, or the reporter can no longer read it. Kept on
 * the device until the person dismisses it, so they learn their concern did not reach anyone (a report
 * dropped silently would leave them believing it had). `code` is the server's (`no-such-message` when the
 * message is gone), `words` its sentence.
 */
export type RefusedReport = PendingReport & { refusedAt: number; code: string; words: string };

export const REPORTS_KEY = 'safeguarding-reports';
export const REFUSED_REPORTS_KEY = 'safeguarding-reports-refused';
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

  /** Refused reports as last read or written (null: not read yet), and who listens for changes. */
  let refusedNow: RefusedReport[] | null = null;
  const listeners = new Set<() => void>();
  const loadRefused = async (): Promise<RefusedReport[]> => {
    if (refusedNow) return refusedNow;
    const v = await d.storage.getMeta(REFUSED_REPORTS_KEY);
    return (refusedNow = Array.isArray(v) ? (v as RefusedReport[]) : []);
  };
  const saveRefused = async (list: RefusedReport[]): Promise<void> => {
    await d.storage.setMeta(REFUSED_REPORTS_KEY, list);
    refusedNow = list;
    for (const l of listeners) l();
  };

  const flushOnce = async (): Promise<void> => {
    for (const r of await load()) {
      try {
        await d.api.request('POST', '/api/safeguarding/reports', d.ok, r);
      } catch (e) {
        // Offline, a server error, a session that ended (401: sign in again, the report still waits) or
        // too many requests (429): everything waits for the next connection.
        if (e instanceof NetworkError) return;
        if (!(e instanceof ApiError) || e.status >= 500 || e.status === 401 || e.status === 429) return;
        // A refusal (the message is gone, a bad request) will not change by sending again: the report
        // leaves the queue, and the person is told until they dismiss it (P15). Kept before it is taken
        // out of the queue, so a crash between the two can only tell them twice, never not at all.
        const refused: RefusedReport = { ...r, refusedAt: d.now(), code: e.code, words: e.message };
        await saveRefused([...(await loadRefused()).filter((x) => x.id !== r.id), refused]);
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
    /** Reports the server refused, kept (across restarts) until the person dismisses them (P15). */
    refused: loadRefused,
    /** Hears every change of the refused reports; returns the way to stop. */
    onRefused(l: () => void): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    /** The person read that a report was refused: it is forgotten. */
    async dismiss(id: string): Promise<void> {
      await saveRefused((await loadRefused()).filter((x) => x.id !== id));
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
