import type { TextPart } from './highlight.ts';
import type { SearchHit } from './search-index.ts';

/**
 * Device and server results as one list (issue 16): the device answers at once, with no network, over what
 * it holds; the server (GET /api/search, h16s) adds history the device does not hold. Each message once: the
 * device's copy wins (it has edits made offline, and it knows what was deleted or removed since), and what
 * only the server found is marked as such.
 */

/** The fields of the server's hit (@commonroom/protocol SearchHit) this merge reads. */
export type ServerHit = {
  conversationId: string;
  key: string;
  authorId: string;
  parentKey: string | null;
  /** Its place in the conversation (P13: segment × 1,000,000 + place), to load only its segment. */
  seq: number;
  /** The time written on the message: what the conversation shows, and what the device's hits carry. */
  sentAt: number;
  snippet: TextPart[];
};

export type MergedHit =
  | (SearchHit & { from: 'device' })
  | {
      from: 'server';
      conversationId: string;
      key: string;
      authorId: string;
      parent: string | null;
      ts: number;
      seq: number;
      snippet: TextPart[];
    };

const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function mergeResults(args: {
  device: readonly SearchHit[];
  server: readonly ServerHit[];
  order: 'newest' | 'best';
  /** True when the device holds this message as deleted or removed: the server's copy is stale. */
  goneHere?: (conversationId: string, key: string) => boolean;
  /**
   * Whether the device's copy can be shown now (its segment is loaded). The index also holds messages of
   * segments not loaded (P13); for those the server's copy, when it has one, is shown instead, snippet and
   * all, rather than a hit with nothing to show. Without it, every device hit is shown.
   */
  shown?: (conversationId: string, key: string) => boolean;
}): MergedHit[] {
  const id = (h: { conversationId: string; key: string }): string => `${h.conversationId} ${h.key}`;
  const fromServer = new Set(args.server.map(id));
  const device = args.device.filter(
    (h) => args.shown === undefined || args.shown(h.conversationId, h.key) || !fromServer.has(id(h)),
  );
  const seen = new Set(device.map(id));
  const out: MergedHit[] = device.map((h) => ({ ...h, from: 'device' as const }));
  for (const s of args.server) {
    if (seen.has(id(s)) || args.goneHere?.(s.conversationId, s.key) === true) continue;
    seen.add(id(s));
    out.push({
      from: 'server',
      conversationId: s.conversationId,
      key: s.key,
      authorId: s.authorId,
      parent: s.parentKey,
      ts: s.sentAt,
      seq: s.seq,
      snippet: s.snippet,
    });
  }
  // Newest first interleaves by time; best match keeps the device's ranking and adds the server's after it
  // (their scores are on different scales: MiniSearch's BM25+ over this device, FTS5's bm25 over the server).
  // Messages of the same millisecond fall back to their conversation and key: the same order on every
  // search, whichever side found them.
  if (args.order === 'newest') out.sort((a, b) => b.ts - a.ts || order(id(a), id(b)));
  return out;
}
