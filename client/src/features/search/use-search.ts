import { NetworkError, type Engine } from '@commonroom/engine';
import { SEGMENT_STRIDE, plainFragment, plainText } from '@commonroom/model';
import { SearchReply } from '@commonroom/protocol';
import { useEffect, useState } from 'react';
import { markMatches, type TextPart } from '../../search/highlight.ts';
import { hasTerms } from '../../search/normalise.ts';
import { mergeResults, type MergedHit } from '../../search/merge.ts';
import { deviceSearch } from '../../search/search-client.ts';
import type { SearchHit } from '../../search/search-index.ts';

export type Filters = {
  conversationId?: string;
  authorId?: string;
  hasLink?: boolean;
  inThreads?: boolean;
  /** The time written on the message (what it shows), ms: from `after` (in) to `before` (out). */
  after?: number;
  before?: number;
};
/** Newest first (the default), or the best matches first: each side ranks its own (merge.ts). */
export type Order = 'newest' | 'best';
export type Shown = MergedHit & { parts: TextPart[] };
/** The server's part: asked, answered, or not reachable (offline) or refused (its words). */
export type ServerState =
  { kind: 'idle' | 'asking' | 'done' | 'offline' } | { kind: 'error'; message: string };

/**
 * The device's hits asked for: its most (search-index.ts MAX_LIMIT, not imported: that module brings
 * MiniSearch, which stays in the worker). The screen shows them a page at a time (search-dialog.tsx).
 */
const DEVICE_LIMIT = 200;

/** Segments of device hits not loaded, read in per search: enough for the first page, bounded. */
const SEGMENTS_PER_SEARCH = 8;

/** The server is asked after typing pauses, so each keystroke does not become a request. */
const SERVER_PAUSE_MS = 250;

async function askServer(engine: Engine, q: string, f: Filters, order: Order, cursor?: string) {
  const p = new URLSearchParams({ q, order, limit: '30' });
  if (cursor) p.set('cursor', cursor);
  if (f.conversationId) p.set('conversationId', f.conversationId);
  if (f.authorId) p.set('authorId', f.authorId);
  if (f.hasLink) p.set('links', '1');
  if (f.inThreads) p.set('threads', '1');
  if (f.after !== undefined) p.set('after', String(f.after));
  if (f.before !== undefined) p.set('before', String(f.before));
  return engine.api.request('GET', `/api/search?${p.toString()}`, SearchReply);
}

/**
 * Results as the person types: the device's at once, then the server's merged in (merge.ts) for history
 * this device does not hold. A newer query's answers replace an older one's, whichever arrives first.
 */
export function useSearch(engine: Engine, q: string, filters: Filters, order: Order = 'newest') {
  const [hits, setHits] = useState<Shown[]>([]);
  const [server, setServer] = useState<ServerState>({ kind: 'idle' });
  /** Asks the server for its next page of this query (null when it said there is no more). */
  const [more, setMore] = useState<(() => void) | null>(null);
  const { conversationId, authorId, hasLink, inThreads, after, before } = filters;
  useEffect(() => {
    const words = q.trim();
    let alive = true;
    setMore(null);
    if (!hasTerms(words)) {
      setHits([]);
      setServer({ kind: 'idle' });
      return;
    }
    const f: Filters = {
      ...(conversationId ? { conversationId } : {}),
      ...(authorId ? { authorId } : {}),
      ...(hasLink ? { hasLink } : {}),
      ...(inThreads ? { inThreads } : {}),
      ...(after !== undefined ? { after } : {}),
      ...(before !== undefined ? { before } : {}),
    };
    const messageOf = (c: string, key: string) => engine.view(c).state.byKey.get(key);
    const goneHere = (c: string, key: string) => {
      const m = messageOf(c, key);
      return m !== undefined && (m.deleted || m.removed !== null);
    };
    const shown = (c: string, key: string) => messageOf(c, key) !== undefined;
    // Device hits in segments not loaded (P13) wait for their segment, read from this device (offline too):
    // a few segments per search, the newest hits' first; each, once here, shows its hits.
    const loading = new Set<string>();
    let redraw = (): void => undefined;
    const loadFor = (device: readonly SearchHit[]): void => {
      for (const h of device) {
        if (loading.size >= SEGMENTS_PER_SEARCH) break;
        const seg = `${h.conversationId} ${h.segment}`;
        if (shown(h.conversationId, h.key) || loading.has(seg)) continue;
        loading.add(seg);
        void engine
          .loadSegment(h.conversationId, h.segment)
          .catch(() => false)
          .then(() => alive && redraw());
      }
    };
    const show = (device: readonly SearchHit[], fromServer: SearchReply['hits']) =>
      mergeResults({ device, server: fromServer, order, goneHere, shown }).flatMap((h): Shown[] => {
        // Results show plain words, formatting marks left out (issue 18).
        if (h.from === 'server')
          return [{ ...h, parts: h.snippet.map((p) => ({ ...p, text: plainFragment(p.text) })) }];
        const m = messageOf(h.conversationId, h.key);
        return m ? [{ ...h, parts: markMatches(plainText(m.text), h.terms) }] : [];
      });
    const search = deviceSearch(engine);
    const run = () =>
      search.search({ q: words, ...f, sort: order, limit: DEVICE_LIMIT }).catch((): SearchHit[] => []);
    // The server's pages so far; "More results" asks for the next with the last answer's cursor.
    const fromServer: SearchReply['hits'] = [];
    // The device's newest answer: the search runs again each time the index takes in messages while it is
    // shown (ones that arrived, or were still being indexed as the app opened), so they join the results
    // without the person typing again. The worker answers in order, so the last asked is the last heard.
    let d: readonly SearchHit[] = [];
    const take = (answer: readonly SearchHit[]) => {
      if (!alive) return;
      d = answer;
      redraw = () => setHits(show(d, fromServer));
      redraw();
      loadFor(d);
    };
    const device = run().then(take);
    const stopHearing = search.onIndexed(() => void run().then(take));
    setServer({ kind: 'asking' });
    const ask = (cursor?: string) =>
      askServer(engine, words, f, order, cursor).then(
        async (reply) => {
          await device;
          if (!alive) return;
          fromServer.push(...reply.hits);
          setHits(show(d, fromServer));
          setServer({ kind: 'done' });
          const next = reply.more ? reply.cursor : null;
          setMore(() =>
            next
              ? () => {
                  setMore(null);
                  setServer({ kind: 'asking' });
                  void ask(next);
                }
              : null,
          );
        },
        (e: unknown) => {
          if (!alive) return;
          if (e instanceof NetworkError || !navigator.onLine) setServer({ kind: 'offline' });
          else setServer({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
        },
      );
    const timer = setTimeout(() => void ask(), SERVER_PAUSE_MS);
    return () => {
      alive = false;
      stopHearing();
      clearTimeout(timer);
    };
  }, [engine, q, conversationId, authorId, hasLink, inThreads, after, before, order]);
  return { hits, server, more };
}

/**
 * A hit only the server had is in history this device has not loaded: the one segment holding it (P13, from
 * its `seq`) is loaded, not every segment between it and the newest, and the conversation pane jumps to the
 * message when it arrives (it says so while waiting).
 */
export async function loadHitSegment(engine: Engine, conversationId: string, seq: number): Promise<void> {
  await engine.loadSegment(conversationId, Math.floor(seq / SEGMENT_STRIDE)).catch(() => false);
}
