import type { ExportFormat, ExportSubject } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { downloadExport } from './export-api.ts';

const FORMATS: { value: ExportFormat; label: string; hint: string }[] = [
  {
    value: 'html',
    label: 'Readable page (HTML)',
    hint: 'Opens in any browser and prints cleanly. For a case file, a meeting or a referral.',
  },
  {
    value: 'json',
    label: 'Data (JSON)',
    hint: 'Every detail in a documented, versioned format, for another system.',
  },
];

/**
 * Asks how and why before an export (issue 14 §7): the reason goes to the audit log with the lead's name
 * and the time, and into the file itself.
 */
export function ExportDialog(props: { subject: ExportSubject; what: string; onClose: () => void }) {
  const [format, setFormat] = useState<ExportFormat>('html');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      setDone(await downloadExport(props.subject, format, reason.trim()));
    } catch (err) {
      setError(err instanceof Error ? err.message : 'The export failed. Please try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Export ${props.what}`} onClose={props.onClose}>
      {done ? (
        <div className="admin-form tight">
          <p role="status">
            Downloaded <strong>{done}</strong>. The export was written to the audit log with your reason.
          </p>
          <p className="hint">
            It holds confidential safeguarding information: store and share it as your college’s policy says.
          </p>
          <div className="dialog-buttons">
            <button type="button" className="primary" onClick={props.onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <form className="admin-form tight sg-export-form" onSubmit={(e) => void submit(e)}>
          <fieldset className="sg-export-formats">
            <legend>Format</legend>
            {FORMATS.map((f) => (
              <label key={f.value} className={`choice${format === f.value ? ' chosen' : ''}`}>
                <input
                  type="radio"
                  name="export-format"
                  value={f.value}
                  checked={format === f.value}
                  onChange={() => setFormat(f.value)}
                />
                <span>
                  <strong>{f.label}</strong>
                  <span className="hint">{f.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <label>
            Why are you exporting this?
            <textarea
              rows={3}
              minLength={10}
              maxLength={1000}
              required
              value={reason}
              aria-describedby="export-reason-hint"
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
          <p className="hint" id="export-reason-hint">
            Your name, the time and this reason are written to the audit log and printed in the file.
          </p>
          <ErrorText message={error} />
          <div className="dialog-buttons">
            <button type="submit" className="primary" disabled={busy || reason.trim().length < 10}>
              {busy ? 'Preparing…' : 'Download'}
            </button>
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
