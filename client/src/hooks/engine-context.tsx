import type { ConversationView, Engine } from '@commonroom/engine';
import { createContext, useCallback, useContext, useSyncExternalStore, type ReactNode } from 'react';

const EngineContext = createContext<Engine | null>(null);

export function EngineProvider({ engine, children }: { engine: Engine; children: ReactNode }) {
  return <EngineContext.Provider value={engine}>{children}</EngineContext.Provider>;
}

export function useEngine(): Engine {
  const e = useContext(EngineContext);
  if (!e) throw new Error('useEngine outside EngineProvider');
  return e;
}

/** Re-renders on every engine change; the engine batches changes per microtask. */
export function useEngineVersion(): number {
  const engine = useEngine();
  return useSyncExternalStore(
    useCallback((cb) => engine.subscribe(cb), [engine]),
    () => engine.version(),
  );
}

export function useConversationView(conversationId: string | null): ConversationView | null {
  const engine = useEngine();
  useEngineVersion();
  return conversationId ? engine.view(conversationId) : null;
}
