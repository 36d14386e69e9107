import { activityOf, mergeActivity, type Activity, type ActivityItem } from '@commonroom/model';
import type { Conversation, Me } from '@commonroom/protocol';
import type { ConversationView } from './engine-view.ts';

/** How many entries the list shows; the unread count covers every one, listed or not. */
export const ACTIVITY_LIMIT = 100;

/**
 * The person's Activity (model/activity.ts) over every conversation they are in. The sidebar reads the count
 * on every render, so it is kept until the engine's version moves; after a change, only the conversations
 * whose view changed (views are cached by their documents, engine-view.ts) are walked again.
 */
export function createActivity(deps: {
  version: () => number;
  me: () => Me | null;
  conversations: () => Iterable<Conversation>;
  view: (conversationId: string) => ConversationView;
}) {
  let last: { version: number; activity: Activity } | null = null;
  const perView = new WeakMap<ConversationView, ActivityItem[]>();
  const empty: Activity = { items: [], unread: 0 };

  return (): Activity => {
    const version = deps.version();
    if (last?.version === version) return last.activity;
    const me = deps.me();
    let activity = empty;
    if (me) {
      const lists: ActivityItem[][] = [];
      for (const c of deps.conversations()) {
        if (!c.isMember) continue;
        const v = deps.view(c.id);
        let items = perView.get(v);
        if (!items) perView.set(v, (items = activityOf(v.state, me, c.id)));
        if (items.length > 0) lists.push(items);
      }
      activity = mergeActivity(lists, ACTIVITY_LIMIT);
      // The same answer keeps its identity, so the app's memos and effects see no change.
      if (last && sameActivity(last.activity, activity)) activity = last.activity;
    }
    last = { version, activity };
    return activity;
  };
}

function sameActivity(a: Activity, b: Activity): boolean {
  return (
    a.unread === b.unread && a.items.length === b.items.length && a.items.every((x, i) => x === b.items[i])
  );
}
