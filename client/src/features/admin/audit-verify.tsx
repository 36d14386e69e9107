import type { AuditVerifyReply } from '@commonroom/protocol';
import { useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { problem } from './admin-api.ts';
import { verifyAudit } from './audit-api.ts';

const count = (n: number): string => `${n.toLocaleString('en-GB')} ${n === 1 ? 'entry' : 'entries'}`;

/**
 * "Verify the chain" (issue 14 §6): the server re-reads the whole log and checks that every entry is linked
 * to the one before it. The answer in plain words: intact, with the newest entry's fingerprint to note down
 * elsewhere; or the first entry that does not fit and what that means.
 */
export function AuditVerify() {
  const engine = useEngine();
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<AuditVerifyReply | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await verifyAudit(engine));
    } catch (e) {
      setError(problem(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="audit-verify">
      <button type="button" onClick={() => void run()} disabled={busy} aria-describedby="verify-hint">
        {busy ? 'Checking…' : 'Verify the chain'}
      </button>
      <span className="visually-hidden" id="verify-hint">
        Checks that no entry of the audit log was changed or removed.
      </span>
      <div role="status" className="audit-verify-result">
        {report?.ok === true && (
          <p className="admin-result verify-ok">
            <strong>The audit log is intact.</strong> {count(report.count)} checked, each linked to the one
            before it. Newest entry’s fingerprint:{' '}
            <code title={report.head}>{report.head.slice(0, 16)}…</code>
          </p>
        )}
        {report?.ok === false && (
          <p className="verify-broken">
            <strong>The audit log has been tampered with at entry {report.brokenAt}.</strong>{' '}
            {report.reason.charAt(0).toUpperCase() + report.reason.slice(1)}. The {count(report.count)} before
            it are intact. Tell your safeguarding lead and keep a copy of the database as it is.
          </p>
        )}
        {error && <p className="error">{error}</p>}
      </div>
    </div>
  );
}
