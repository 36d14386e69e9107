import { useId, useRef, type KeyboardEvent, type ReactNode, type ToggleEvent } from 'react';
import { MoreIcon } from '../../ui/icons.tsx';

export type MoreItem = {
  label: string;
  icon: ReactNode;
  act: () => void;
  /** Shown in the menu on a phone only: a desktop header has its own button for it. */
  phoneOnly?: boolean;
};

/**
 * A conversation's rarer actions behind "More" (issue 18): a phone header keeps only back, the name and
 * two buttons, so notifications, pinned messages and leaving live here; a desktop, with room, keeps its
 * buttons and lists only what has none (leaving). A native popover: the browser gives it Escape, closing
 * on a click elsewhere and focus back on its button; ↑ ↓ Home End move between its items, as in a menu.
 */
export function MoreMenu({ label, items }: { label: string; items: MoreItem[] }) {
  const id = useId();
  const menu = useRef<HTMLDivElement>(null);
  if (items.length === 0) return null;
  const everyItemPhoneOnly = items.every((i) => i.phoneOnly);

  const entries = () => [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
  const visible = () => entries().filter((b) => b.offsetParent !== null);
  const onToggle = (e: ToggleEvent<HTMLDivElement>) => {
    if (e.newState === 'open') visible()[0]?.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const list = visible();
    const i = list.indexOf(document.activeElement as HTMLButtonElement);
    const to =
      e.key === 'ArrowDown'
        ? (i + 1) % list.length
        : e.key === 'ArrowUp'
          ? (i - 1 + list.length) % list.length
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? list.length - 1
              : null;
    if (to === null) return;
    e.preventDefault();
    list[to]?.focus();
  };

  return (
    <>
      <button
        type="button"
        className={`icon-button head-icon more-button${everyItemPhoneOnly ? ' phone-only' : ''}`}
        popoverTarget={id}
        aria-label={label}
        aria-haspopup="menu"
        title={label}
      >
        <MoreIcon size={20} />
      </button>
      <div
        id={id}
        ref={menu}
        popover="auto"
        role="menu"
        aria-label={label}
        className="head-menu conversation-menu"
        onToggle={onToggle}
        onKeyDown={onKeyDown}
      >
        {items.map((item) => (
          <button
            key={item.label}
            type="button"
            role="menuitem"
            className={item.phoneOnly ? 'phone-only' : undefined}
            popoverTarget={id}
            popoverTargetAction="hide"
            onClick={item.act}
          >
            {item.icon}
            {item.label}
          </button>
        ))}
      </div>
    </>
  );
}
