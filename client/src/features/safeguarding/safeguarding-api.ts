import type { Engine } from '@commonroom/engine';
import {
  ItemDetail,
  KeywordList,
  MonitorList,
  OkReply,
  QueueItem,
  QueuePage,
  Transcript,
  type ItemStatus,
} from '@commonroom/protocol';
import * as z from 'zod/mini';

/**
 * The safeguarding routes (sync-server/src/http/safeguarding-routes.ts). The server checks on every call
 * that the person is a lead; this area only shows what it answers.
 */
export type StatusFilter = 'open' | 'new' | 'in_review' | 'closed' | 'all';

/**
 * A page of the queue, newest first: `cursor` is the `nextCursor` of the page before; `limit` (at most
 * 500) reads the pages already shown again in one request when the queue changes.
 */
export const listItems = (engine: Engine, status: StatusFilter, cursor?: string, limit?: number) =>
  engine.api.request(
    'GET',
    `/api/safeguarding/items?status=${status}${cursor ? `&cursor=${cursor}` : ''}${limit ? `&limit=${limit}` : ''}`,
    QueuePage,
  );
export const getItem = (engine: Engine, id: string) =>
  engine.api.request('GET', `/api/safeguarding/items/${encodeURIComponent(id)}`, ItemDetail);
export const updateItem = (
  engine: Engine,
  id: number,
  patch: { status?: ItemStatus; outcome?: string; assigneeId?: string | null },
) => engine.api.request('PATCH', `/api/safeguarding/items/${id}`, z.object({ item: QueueItem }), patch);
export const addNote = (engine: Engine, id: number, text: string) =>
  engine.api.request('POST', `/api/safeguarding/items/${id}/notes`, OkReply, { text });
export const removeItemMessage = (engine: Engine, id: number, reason: string) =>
  engine.api.request('POST', `/api/safeguarding/items/${id}/remove`, z.object({ removed: z.boolean() }), {
    reason,
  });
export const listLeads = (engine: Engine) =>
  engine.api.request(
    'GET',
    '/api/safeguarding/leads',
    z.object({ leads: z.array(z.object({ id: z.string(), name: z.string() })) }),
  );
export const getKeywords = (engine: Engine) =>
  engine.api.request('GET', '/api/safeguarding/keywords', KeywordList);
export const putKeywords = (engine: Engine, phrases: string[]) =>
  engine.api.request('PUT', '/api/safeguarding/keywords', KeywordList, { phrases });
export const listConversations = (engine: Engine) =>
  engine.api.request('GET', '/api/safeguarding/conversations', MonitorList);
/** Opens a conversation (its newest messages), or with `cursor` reads the page before; audited each time. */
export const openConversation = (engine: Engine, id: string, reason: string, cursor?: string) =>
  engine.api.request('POST', `/api/safeguarding/conversations/${encodeURIComponent(id)}/open`, Transcript, {
    reason,
    ...(cursor ? { cursor } : {}),
  });

/** A server refusal's own words, or a plain sentence for anything else. */
export const problem = (e: unknown): string =>
  e instanceof Error && e.name === 'ApiError'
    ? e.message
    : e instanceof Error && e.name === 'NetworkError'
      ? 'You are offline. The safeguarding area needs a connection.'
      : 'Something went wrong. Please try again.';

export const timeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
