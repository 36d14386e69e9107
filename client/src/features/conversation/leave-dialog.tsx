import type { Conversation } from '@commonroom/protocol';
import { useState } from 'react';
import { useEngine } from '../../hooks/engine-context.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';

/**
 * "Leave #x?" asked before leaving (issue 18): a private channel cannot be joined again without a
 * member adding you, so it says so before, not after. Leaving needs the server (it changes membership).
 */
export function LeaveDialog({
  conversation: c,
  onClose,
  onLeft,
}: {
  conversation: Conversation;
  onClose: () => void;
  onLeft: () => void;
}) {
  const engine = useEngine();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = `#${c.name ?? ''}`;
  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await engine.leave(c.id);
      onLeft();
    } catch {
      setError('You need to be online to leave a channel. Nothing was changed.');
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Leave ${name}?`} onClose={onClose}>
      {c.kind === 'private' ? (
        <p className="leave-warning" data-testid="leave-warning">
          <strong>{name} is private.</strong> Once you leave you can’t join it again yourself: a member will
          have to add you back.
        </p>
      ) : (
        <p>You’ll stop getting its messages. You can join it again any time from Browse channels.</p>
      )}
      <ErrorText message={error} />
      <div className="dialog-buttons">
        <button type="button" className="danger" disabled={busy} onClick={() => void leave()}>
          {busy ? 'Leaving…' : `Leave ${name}`}
        </button>
        <button type="button" onClick={onClose}>
          Stay
        </button>
      </div>
    </Dialog>
  );
}
