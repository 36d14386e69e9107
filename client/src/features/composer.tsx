import { LIMITS } from '@commonroom/protocol';
import { useRef, useState, type KeyboardEvent } from 'react';
import { useEngine, useEngineVersion } from '../hooks/engine-context.tsx';
import { ErrorText } from '../ui/error-text.tsx';

const COMMON_EMOJI = [
  '👍',
  '❤️',
  '😂',
  '🎉',
  '👏',
  '🙏',
  '😊',
  '🤔',
  '👀',
  '✅',
  '🔥',
  '💯',
  '😢',
  '😮',
  '🙌',
  '📚',
];

/**
 * Multi-line; Enter sends, Shift+Enter starts a new line. The text is saved on this device before the box
 * clears, so nothing typed is lost when offline. An emoji picker and @mention suggestions from the directory.
 */
export function Composer({ conversationId, placeholder }: { conversationId: string; placeholder: string }) {
  const engine = useEngine();
  useEngineVersion();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [emojiOpen, setEmojiOpen] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);

  const query = /(^|\s)@([\w.-]*)$/.exec(text)?.[2];
  const suggestions =
    query === undefined
      ? []
      : engine
          .directory()
          .filter((u) => u.id !== engine.me()?.id)
          .filter(
            (u) =>
              (u.username ?? u.displayName).toLowerCase().startsWith(query.toLowerCase()) ||
              u.displayName.toLowerCase().startsWith(query.toLowerCase()),
          )
          .slice(0, 6);

  const insert = (s: string) => {
    const el = box.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    setText(text.slice(0, start) + s + text.slice(end));
    el?.focus();
  };

  const send = async () => {
    const body = text.trim();
    if (!body) return;
    if (body.length > LIMITS.maxMessageChars) {
      setError(`Messages can be up to ${LIMITS.maxMessageChars.toLocaleString()} characters.`);
      return;
    }
    // Clear at once, so whatever is typed next is never wiped by this send finishing; put the text back if
    // it could not be saved.
    setText('');
    setError(null);
    try {
      await engine.send(conversationId, body);
    } catch {
      setText((current) => (current ? `${body}\n${current}` : body));
      setError('This message could not be saved on this device. Please try again.');
    }
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {suggestions.length > 0 && (
        <ul className="suggestions" role="listbox" aria-label="People to mention">
          {suggestions.map((u) => (
            <li key={u.id}>
              <button
                type="button"
                role="option"
                aria-selected="false"
                onClick={() =>
                  setText(text.replace(/@([\w.-]*)$/, `@${u.username ?? u.displayName.split(' ')[0] ?? ''} `))
                }
              >
                {u.displayName} {u.username && <span className="muted">@{u.username}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      <label className="visually-hidden" htmlFor="composer-input">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={box}
        rows={2}
        value={text}
        placeholder={placeholder}
        onChange={(e) => {
          setText(e.target.value);
          const t = Date.now();
          if (t - lastTyping.current > 3000) {
            lastTyping.current = t;
            engine.typing(conversationId);
          }
        }}
        onKeyDown={onKey}
      />
      <div className="composer-tools">
        <button
          type="button"
          className="icon-button"
          aria-label="Insert emoji"
          aria-expanded={emojiOpen}
          onClick={() => setEmojiOpen(!emojiOpen)}
        >
          😊
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label="Mention someone"
          onClick={() => insert('@')}
        >
          @
        </button>
        <button type="submit" className="primary send" disabled={text.trim().length === 0}>
          Send
        </button>
      </div>
      {emojiOpen && (
        <div className="emoji-picker" role="group" aria-label="Emoji">
          {COMMON_EMOJI.map((e) => (
            <button
              type="button"
              key={e}
              onClick={() => {
                insert(e);
                setEmojiOpen(false);
              }}
            >
              {e}
            </button>
          ))}
        </div>
      )}
      <ErrorText message={error} />
    </form>
  );
}
