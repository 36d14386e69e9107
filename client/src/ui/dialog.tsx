import { useEffect, useId, useRef, type ReactNode } from 'react';
import { CloseIcon } from './icons.tsx';

/** Where a popover opens from: the element clicked (its box on screen). */
export type Anchor = { left: number; top: number; bottom: number };
export const anchorOf = (el: Element): Anchor => {
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, bottom: r.bottom };
};

/**
 * A modal built on <dialog>: focus moves in, Escape closes, focus returns to where it was. With an
 * `anchor`, on a screen wide enough (a desktop), it opens beside what was clicked, as a popover would,
 * over a lighter backdrop; on a phone it stays where the CSS puts it (a sheet, a centred card).
 */
export function Dialog({
  title,
  onClose,
  anchor,
  children,
}: {
  title: string;
  onClose: () => void;
  anchor?: Anchor | null;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // Its own id: a dialog opened over another (a profile card over a channel's details) must be named by
  // its own title, not the first one in the page.
  const titleId = useId();
  useEffect(() => {
    const el = ref.current;
    const before = document.activeElement as HTMLElement | null;
    el?.showModal();
    if (el && anchor && matchMedia('(min-width: 700px)').matches) placeBeside(el, anchor);
    return () => {
      el?.close();
      before?.focus();
    };
    // Placed once, where it was opened from: it does not follow the page.
  }, []);
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onCancel={onClose}>
      <header className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      {children}
    </dialog>
  );
}

/** Below the anchor (above it when there is no room), its left edge on the anchor's, kept on screen. */
function placeBeside(el: HTMLDialogElement, a: Anchor): void {
  const gap = 6;
  const { width, height } = el.getBoundingClientRect();
  const left = Math.max(8, Math.min(a.left, innerWidth - width - 8));
  const below = a.bottom + gap;
  const top = below + height <= innerHeight - 8 ? below : Math.max(8, a.top - gap - height);
  el.style.inset = `${top}px auto auto ${left}px`;
  el.style.margin = '0';
  el.classList.add('dialog-popover');
}
