/**
 * Document names are the unit of authority (docs/THREAT_MODEL.md T1): the server decides who may write an
 * update by the document it targets, never by what the update contains.
 *
 *   c/{conversationId}/{segment}/u/{userId}   one author's messages, edits, deletes, reactions, read marks
 *   c/{conversationId}/{segment}/mod          pins and moderator removals, written by moderators only
 *   c/{conversationId}/{segment}/idx          the server's arrival order, written by the server only
 */

export type UserId = string & { readonly __brand: 'UserId' };
export type ConversationId = string & { readonly __brand: 'ConversationId' };

const ID = /^[A-Za-z0-9_-]{1,40}$/;

export function isId(s: string): boolean {
  return ID.test(s);
}

export function asUserId(s: string): UserId {
  if (!isId(s)) throw new Error(`invalid user id "${s}"`);
  return s as UserId;
}

export function asConversationId(s: string): ConversationId {
  if (!isId(s)) throw new Error(`invalid conversation id "${s}"`);
  return s as ConversationId;
}

export type DocName =
  | { kind: 'author'; conversationId: ConversationId; segment: number; userId: UserId }
  | { kind: 'mod'; conversationId: ConversationId; segment: number }
  | { kind: 'idx'; conversationId: ConversationId; segment: number };

const NAME = /^c\/([A-Za-z0-9_-]{1,40})\/(0|[1-9][0-9]{0,8})\/(?:u\/([A-Za-z0-9_-]{1,40})|(mod)|(idx))$/;

export function parseDocName(name: string): DocName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const conversationId = m[1] as ConversationId;
  const segment = Number(m[2]);
  if (m[3] !== undefined) return { kind: 'author', conversationId, segment, userId: m[3] as UserId };
  if (m[4] !== undefined) return { kind: 'mod', conversationId, segment };
  return { kind: 'idx', conversationId, segment };
}

export function formatDocName(d: DocName): string {
  const base = `c/${d.conversationId}/${d.segment}`;
  switch (d.kind) {
    case 'author':
      return `${base}/u/${d.userId}`;
    case 'mod':
      return `${base}/mod`;
    case 'idx':
      return `${base}/idx`;
  }
}

export function authorDoc(conversationId: ConversationId, userId: UserId, segment = 0): string {
  return formatDocName({ kind: 'author', conversationId, segment, userId });
}

export function modDoc(conversationId: ConversationId, segment = 0): string {
  return formatDocName({ kind: 'mod', conversationId, segment });
}

export function idxDoc(conversationId: ConversationId, segment = 0): string {
  return formatDocName({ kind: 'idx', conversationId, segment });
}
