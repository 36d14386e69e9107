import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * The frame of a wide table. On a phone a table wider than the screen scrolls sideways inside it, its first
 * column held in place (admin.css), instead of being clipped or widening the page. While it does scroll,
 * the frame is a named region a keyboard can focus, so the rest of the table can be reached with the arrow
 * keys too (axe's scrollable-region-focusable); when everything fits it is not a tab stop for nothing.
 */
export function TableFrame({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    measure();
    const watch = new ResizeObserver(measure);
    watch.observe(el);
    // The table itself grows when rows arrive; its frame's size alone would not say so.
    const table = el.firstElementChild;
    if (table) watch.observe(table);
    return () => watch.disconnect();
  }, []);
  return (
    <div
      ref={ref}
      className="table-wrap"
      {...(scrolls ? { role: 'region', 'aria-label': label, tabIndex: 0 } : {})}
    >
      {children}
    </div>
  );
}
