import { useEffect, useState } from 'react';
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
};

export function useSafeguarding(): SafeguardingSummary | null {
  const engine = useEngine();
  useEngineVersion();
  const changed = engine.safeguardingVersion();
  const [summary, setSummary] = useState<SafeguardingSummary | null>(null);
  useEffect(() => {
    fetch('/api/safeguarding/summary')
      .then((r) => (r.ok ? (r.json() as Promise<SafeguardingSummary>) : null))
      .then(
        (s) =>
          s &&
          typeof s.open === 'number' &&
          setSummary({ lead: s.lead === true, open: s.open, latest: s.latest ?? null }),
      )
      .catch(() => undefined);
  }, [changed]);
  return summary;
}
