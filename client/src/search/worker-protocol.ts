import type { Opened } from './search-core.ts';
import type { SearchHit, SearchQuery } from './search-index.ts';
import type { Batch } from './search-store.ts';

/** The messages between the page and the search worker: each request has an id, its answer the same id. */
export type WorkerRequest =
  | { id: number; t: 'open' }
  | { id: number; t: 'apply'; batch: Batch }
  | { id: number; t: 'search'; query: SearchQuery }
  | { id: number; t: 'clear' };

export type WorkerAnswers = { open: Opened; apply: null; search: SearchHit[]; clear: null };

export type WorkerReply = { id: number; ok: unknown } | { id: number; error: string };
