import { LIMITS } from '@commonroom/protocol';
import { useState, type FormEvent } from 'react';
import { useEngine, useEngineVersion } from '../../hooks/engine-context.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { clockTime } from '../../ui/format.ts';
import { CLEAR_AFTER, PRESETS, statusEnd, type ClearAfter } from './status-times.ts';
import './status.css';

type Choice = { dnd: boolean; emoji: string; text: string; until: number };

/**
 * One's own status (issue 15 §3), from the sidebar: an emoji and words others see beside one's name, how
 * long they last, and do not disturb (no notifications on any device until it ends). The server keeps it,
 * so it holds on every device and while offline. Loaded when opened.
 */
export function StatusDialog({ onClose }: { onClose: () => void }) {
  const engine = useEngine();
  useEngineVersion();
  const current = engine.presenceOf(engine.me()?.id ?? '');
  const [emoji, setEmoji] = useState(current?.emoji ?? '');
  const [text, setText] = useState(current?.text ?? '');
  const [after, setAfter] = useState<ClearAfter>(current?.until ? 'today' : 'never');
  const [dnd, setDnd] = useState(current?.status === 'dnd');
  const [error, setError] = useState<string | null>(null);
  const synced = engine.status().lastSyncedAt;

  const save = (c: Choice) => {
    if (!engine.setStatus(c)) return setError('You are offline. Connect to change your status.');
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const words = text.trim();
    const set = dnd || emoji.trim() !== '' || words !== '';
    save({ dnd, emoji: emoji.trim(), text: words, until: set ? statusEnd(after, Date.now()) : 0 });
  };

  return (
    <Dialog title="Your status" onClose={onClose}>
      <form className="status-form" onSubmit={submit}>
        <ul className="status-presets" aria-label="Suggestions">
          {PRESETS.map((p) => (
            <li key={p.text}>
              <button
                type="button"
                className="status-preset"
                onClick={() => {
                  setEmoji(p.emoji);
                  setText(p.text);
                  setAfter(p.after);
                }}
              >
                <span aria-hidden="true">{p.emoji}</span> {p.text}
              </button>
            </li>
          ))}
        </ul>
        <div className="status-fields">
          <label>
            Emoji
            <input
              value={emoji}
              onChange={(e) => setEmoji(e.target.value)}
              maxLength={LIMITS.maxStatusEmojiLength}
            />
          </label>
          <label>
            What are you up to?
            <input
              value={text}
              onChange={(e) => setText(e.target.value)}
              maxLength={LIMITS.maxStatusTextLength}
              placeholder="In class until 3pm"
            />
          </label>
        </div>
        <label>
          Clear after
          <select value={after} onChange={(e) => setAfter(e.target.value as ClearAfter)}>
            {CLEAR_AFTER.map((o) => (
              <option key={o.key} value={o.key}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label className="status-dnd">
          <input type="checkbox" checked={dnd} onChange={(e) => setDnd(e.target.checked)} />
          <span>
            <strong>Do not disturb</strong>
            <span className="muted">No notifications on any of your devices until your status clears.</span>
          </span>
        </label>
        <ErrorText message={error} />
        <div className="dialog-buttons">
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={() => save({ dnd: false, emoji: '', text: '', until: 0 })}>
            Clear status
          </button>
        </div>
        {synced !== null && (
          <p className="muted status-synced">This device last synced at {clockTime(synced)}.</p>
        )}
      </form>
    </Dialog>
  );
}
