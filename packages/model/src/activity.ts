import { findMentions, isBroadcastHandle, mentionHandle, type Mentionable } from './mentions.ts';
import type { ConversationState, MessageView } from './view.ts';

/**
 * "Activity" (issue 15 §2): what others wrote that is for me: mentions of me (my handle, @channel, @here,
 * @everyone) and replies in threads I am in (I started it, or replied in it before). Derived from the
 * synced documents and my own read marks alone, so every device of mine that holds the same documents
 * lists the same entries and counts the same unread ones, however long it was offline: an entry is unread
 * while its message is after my read mark for its conversation (marks merge by maximum across devices).
 */

export type ActivityReason = 'mention' | 'reply';

export type ActivityItem = {
  conversationId: string;
  /** The message's key in its conversation (`author:local`), as deep links carry it. */
  key: string;
  authorId: string;
  /** The thread it is in, or null in the conversation itself. */
  parent: string | null;
  /** Arrival position: newest first sorts by time, ties by this. */
  seq: number;
  ts: number;
  text: string;
  /** A mention is the stronger reason: a reply that mentions me is listed once, as a mention. */
  reason: ActivityReason;
  unread: boolean;
};

/** Where I joined each thread: the parent I wrote (from the start), or my first indexed reply. */
function threadsOf(state: ConversationState, me: string): Map<string, number> {
  const since = new Map<string, number>();
  for (const v of state.byKey.values()) {
    if (v.authorId !== me || v.removed) continue;
    if (v.parent === null) since.set(v.key, 0);
    else {
      // A reply still waiting for the server joins the thread from its end: nothing earlier is news.
      const at = v.seq ?? Number.MAX_SAFE_INTEGER;
      since.set(v.parent, Math.min(since.get(v.parent) ?? Number.MAX_SAFE_INTEGER, at));
    }
  }
  return since;
}

const isNews = (v: MessageView, me: string): v is MessageView & { seq: number } =>
  v.seq !== null && v.authorId !== me && !v.deleted && !v.removed;

/** One conversation's entries, newest first. Walks the loaded messages once (plus once for my threads). */
export function activityOf(
  state: ConversationState,
  me: Mentionable & { id: string },
  conversationId: string,
): ActivityItem[] {
  const read = state.readSeqs.get(me.id) ?? 0;
  const threads = threadsOf(state, me.id);
  // mentionsPerson, with my handle worked out once rather than once per message holding an '@'.
  const mine = mentionHandle(me).toLowerCase();
  const mentionsMe = (text: string): boolean =>
    text.includes('@') &&
    findMentions(text).some((m) => {
      const h = m.handle.normalize('NFC').toLowerCase();
      return h === mine || isBroadcastHandle(h);
    });
  const out: ActivityItem[] = [];
  for (const v of state.byKey.values()) {
    if (!isNews(v, me.id)) continue;
    const reason: ActivityReason | null = mentionsMe(v.text)
      ? 'mention'
      : v.parent !== null && v.seq > (threads.get(v.parent) ?? Number.MAX_SAFE_INTEGER)
        ? 'reply'
        : null;
    if (reason === null) continue;
    out.push({
      conversationId,
      key: v.key,
      authorId: v.authorId,
      parent: v.parent,
      seq: v.seq,
      ts: v.ts,
      text: v.text,
      reason,
      unread: v.seq > read,
    });
  }
  return out.sort(newestFirst);
}

/** Newest first by the author's time; the server's order breaks ties, then the key, so every device agrees. */
export function newestFirst(a: ActivityItem, b: ActivityItem): number {
  return b.ts - a.ts || b.seq - a.seq || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export type Activity = { items: ActivityItem[]; unread: number };

/**
 * Every conversation's entries as one list, newest first, at most `limit` of them; `unread` counts every
 * unread entry, listed or not. Each list is already sorted, so this merges without sorting everything.
 */
export function mergeActivity(lists: readonly (readonly ActivityItem[])[], limit: number): Activity {
  let unread = 0;
  for (const l of lists) for (const i of l) if (i.unread) unread++;
  const at = lists.map(() => 0);
  const items: ActivityItem[] = [];
  while (items.length < limit) {
    let best = -1;
    for (let k = 0; k < lists.length; k++) {
      const cand = lists[k]?.[at[k] ?? 0];
      const cur = best < 0 ? undefined : lists[best]?.[at[best] ?? 0];
      if (cand && (!cur || newestFirst(cand, cur) < 0)) best = k;
    }
    const next = best < 0 ? undefined : lists[best]?.[at[best] ?? 0];
    if (!next) break;
    items.push(next);
    at[best] = (at[best] ?? 0) + 1;
  }
  return { items, unread };
}
