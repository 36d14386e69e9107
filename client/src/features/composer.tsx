import { Suspense } from 'react';
import { lazy } from '../ui/lazy.tsx';
import type { ComposerProps } from './composer-box.tsx';

// The box (with its @mention suggestions) loads just after the messages show, to keep the first screen's
// JavaScript small; the service worker has it cached, so it is there offline too.
const ComposerBox = lazy(async () => ({ default: (await import('./composer-box.tsx')).ComposerBox }));

/** Where a message (or a thread reply) is written: see ComposerBox. */
export function Composer(props: ComposerProps) {
  return (
    <Suspense fallback={<div className="composer composer-loading" aria-busy="true" />}>
      <ComposerBox {...props} />
    </Suspense>
  );
}
