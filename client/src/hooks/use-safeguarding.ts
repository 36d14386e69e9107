import { useEffect, useState } from 'react';
import { useEngine, useEngineVersion } from './engine-context.tsx';

/**
 * Whether this person is a safeguarding lead, and how many queue items are open: read from the server
 * when the app starts and again at each safeguarding-changed notice (sent to leads only). `null` until
 * known (offline, or the first answer still on its way). The server decides; this only shows the way in.
 */
export type SafeguardingSummary = { lead: boolean; open: number };

/** The last answer, by person: a remount shows it at once; another person signing in starts afresh. */
let last: { userId: string; summary: SafeguardingSummary } | null = null;

export function useSafeguarding(): SafeguardingSummary | null {
  const engine = useEngine();
  useEngineVersion();
  const changed = engine.safeguardingVersion();
  const userId = engine.me()?.id ?? '';
  const [summary, setSummary] = useState<SafeguardingSummary | null>(
    last?.userId === userId ? last.summary : null,
  );
  useEffect(() => {
    let alive = true;
    void fetch('/api/safeguarding/summary', { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<SafeguardingSummary>) : null))
      .then((s) => {
        if (!alive || !s || typeof s.lead !== 'boolean' || typeof s.open !== 'number') return;
        last = { userId, summary: { lead: s.lead, open: s.open } };
        setSummary(last.summary);
      })
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [changed, userId]);
  return summary;
}
