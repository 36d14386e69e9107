import { SEGMENT_STRIDE, authorRoots, goneIdsOf, type IndexTuple } from '@commonroom/model';
import { idxDoc } from '@commonroom/protocol';
import type { AppliedActions } from '../storage/applied-actions.ts';
import type { MessageStore } from '../storage/messages.ts';
import type { LoadedDoc, LoadedDocs } from './loaded-docs.ts';
import type { Session } from './session.ts';

export type SeenWrites = ReturnType<typeof createSeenWrites>;

/**
 * What the rooms remember to tell a repeated write from a new one: the refs each socket wrote with (P11),
 * the message ids each author document holds or has committing (P11), and the actions stored or committing
 * (P14). Stored ids and actions are read from the database once; what is committing is kept here until
 * the commit settles.
 */
export function createSeenWrites(d: {
  docs: LoadedDocs;
  messages: Pick<MessageStore, 'idsBelow'>;
  appliedActions: Pick<AppliedActions, 'storedOf'>;
}) {
  /** Message ids accepted but still committing: a second send of the same id in that window is a duplicate. */
  const committingIds = new Set<string>();
  /** `user/action` ids accepted but still committing: a re-application in that window is one too (P14). */
  const committingActions = new Set<string>();
  /** Refs each socket has written with. A repeated frame is dropped, so a ref never gets two answers (P11). */
  const seenRefs = new WeakMap<Session, Set<number>>();

  const isRepeatedRef = (s: Session, ref: number): boolean => {
    if (ref === 0) return false;
    let seen = seenRefs.get(s);
    if (!seen) seenRefs.set(s, (seen = new Set()));
    if (seen.has(ref)) return true;
    seen.add(ref);
    if (seen.size > 10_000) seen.delete(seen.values().next().value as number);
    return false;
  };

  /** Ids of an author document's messages whose content the server took out (P16): still used. */
  const goneIn = (l: LoadedDoc): string[] =>
    l.parsed.kind === 'author'
      ? goneIdsOf(d.docs.get(idxDoc(l.parsed.conversationId, l.parsed.segment)).doc, l.parsed.userId)
      : [];

  /**
   * The message ids an author document holds (before the update being judged). Kept in step with the
   * document: accepted messages are added as they are applied, and a reload drops the set.
   */
  const idsHeld = (l: LoadedDoc): Set<string> =>
    (l.messageIds ??= new Set([
      ...authorRoots(l.doc)
        .msgs.toArray()
        .map((m) => m.id),
      ...goneIn(l),
    ]));

  /**
   * Whether the author of `l` already used message id `id` in this conversation outside what `l` holds: in
   * a commit still being written, or in an older segment (read once per loaded document: older segments
   * take no new messages, P13). One query per message was a sixteenth of the server's CPU under load.
   */
  const idTaken = (l: LoadedDoc, conversationId: string, writer: string, id: string): boolean => {
    if (committingIds.has(`${conversationId}/${writer}/${id}`)) return true;
    if (l.parsed.kind !== 'author' || l.parsed.segment === 0) return false;
    l.olderIds ??= new Set(
      d.messages.idsBelow(conversationId, l.parsed.userId, l.parsed.segment * SEGMENT_STRIDE),
    );
    return l.olderIds.has(id);
  };

  /** Which of `actions` (a write's action ids) are stored already or committing (P14). */
  const storedActions = (writer: string, actions: readonly string[]): string[] =>
    actions.length === 0
      ? []
      : [
          ...actions.filter((a) => committingActions.has(`${writer}/${a}`)),
          ...d.appliedActions.storedOf(
            writer,
            actions.filter((a) => !committingActions.has(`${writer}/${a}`)),
          ),
        ];

  /**
   * Marks an accepted write's new message ids and recorded actions as committing; returns what releases
   * them once the commit settles, stored or failed.
   */
  const committing = (
    conversationId: string,
    writer: string,
    index: readonly IndexTuple[],
    recorded: readonly string[],
  ): (() => void) => {
    const actionKeys = recorded.map((a) => `${writer}/${a}`);
    actionKeys.forEach((k) => committingActions.add(k));
    const ids = index.map(([a, m]) => `${conversationId}/${a}/${m}`);
    ids.forEach((k) => committingIds.add(k));
    return () => {
      ids.forEach((k) => committingIds.delete(k));
      actionKeys.forEach((k) => committingActions.delete(k));
    };
  };

  return { isRepeatedRef, goneIn, idsHeld, idTaken, storedActions, committing };
}
