import type { authorRoots } from '@commonroom/model';

/**
 * What an engine shows only to tests and diagnostics: kept off its API (the app never sees it) and read
 * through `@commonroom/engine/testing`.
 */

export type EngineInternals = {
  /** Waits for the device writes queued so far (before closing the app in tests). */
  flushStorage(): Promise<void>;
  /** The person's own document of a conversation's current segment. */
  ownDocName(conversationId: string): string;
  /** Every replica of a conversation as a full update, by document name. */
  replicaStates(conversationId: string): Map<string, Uint8Array>;
  /** What the engine knows of one replica: for a failing test to name its cause. */
  replicaDebug(doc: string): {
    follow: string;
    phase: string;
    pendingStructs: boolean;
    pendingDs: boolean;
    stateVector: Record<string, number>;
  } | null;
  authorRootsOf(doc: string): ReturnType<typeof authorRoots> | null;
};

const registry = new WeakMap<object, EngineInternals>();

export function registerInternals(engine: object, internals: EngineInternals): void {
  registry.set(engine, internals);
}

export function internalsOf(engine: object): EngineInternals {
  const i = registry.get(engine);
  if (!i) throw new Error('not an engine made by createEngine');
  return i;
}
