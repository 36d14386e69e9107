import { useEffect, useRef, useState } from 'react';
import { useEngine, useEngineVersion } from './engine-context.tsx';

/**
 * Whether this person is a safeguarding lead, how many queue items are open, and the newest item: read
 * from the server when the app starts and again at each safeguarding-changed notice (sent to leads only).
 * `null` until known (offline, or the answer still on its way). The server decides; this only shows the
 * way in.
 */
export type SafeguardingSummary = {
  lead: boolean;
  open: number;
  latest: { id: number; kind: 'report' | 'keyword' } | null;
  /**
   * The newest item id in the first answer this app got: only what arrives after it is news. Kept here,
   * in the first screen's code, because the notice that uses it loads lazily and may mount after a new
   * item already arrived (then it would take that item as the baseline and never show it).
   */
  baseline: number;
};

export function useSafeguarding(): SafeguardingSummary | null {
  const engine = useEngine();
  useEngineVersion();
  const changed = engine.safeguardingVersion();
  // Notices reach only sockets open at the time: one sent while this device was connecting or away is
  // missed, so coming online asks again (a new report must still raise the lead's alert).
  const online = engine.status().connection === 'online';
  const [summary, setSummary] = useState<SafeguardingSummary | null>(null);
  const baseline = useRef<number | null>(null);
  const asked = useRef(0);
  useEffect(() => {
    // Answers can arrive out of order when notices come quickly: only the newest question's answer counts.
    const mine = ++asked.current;
    fetch('/api/safeguarding/summary')
      .then((r) => (r.ok ? (r.json() as Promise<Omit<SafeguardingSummary, 'baseline'>>) : null))
      .then((s) => {
        if (!s || typeof s.open !== 'number' || mine !== asked.current) return;
        const latest = s.latest ?? null;
        baseline.current ??= latest?.id ?? 0;
        setSummary({ lead: s.lead === true, open: s.open, latest, baseline: baseline.current });
      })
      .catch(() => undefined);
  }, [changed, online]);
  return summary;
}
