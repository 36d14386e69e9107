import { useEffect } from 'react';

/** A keystroke meant as text: in a field, a text area, a list box or anything editable. */
export const typingIn = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement &&
  (t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');

/**
 * `?` opens the shortcuts help (issue 18), except while typing (a question mark in a message is a question
 * mark) or over another dialog (its own keys come first).
 */
export function useHelpKey(open: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '?' || e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      e.preventDefault();
      open();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [open]);
}
