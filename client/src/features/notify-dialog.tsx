import { NetworkError } from '@commonroom/engine';
import { NotifyPrefsReply, type Conversation, type ConversationNotify } from '@commonroom/protocol';
import { useEffect, useId, useState } from 'react';
import { useEngine } from '../hooks/engine-context.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { ErrorText } from '../ui/error-text.tsx';
import './notify.css';

/** How a person's own level reads, after "Use my default". */
export const LEVEL_WORDS = {
  all: 'all new messages',
  mentions: 'mentions and direct messages',
  nothing: 'nothing',
} as const;

const CHOICES: { value: ConversationNotify; label: string; hint: string }[] = [
  { value: 'default', label: 'Use my default', hint: 'As set on your profile page.' },
  { value: 'all', label: 'All new messages', hint: 'Every message here.' },
  {
    value: 'mentions',
    label: 'Mentions only',
    hint: 'When someone mentions you, or replies in a thread you are in.',
  },
  {
    value: 'muted',
    label: 'Muted',
    hint: 'No notifications from here. Its unread messages are left out of the count on the app’s icon and tab.',
  },
];

/**
 * One conversation's notifications (issue 15 §2), from the bell in its header. Lazy: opened now and then.
 * The choice is kept on the server (it decides what to push) and comes back with the conversation list, so
 * the app shows it offline; changing it needs the network, which the dialog says.
 */
export function NotifyDialog({
  conversation: c,
  onClose,
}: {
  conversation: Conversation;
  onClose: () => void;
}) {
  const engine = useEngine();
  const id = useId();
  const [choice, setChoice] = useState<ConversationNotify>(c.notify ?? 'default');
  const [level, setLevel] = useState<keyof typeof LEVEL_WORDS | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let alive = true;
    engine.api
      .request('GET', '/api/me/notifications', NotifyPrefsReply)
      .then((p) => alive && setLevel(p.level))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [engine]);

  const save = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await engine.setNotify(c.id, choice);
      onClose();
    } catch (err) {
      setProblem(
        err instanceof NetworkError
          ? 'You are offline. Changing notifications needs the network: try again when connected.'
          : err instanceof Error && err.message
            ? err.message
            : 'That did not work. Please try again.',
      );
      setBusy(false);
    }
  };
  const where = c.kind === 'dm' ? 'this conversation' : `#${c.name ?? ''}`;
  return (
    <Dialog title={`Notifications for ${where}`} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset className="notify-choices">
          <legend className="visually-hidden">Notify me of</legend>
          {CHOICES.map((x) => (
            <label key={x.value} className="notify-choice">
              <input
                type="radio"
                name={`${id}-notify`}
                value={x.value}
                checked={choice === x.value}
                onChange={() => setChoice(x.value)}
              />
              <span>
                <strong>{x.label}</strong>
                <span className="hint">
                  {x.value === 'default' && level
                    ? `Now ${LEVEL_WORDS[level]}, as set on your profile page.`
                    : x.hint}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        <p className="notify-note">Saved for all your devices. Changing it needs the network.</p>
        <ErrorText message={problem} />
        <div className="dialog-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
