import { useEffect, useState } from 'react';
import { attachmentsFor } from '../../attachments/attachments.ts';
import { pendingUploads, subscribePendingUploads } from '../../attachments/pending-count.ts';
import { useEngine } from '../../hooks/engine-context.tsx';
import { fileSize } from '../attachments/file-limits.ts';

const MB = 1024 * 1024;
/** Choices for the offline copies of files; 200 MB unless the person picks another. */
const BUDGETS = [0, 50, 100, 200, 500, 1000].map((n) => n * MB);

type Usage = { total: number | null; cached: number; budget: number; waiting: number; waitingBytes: number };

/**
 * What Commonroom keeps on this device (issue 17): everything stored (the browser's estimate), files waiting
 * to send, and the offline copies of photos and files within the budget the person sets here.
 */
export function DeviceStorageCard() {
  const engine = useEngine();
  const { cache } = attachmentsFor(engine);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    const a = cache.subscribe(() => setN((x) => x + 1));
    const b = subscribePendingUploads(() => setN((x) => x + 1));
    return () => {
      a();
      b();
    };
  }, [cache]);
  useEffect(() => {
    let alive = true;
    void (async () => {
      const estimate = await navigator.storage?.estimate?.().catch(() => null);
      const [cached, budget] = await Promise.all([cache.used(), cache.budget()]);
      const p = pendingUploads();
      if (alive)
        setUsage({
          total: estimate?.usage ?? null,
          cached,
          budget,
          waiting: p.count + p.failed,
          waitingBytes: p.bytes,
        });
    })();
    return () => {
      alive = false;
    };
  }, [cache, n]);

  return (
    <section className="profile-card" aria-labelledby="device-storage-title">
      <h2 id="device-storage-title">Storage on this device</h2>
      {usage === null ? (
        <p>Checking…</p>
      ) : (
        <ul className="storage-lines" data-testid="device-storage">
          {usage.total !== null && <li>Commonroom uses {fileSize(usage.total)} on this device in all.</li>}
          <li>
            {usage.waiting === 0
              ? 'No files are waiting to send.'
              : `${usage.waiting} ${usage.waiting === 1 ? 'message' : 'messages'} with files not sent yet: ${fileSize(usage.waitingBytes)}.`}
          </li>
          <li>
            Photos and files saved for offline viewing: {fileSize(usage.cached)} of{' '}
            {usage.budget === 0 ? 'none allowed' : fileSize(usage.budget)}.
          </li>
        </ul>
      )}
      <label>
        Keep photos and files you open for offline viewing
        <select
          value={usage?.budget ?? 200 * MB}
          onChange={(e) => void cache.setBudget(Number(e.target.value))}
        >
          {BUDGETS.map((b) => (
            <option key={b} value={b}>
              {b === 0 ? 'Keep none' : `Keep ${fileSize(b)} on this device`}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">
        Thumbnails of your recent conversations are kept too, while there is room and you are not saving data.
        When it is full, they make room first, then the ones you opened longest ago. Files waiting to send are
        always kept.
      </p>
      <div>
        <button type="button" disabled={!usage || usage.cached === 0} onClick={() => void cache.clear()}>
          Remove saved files
        </button>
      </div>
    </section>
  );
}
