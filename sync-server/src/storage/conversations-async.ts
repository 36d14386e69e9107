import type {
  ConversationPatch,
  ConversationRow,
  ConversationStore,
  NewConversation,
} from './conversations.ts';
import { liftSync } from './lift-sync.ts';

export type { ConversationPatch, NewConversation };

/**
 * Conversations and their members with the operations of `ConversationStore` (conversations.ts), returning
 * Promises: what PostgreSQL (storage/pg/conversation-store.ts) can offer (docs/SCALE-OUT.md §2, §3). The
 * rules are the same: a channel name and a DM key are unique; members are listed in the order they joined;
 * `advanceSegment` moves only from the segment named (a compare-and-set, so a stale caller is a no-op); a
 * departure is recorded and forgotten when the person is added again. Rows, member sets and the channel
 * list are kept per process and dropped on write; `drop` is for writes of others. One conformance suite
 * (test/conversations-async.suite.ts) runs against every implementation.
 */
export interface AsyncConversationStore {
  get(id: string): Promise<ConversationRow | null>;
  byName(name: string): Promise<ConversationRow | null>;
  /** The DM of exactly these members (the key is their sorted ids, made by the caller). */
  byDmKey(key: string): Promise<ConversationRow | null>;
  /** Public and announcement channels, then the private channels and DMs the user is in. */
  visibleTo(userId: string): Promise<ConversationRow[]>;
  /** Every channel (all but DMs), by name. */
  channels(): Promise<ConversationRow[]>;
  conversationsOf(userId: string): Promise<string[]>;
  /** Rejects when the name or DM key is taken. */
  create(c: NewConversation): Promise<void>;
  update(id: string, patch: ConversationPatch): Promise<void>;
  dms(): Promise<ConversationRow[]>;
  setSupervisor(conversationId: string, userId: string | null): Promise<void>;
  /** Moves to segment `to` if the conversation is at `from`; a no-op when another commit already moved it. */
  advanceSegment(conversationId: string, from: number, to: number): Promise<void>;
  isMember(conversationId: string, userId: string): Promise<boolean>;
  /** In the order they joined. */
  members(conversationId: string): Promise<string[]>;
  memberSet(conversationId: string): Promise<ReadonlySet<string>>;
  memberCount(conversationId: string): Promise<number>;
  memberCounts(): Promise<Map<string, number>>;
  membersJoined(conversationId: string): Promise<{ userId: string; joinedAt: number }[]>;
  /** Channels bound to a cohort (name trimmed, lowercased). */
  boundTo(cohort: string): Promise<ConversationRow[]>;
  /** Adds a member (false when already one); an earlier departure is forgotten. */
  addMember(conversationId: string, userId: string): Promise<boolean>;
  /** Takes a member out by rule: nothing recorded. */
  removeMember(conversationId: string, userId: string): Promise<boolean>;
  /** A person left or was taken out: recorded, so rules do not put them back. */
  departMember(conversationId: string, userId: string): Promise<boolean>;
  departuresOf(userId: string): Promise<Set<string>>;
  /** Forgets what this process keeps of the conversation and the channel list (a write made elsewhere). */
  drop(id: string): void;
}

/** The synchronous SQLite store behind the async interface. */
export function adaptSqliteConversationStore(store: ConversationStore): AsyncConversationStore {
  return {
    get: (id) => liftSync(() => store.get(id)),
    byName: (name) => liftSync(() => store.byName(name)),
    byDmKey: (key) => liftSync(() => store.byDmKey(key)),
    visibleTo: (userId) => liftSync(() => store.visibleTo(userId)),
    channels: () => liftSync(() => store.channels()),
    conversationsOf: (userId) => liftSync(() => store.conversationsOf(userId)),
    create: (c) => liftSync(() => store.create(c)),
    update: (id, patch) => liftSync(() => store.update(id, patch)),
    dms: () => liftSync(() => store.dms()),
    setSupervisor: (cid, userId) => liftSync(() => store.setSupervisor(cid, userId)),
    advanceSegment: (cid, from, to) => liftSync(() => store.advanceSegment(cid, from, to)),
    isMember: (cid, userId) => liftSync(() => store.isMember(cid, userId)),
    members: (cid) => liftSync(() => store.members(cid)),
    memberSet: (cid) => liftSync(() => store.memberSet(cid)),
    memberCount: (cid) => liftSync(() => store.memberCount(cid)),
    memberCounts: () => liftSync(() => store.memberCounts()),
    membersJoined: (cid) => liftSync(() => store.membersJoined(cid)),
    boundTo: (cohort) => liftSync(() => store.boundTo(cohort)),
    addMember: (cid, userId) => liftSync(() => store.addMember(cid, userId)),
    removeMember: (cid, userId) => liftSync(() => store.removeMember(cid, userId)),
    departMember: (cid, userId) => liftSync(() => store.departMember(cid, userId)),
    departuresOf: (userId) => liftSync(() => store.departuresOf(userId)),
    drop: (id) => store.drop(id),
  };
}
