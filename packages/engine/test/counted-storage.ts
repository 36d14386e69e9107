import { createMemoryStorage, type EngineStorage } from '../src/storage.ts';

/** Storage (memory unless given) that counts calls per method, to pin how many reads an engine step makes. */
export function counted(inner: EngineStorage = createMemoryStorage()) {
  const calls = new Map<string, number>();
  const out = {} as Record<string, unknown>;
  for (const [k, f] of Object.entries(inner) as [string, (...a: unknown[]) => Promise<unknown>][])
    out[k] = (...args: unknown[]) => {
      calls.set(k, (calls.get(k) ?? 0) + 1);
      return f(...args);
    };
  return { storage: out as unknown as EngineStorage, calls, inner };
}
