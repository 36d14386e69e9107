import type { RefusedReport } from '@commonroom/engine';
import { useEffect, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { navigate } from '../hooks/use-path.ts';
import type { SafeguardingSummary } from '../hooks/use-safeguarding.ts';
import { RefusedReports } from './refused-reports.tsx';
import { NewItemNotice } from './safeguarding/new-item-notice.tsx';
import './floating-notices.css';

/**
 * Notices that must reach the person wherever they are in the conversations and stay until they act on
 * them: a report of theirs the server refused (P15), and, for a safeguarding lead, a new item in the queue
 * (issue 14 §2). Loaded just after the first screen (lazy), so its JavaScript does not grow.
 */
export function FloatingNotices(props: { safeguarding: SafeguardingSummary | null }) {
  const engine = useEngine();
  const [refused, setRefused] = useState<readonly RefusedReport[]>([]);
  useEffect(() => {
    let stop = (): void => undefined;
    let alive = true;
    // The report queue is loaded here (its code too): it reads the refused reports this device keeps.
    // A first visit that went offline before the service worker stored its code: tried again once online.
    const load = (): void =>
      void engine.reports
        .queue()
        .then(async (q) => {
          if (!alive) return;
          const read = () => void q.refused().then((list) => alive && setRefused(list));
          stop = q.onRefused(read);
          read();
        })
        .catch(() => window.addEventListener('online', load, { once: true }));
    load();
    return () => {
      alive = false;
      window.removeEventListener('online', load);
      stop();
    };
  }, [engine]);

  // The newest item when the app first asked is the baseline: only what arrives after it is news. Opening
  // or dismissing a notice moves the line up to that item.
  const s = props.safeguarding;
  const [dismissed, setDismissed] = useState(0);
  const seen = s?.lead ? Math.max(s.baseline, dismissed) : null;
  const fresh = s?.latest && seen !== null && s.latest.id > seen ? s.latest : null;

  if (!fresh && refused.length === 0) return null;
  return (
    <div className="floating-notices">
      {fresh && (
        <NewItemNotice
          kind={fresh.kind}
          open={s?.open ?? 0}
          onOpen={() => {
            setDismissed(fresh.id);
            navigate('/safeguarding');
          }}
          onDismiss={() => setDismissed(fresh.id)}
        />
      )}
      <RefusedReports
        list={refused}
        nameOf={(id) => engine.user(id)?.displayName}
        onDismiss={(id) => void engine.reports.queue().then((q) => q.dismiss(id))}
      />
    </div>
  );
}
