import type { ReactNode, RefObject } from 'react';
import { navigate } from '../../hooks/use-path.ts';

/** A link inside the area: the address changes without a reload, a modified click opens a new tab. */
export function AreaLink(props: {
  to: string;
  children: ReactNode;
  current?: boolean;
  className?: string;
  /** For moving focus to this link (the first item of a page just shown). */
  linkRef?: RefObject<HTMLAnchorElement | null>;
}) {
  return (
    <a
      ref={props.linkRef}
      href={props.to}
      className={props.className}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
