import type { MessageView } from '@commonroom/model';
import type { SearchDoc } from './search-index.ts';
import type { Batch, Manifest } from './search-store.ts';

/**
 * Keeps the index in step with what the device holds, from the engine's own change feed: one notification
 * per batch of changes (engine.subscribe), and per conversation a cached view that is the same object until
 * one of its documents changes. So a flush compares view objects (cheap) and walks only the conversations
 * that changed, diffing each message's `sig` against what the index holds: new and edited messages go in,
 * deleted and removed ones and those of conversations the person no longer belongs to come out.
 */

export type FeedSource = {
  subscribe(listener: () => void): () => void;
  me(): { id: string } | null;
  conversations(): readonly { id: string; isMember: boolean }[];
  view(conversationId: string): { state: { byKey: ReadonlyMap<string, MessageView> } };
};

/** FNV-1a of what the index holds of a message: a changed text, time or thread gives a new sig. */
export function sigOf(m: Pick<MessageView, 'text' | 'ts' | 'parent'>): number {
  const s = `${m.text}\u0000${m.ts}\u0000${m.parent ?? ''}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A message the index should hold: words still there, neither deleted by its author nor removed. */
export const searchable = (m: MessageView): boolean =>
  !m.deleted && m.removed === null && m.text.trim() !== '';

export function createFeed(deps: {
  source: FeedSource;
  /** What the index already holds (the worker's manifest, loaded with it). */
  manifest: Manifest;
  send(batch: Batch): Promise<void>;
  /** Waits between a change and its flush, so a burst of messages is one batch. */
  delay: (flush: () => void) => void;
}) {
  const indexed = new Map<string, Map<string, number>>(deps.manifest.map(([c, e]) => [c, new Map(e)]));
  const seen = new Map<string, unknown>();
  let scheduled = false;
  let last: Promise<void> = Promise.resolve();

  const diff = (conversationId: string, byKey: ReadonlyMap<string, MessageView>, out: Batch): void => {
    const had = indexed.get(conversationId) ?? new Map<string, number>();
    const now = new Map<string, number>();
    for (const m of byKey.values()) {
      if (!searchable(m)) continue;
      const sig = sigOf(m);
      now.set(m.key, sig);
      if (had.get(m.key) !== sig) out.upsert.push(toDoc(conversationId, m, sig));
    }
    for (const key of had.keys()) if (!now.has(key)) out.remove.push([conversationId, key]);
    indexed.set(conversationId, now);
  };

  const flush = (): void => {
    scheduled = false;
    if (!deps.source.me()) return;
    const batch: Batch = { upsert: [], remove: [], dropConversations: [] };
    const members = new Set<string>();
    for (const c of deps.source.conversations()) {
      if (!c.isMember) continue;
      members.add(c.id);
      const view = deps.source.view(c.id);
      if (seen.get(c.id) === view) continue;
      seen.set(c.id, view);
      diff(c.id, view.state.byKey, batch);
    }
    for (const c of [...indexed.keys()]) {
      if (members.has(c)) continue;
      batch.dropConversations.push(c);
      indexed.delete(c);
      seen.delete(c);
    }
    if (batch.upsert.length + batch.remove.length + batch.dropConversations.length === 0) return;
    last = last.then(() => deps.send(batch));
  };

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    deps.delay(flush);
  };
  const stop = deps.source.subscribe(schedule);
  schedule();

  return {
    stop,
    /** Flushes now and resolves when every batch so far is stored (tests, sign-out). */
    idle: (): Promise<void> => {
      if (scheduled) flush();
      return last;
    },
  };
}

const toDoc = (conversationId: string, m: MessageView, sig: number): SearchDoc => ({
  conversationId,
  key: m.key,
  authorId: m.authorId,
  ts: m.ts,
  parent: m.parent,
  text: m.text,
  sig,
});
