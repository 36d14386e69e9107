import { AUTHOR_ROOTS, IDX_ROOTS, MOD_ROOTS } from '@commonroom/model';
import { parseDocName, type DocName, type RefusalCode } from '@commonroom/protocol';
import type { Actor, Decision, Policy } from '../auth/policy.ts';
import type { ConversationRow, ConversationStore } from '../storage/conversations.ts';

/**
 * Who may write which document, decided from its name before a byte of the update is read
 * (docs/THREAT_MODEL.md T1–T5, T9, T13). What the update itself may do is the judges' (judges.ts).
 */

export type FoundDocument = { parsed: DocName; conv: ConversationRow };

/** The top-level Yjs types each document kind may hold: an update touching any other is malformed (T1–T5). */
export const ROOTS_BY_KIND: Record<DocName['kind'], ReadonlySet<string>> = {
  author: AUTHOR_ROOTS,
  mod: MOD_ROOTS,
  idx: IDX_ROOTS,
};

/**
 * The conversation a document name belongs to, or null when the name is not one, the conversation does not
 * exist, or the segment is one it has not reached (P2, P13).
 */
export function lookupDocument(
  conversations: Pick<ConversationStore, 'get'>,
  name: string,
): FoundDocument | null {
  const parsed = parseDocName(name);
  if (!parsed) return null;
  const conv = conversations.get(parsed.conversationId);
  if (!conv || parsed.segment > conv.segment) return null;
  return { parsed, conv };
}

/**
 * Whether `actor` may write to the document at all, by its kind (T1–T5): a conversation they may read; the
 * index never (the server writes it); an author document only their own, and only as a member; a
 * moderation document only as a moderator of the conversation (T4).
 */
export function authoriseWrite(
  policy: Pick<Policy, 'canRead' | 'canWriteOwn' | 'canModerate'>,
  actor: Actor,
  { parsed, conv }: FoundDocument,
): Decision {
  const read = policy.canRead(actor, conv);
  if (!read.ok) return read;
  if (parsed.kind === 'idx')
    return { ok: false, code: 'server-only', message: 'the index is written by the server only' };
  if (parsed.kind === 'author') {
    if (parsed.userId !== actor.id)
      return { ok: false, code: 'not-your-document', message: "you cannot write another person's messages" };
    return policy.canWriteOwn(actor, conv);
  }
  if (!policy.canModerate(actor, conv))
    return { ok: false, code: 'not-a-moderator', message: 'only moderators pin or remove messages here' };
  return { ok: true };
}

/**
 * In a shared (moderation) document each Yjs client id belongs to the first user who wrote with it: another
 * writer using it would have that user's next pin or removal acknowledged and ignored by Yjs as already held
 * (T13). Judged from the scan, before anything is applied, so the refusal costs no reload. Returns the
 * client ids the update uses for the first time, to be bound to `actorId` with the commit.
 */
export function authoriseClients(
  owners: ReadonlyMap<number, string>,
  clients: readonly number[],
  actorId: string,
): { ok: false; code: RefusalCode; message: string } | { ok: true; newClients: number[] } {
  if (clients.some((c) => (owners.get(c) ?? actorId) !== actorId))
    return {
      ok: false,
      code: 'not-your-client-id',
      message: "this update writes as another person's device (its Yjs client id)",
    };
  return { ok: true, newClients: clients.filter((c) => !owners.has(c)) };
}
