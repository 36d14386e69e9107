import { useEffect, useRef, type KeyboardEvent } from 'react';

/** Common emoji with the names a screen reader says. Enough for reactions; typed emoji work too. */
const COMMON: readonly (readonly [string, string])[] = [
  ['👍', 'thumbs up'],
  ['❤️', 'heart'],
  ['😂', 'laughing'],
  ['🎉', 'party'],
  ['👏', 'clapping'],
  ['🙏', 'thank you'],
  ['😊', 'smile'],
  ['🤔', 'thinking'],
  ['👀', 'eyes'],
  ['✅', 'done'],
  ['🔥', 'fire'],
  ['💯', 'hundred'],
  ['😢', 'sad'],
  ['😮', 'surprised'],
  ['🙌', 'hooray'],
  ['📚', 'books'],
  ['👋', 'wave'],
  ['😅', 'phew'],
  ['🤝', 'handshake'],
  ['💪', 'strong'],
  ['⭐', 'star'],
  ['❓', 'question'],
  ['❗', 'important'],
  ['👌', 'OK'],
];
const NAMES = new Map(COMMON);
const RECENT_KEY = 'commonroom.recentEmoji';

export function recentEmoji(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string').slice(0, 8) : [];
  } catch {
    return [];
  }
}

export function rememberEmoji(e: string): void {
  try {
    localStorage.setItem(
      RECENT_KEY,
      JSON.stringify([e, ...recentEmoji().filter((x) => x !== e)].slice(0, 8)),
    );
  } catch {
    // Private browsing or a full quota: recents are a nicety.
  }
}

/**
 * A small grid of recent and common emoji. Arrow keys move between them, Escape closes; the first one
 * takes focus so the keyboard can start at once.
 */
export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const recent = recentEmoji();
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
  }, []);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 6, ArrowUp: -6 }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const all = [...(ref.current?.querySelectorAll('button') ?? [])];
    const i = all.indexOf(document.activeElement as HTMLButtonElement);
    all[Math.max(0, Math.min(all.length - 1, i + step))]?.focus();
  };

  const pick = (emoji: string) => {
    rememberEmoji(emoji);
    onPick(emoji);
  };
  const grid = (label: string, list: readonly string[]) => (
    <div role="group" aria-label={label} className="emoji-grid">
      {list.map((emoji) => (
        <button
          type="button"
          key={emoji}
          aria-label={NAMES.get(emoji) ?? emoji}
          title={NAMES.get(emoji) ?? emoji}
          onClick={() => pick(emoji)}
        >
          {emoji}
        </button>
      ))}
    </div>
  );

  return (
    <div className="emoji-popover" ref={ref} onKeyDown={onKey} role="dialog" aria-label="Choose an emoji">
      {recent.length > 0 && grid('Recently used', recent)}
      {grid('Common', [...NAMES.keys()])}
    </div>
  );
}
