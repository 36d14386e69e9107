import type { EngineMessage } from '@commonroom/engine';
import { REPORT_REASONS, REPORT_REASON_LABELS, type ReportReason } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import './report-dialog.css';

/**
 * Report a concern about a message (issue 14 §2). The report is kept on this device until the server has
 * it (engine `reports`), so it works offline. Only the college's safeguarding leads read it; the person
 * who wrote the message is not told who reported it. Loaded when first opened.
 */
export function ReportDialog({
  m,
  conversationId,
  onClose,
}: {
  m: EngineMessage;
  conversationId: string;
  onClose: () => void;
}) {
  const engine = useEngine();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [detail, setDetail] = useState('');
  const [done, setDone] = useState<'sent' | 'queued' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const author = engine.user(m.authorId)?.displayName ?? 'this person';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason) return;
    setBusy(true);
    setError(null);
    try {
      const r = await engine.reports.report({
        conversationId,
        authorId: m.authorId,
        localId: m.localId,
        reason,
        detail: detail.trim(),
      });
      setDone(r.sent ? 'sent' : 'queued');
    } catch {
      setError('The report could not be saved on this device. Please try again.');
    } finally {
      setBusy(false);
    }
  };

  if (done)
    return (
      <Dialog title="Report received" onClose={onClose}>
        <p role="status" className="report-done">
          {done === 'sent'
            ? 'Thank you. Your college’s safeguarding team has your report and will look at it.'
            : 'Thank you. You are offline: your report is saved on this device and will be sent when you are back online.'}
        </p>
        <p className="muted">{author} is not told who reported the message.</p>
        <div className="dialog-buttons">
          <button type="button" className="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );

  return (
    <Dialog title="Report this message" onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="report-form">
        <blockquote className="report-quote">
          <strong>{author}</strong>
          <span>{m.text}</span>
        </blockquote>
        <fieldset>
          <legend>What is wrong?</legend>
          {REPORT_REASONS.map((r) => (
            <label key={r} className="report-reason">
              <input type="radio" name="report-reason" checked={reason === r} onChange={() => setReason(r)} />
              <span>{REPORT_REASON_LABELS[r]}</span>
            </label>
          ))}
        </fieldset>
        <label className="report-detail">
          Anything else we should know? (optional)
          <textarea rows={3} maxLength={1000} value={detail} onChange={(e) => setDetail(e.target.value)} />
        </label>
        <p className="muted">
          Only your college’s safeguarding team sees reports. {author} is not told who reported it.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!reason || busy}>
            Send report
          </button>
        </div>
      </form>
    </Dialog>
  );
}
