import { SearchQuery } from '@commonroom/protocol';
import { Hono } from 'hono';
import { AppError } from '../services/errors.ts';
import type { SearchService } from '../services/search.ts';
import type { HonoEnv } from './env.ts';

/**
 * GET /api/search (issue 16, docs/PROTOCOL.md "Search"): a person's search of the messages they may read.
 * Each person has an allowance of searches (a burst, then a steady rate; the device searches as they type),
 * over which the answer is 429 with Retry-After.
 */
export function searchRoutes(d: {
  search: SearchService;
  /** Takes one search of a person: 0, or the milliseconds until one is allowed (ws/rate-limit.ts). */
  allowance: { take(key: string): number };
}) {
  const app = new Hono<HonoEnv>();
  app.get('/search', (c) => {
    const me = c.get('user');
    const parsed = SearchQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join('.') ?? 'search';
      throw new AppError(
        400,
        'bad-search',
        `That search is not valid (${where}: ${issue?.message ?? 'invalid'}).`,
      );
    }
    const wait = d.allowance.take(me.id);
    if (wait > 0)
      throw new AppError(
        429,
        'slow-down',
        'Too many searches at once. Wait a moment and try again.',
        Math.ceil(wait / 1000),
      );
    const reply = d.search.search(me.id, parsed.data);
    // Message text from a GET: kept by no browser or proxy cache (a shared computer in a college library).
    c.header('cache-control', 'no-store');
    return c.json(reply);
  });
  return app;
}
