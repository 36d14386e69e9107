import type { Engine } from '@commonroom/engine';
import { useState, type FormEvent } from 'react';
import { ErrorText } from '../../ui/error-text.tsx';
import { problem, removeItemMessage } from './safeguarding-api.ts';

/**
 * "Remove for everyone" on an item (issue 14 §3): the message becomes "Removed by a moderator" in its
 * conversation and its words leave every device on its next contact (PROTOCOL P16); the original stays in
 * the safeguarding store, shown on this page. Asks for a reason first: it is kept with the removal, in the
 * audit log and as a note on the item.
 */
export function RemoveCard(props: {
  engine: Engine;
  itemId: number;
  removed: boolean;
  /** Whether the message is still on the server at all. */
  present: boolean;
  onDone: (said: string) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await removeItemMessage(props.engine, props.itemId, reason.trim());
      setAsking(false);
      props.onDone(
        r.removed
          ? 'Removed for everyone. Its words are gone from every device the next time it connects; the original is kept here.'
          : 'It was already removed.',
      );
    } catch (err) {
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="admin-card" aria-labelledby="remove-title">
      <h2 id="remove-title">{props.removed ? 'Removed for everyone' : 'Remove for everyone'}</h2>
      {!props.present ? (
        <p className="muted">The message is no longer on the server.</p>
      ) : props.removed ? (
        <p className="muted">
          People see “Removed by a moderator” in its place, and its words are gone from their devices. The
          original is kept on this page.
        </p>
      ) : asking ? (
        <form className="admin-form tight" onSubmit={(e) => void submit(e)}>
          <p>
            Everyone in the conversation will see “Removed by a moderator” in its place, its author included,
            and its words leave their phones and computers. This cannot be undone. The original stays here.
          </p>
          <label>
            Reason (kept in the audit log)
            <textarea
              rows={2}
              maxLength={500}
              required
              value={reason}
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
          <ErrorText message={error} />
          <div className="dialog-buttons">
            <button type="submit" className="danger" disabled={busy || reason.trim() === ''}>
              Remove for everyone
            </button>
            <button type="button" onClick={() => setAsking(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <p className="muted">Take it out of the conversation and off every device.</p>
          <div>
            <button type="button" onClick={() => setAsking(true)}>
              Remove for everyone…
            </button>
          </div>
        </>
      )}
    </section>
  );
}
