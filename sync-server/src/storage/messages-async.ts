import type { Db } from './db.ts';
import { liftSync } from './lift-sync.ts';
import type { MessageStore } from './messages.ts';

/** A message as the projection first stores it (messages.ts `insert`). */
export type NewMessage = {
  conversationId: string;
  authorId: string;
  localId: string;
  /** Its place in the conversation's index, unique per conversation. */
  seq: number;
  parentKey: string | null;
  text: string;
  clientTs: number;
  receivedAt: number;
};

/** A stored message's place, current text and what has happened to it (messages.ts `get`). */
export type MessageRow = {
  seq: number;
  text: string;
  parentKey: string | null;
  editedAt: number | null;
  deletedAt: number | null;
  removedBy: string | null;
};

/** One earlier text of a message, kept for safeguarding review (messages.ts `revisions`). */
export type MessageRevision = {
  kind: string;
  previousText: string;
  newText: string | null;
  byUser: string;
  at: number;
};

/** A deleted or removed message whose content is still in its author's document (messages.ts `toRedact`). */
export type RedactionDue = {
  conversationId: string;
  authorId: string;
  localId: string;
  seq: number;
  removed: boolean;
};

/**
 * The message projection with the operations of `MessageStore` (messages.ts), for an asynchronous database
 * (PostgreSQL, storage/pg/message-store.ts; docs/SCALE-OUT.md §2, §3). Every write takes `tx`, the document
 * store's commit transaction (`AsyncDocStore.appendBatch`'s `alongside`), because the projection must
 * commit with the updates it comes from (P4): there is no write outside a commit. Reads are Promises.
 *
 * The rules are the SQLite store's: a second insert of a stored message is refused (the judges refuse a
 * known id before the commit, so one reaching the store is a bug that must fail the commit, not vanish);
 * an edit, delete or removal of a message not stored does nothing; each of them keeps the previous text as
 * a revision. One conformance suite (test/messages-async.suite.ts) runs against every implementation.
 */
export interface AsyncMessageStore<Tx = unknown> {
  insert(tx: Tx, m: NewMessage): Promise<void>;
  recordEdit(
    tx: Tx,
    conversationId: string,
    authorId: string,
    localId: string,
    text: string,
    at: number,
  ): Promise<void>;
  recordDelete(tx: Tx, conversationId: string, authorId: string, localId: string, at: number): Promise<void>;
  recordRemoval(
    tx: Tx,
    conversationId: string,
    authorId: string,
    localId: string,
    by: string,
    at: number,
  ): Promise<void>;
  /** The server took these messages' content out of their author's document (P16). */
  markRedacted(
    tx: Tx,
    conversationId: string,
    authorId: string,
    localIds: readonly string[],
    at: number,
  ): Promise<void>;
  /** Deleted or removed messages not yet redacted, at most `limit`, in no particular order. */
  toRedact(limit: number): Promise<RedactionDue[]>;
  exists(conversationId: string, authorId: string, localId: string): Promise<boolean>;
  get(conversationId: string, authorId: string, localId: string): Promise<MessageRow | undefined>;
  /** Oldest first. */
  revisions(conversationId: string, authorId: string, localId: string): Promise<MessageRevision[]>;
  /** An author's message ids in a conversation placed below `seq` (the segments before one). */
  idsBelow(conversationId: string, authorId: string, seq: number): Promise<string[]>;
  /** The parent's author and everyone who replied, in no particular order. */
  threadPeople(conversationId: string, parentKey: string): Promise<string[]>;
  /** The highest place given in the conversation, 0 when none. */
  lastSeq(conversationId: string): Promise<number>;
}

/**
 * The synchronous SQLite store behind the async interface. Writes ignore `tx` (the database itself, from
 * `adaptSqliteDocStore`): they run on the store's connection, which is inside the caller's transaction.
 * Reads run on that connection too, so one made while a batch is open would see its uncommitted rows; as
 * with the document store's adapter, nothing reads the projection in the middle of a commit.
 */
export function adaptSqliteMessageStore(store: MessageStore): AsyncMessageStore<Db> {
  return {
    insert: (_tx, m) => liftSync(() => store.insert(m)),
    recordEdit: (_tx, c, a, l, text, at) => liftSync(() => store.recordEdit(c, a, l, text, at)),
    recordDelete: (_tx, c, a, l, at) => liftSync(() => store.recordDelete(c, a, l, at)),
    recordRemoval: (_tx, c, a, l, by, at) => liftSync(() => store.recordRemoval(c, a, l, by, at)),
    markRedacted: (_tx, c, a, ids, at) => liftSync(() => store.markRedacted(c, a, ids, at)),
    toRedact: (limit) => liftSync(() => store.toRedact(limit)),
    exists: (c, a, l) => liftSync(() => store.exists(c, a, l)),
    get: (c, a, l) => liftSync(() => store.get(c, a, l)),
    revisions: (c, a, l) => liftSync(() => store.revisions(c, a, l)),
    idsBelow: (c, a, seq) => liftSync(() => store.idsBelow(c, a, seq)),
    threadPeople: (c, parentKey) => liftSync(() => store.threadPeople(c, parentKey)),
    lastSeq: (c) => liftSync(() => store.lastSeq(c)),
  };
}
