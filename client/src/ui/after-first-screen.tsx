import { useEffect, useState, type ReactNode } from 'react';
import { afterFirstScreen } from './first-screen.ts';

/** Renders its children only once the first screen is painted (first-screen.ts): parts it does not need. */
export function AfterFirstScreen({ children }: { children: ReactNode }) {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let alive = true;
    void afterFirstScreen().then(() => alive && setReady(true));
    return () => {
      alive = false;
    };
  }, []);
  return ready ? children : null;
}
