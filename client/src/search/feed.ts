import { heldDoc, type ConversationState, type MessageView } from '@commonroom/model';
import type { SearchDoc } from './search-index.ts';
import type { Batch, Manifest } from './search-store.ts';

/**
 * Keeps the index in step with what the device holds, from the engine's own change feed: one notification
 * per batch of changes (engine.subscribe), and per conversation a cached view that is the same object until
 * one of its documents changes. So a flush compares view objects (cheap) and walks only the conversations
 * that changed, diffing each message's `sig` against what the index holds: new and edited messages go in,
 * deleted and removed ones and those of conversations the person no longer belongs to come out.
 *
 * A message is taken out only when the view holds its author's document of its segment (P13): at a start
 * the engine loads only each conversation's current segment, and the older ones' messages, out of sight
 * but not gone, stay searchable. A batch that fails to be stored is sent again (after a wait) before any
 * later one, so one failed write does not stop indexing; the first failure of a run is logged.
 */

export type FeedSource = {
  subscribe(listener: () => void): () => void;
  me(): { id: string } | null;
  conversations(): readonly { id: string; isMember: boolean }[];
  view(conversationId: string): {
    state: Pick<ConversationState, 'authorDocs'> & { byKey: ReadonlyMap<string, MessageView> };
  };
};

/**
 * What the feed holds of each indexed message in one number: its sig (32 bits) and its segment above them
 * (exact up to 2^21 segments): a map of numbers costs far less than one of pairs at 100,000 messages.
 */
const pack = (sig: number, segment: number): number => segment * 2 ** 32 + sig;
const segmentOf = (packed: number): number => Math.floor(packed / 2 ** 32);
const authorOf = (key: string): string => key.slice(0, key.indexOf(':'));

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
  /** Waits before a failed batch is sent again (`attempt` from 0: a growing backoff). */
  retryAfter: (attempt: number) => Promise<void>;
  /** Hears the first failure of a run of failed stores (the index is behind until one succeeds). */
  warn: (message: string, error: unknown) => void;
}) {
  const indexed = new Map<string, Map<string, number>>(
    deps.manifest.map(([c, e]) => [c, new Map(e.map(([key, sig, segment]) => [key, pack(sig, segment)]))]),
  );
  const seen = new Map<string, unknown>();
  let scheduled = false;
  let stopped = false;
  let failing = false;
  let last: Promise<void> = Promise.resolve();

  const diff = (
    conversationId: string,
    state: Pick<ConversationState, 'authorDocs'> & { byKey: ReadonlyMap<string, MessageView> },
    out: Batch,
  ): void => {
    const had = indexed.get(conversationId) ?? new Map<string, number>();
    const now = new Map<string, number>();
    for (const m of state.byKey.values()) {
      if (!searchable(m)) continue;
      const sig = sigOf(m);
      now.set(m.key, pack(sig, m.segment));
      if (had.get(m.key) !== pack(sig, m.segment)) out.upsert.push(toDoc(conversationId, m, sig));
    }
    for (const [key, held] of had) {
      if (now.has(key)) continue;
      // Neither shown nor its document loaded (an older segment at a start): out of sight, not gone. Kept.
      const outOfSight =
        !state.byKey.has(key) && !state.authorDocs.has(heldDoc(segmentOf(held), authorOf(key)));
      if (outOfSight) now.set(key, held);
      else out.remove.push([conversationId, key]);
    }
    indexed.set(conversationId, now);
  };

  /** Stores a batch, again and again after a wait when it fails, so later batches never skip it. */
  const store = async (batch: Batch): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await deps.send(batch);
        failing = false;
        return;
      } catch (e) {
        if (!failing) deps.warn('Search could not save its index; trying again.', e);
        failing = true;
        await deps.retryAfter(attempt);
      }
    }
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
      diff(c.id, view.state, batch);
    }
    for (const c of [...indexed.keys()]) {
      if (members.has(c)) continue;
      batch.dropConversations.push(c);
      indexed.delete(c);
      seen.delete(c);
    }
    if (batch.upsert.length + batch.remove.length + batch.dropConversations.length === 0) return;
    last = last.then(() => store(batch));
  };

  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    deps.delay(flush);
  };
  const unsubscribe = deps.source.subscribe(schedule);
  schedule();

  return {
    stop: (): void => {
      stopped = true;
      unsubscribe();
    },
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
  segment: m.segment,
});
