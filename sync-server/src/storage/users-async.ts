import type { Role } from '@commonroom/protocol';
import { liftSync } from './lift-sync.ts';
import type { Directory, UserRow, UserSearch, UserStore } from './users.ts';

/** What the profile page may change: only the fields given. */
export type ProfilePatch = {
  displayName?: string | undefined;
  pronouns?: string | undefined;
  avatarColour?: string | undefined;
};

/**
 * The account store with the operations of `UserStore` (users.ts), returning Promises: what PostgreSQL
 * (storage/pg/user-store.ts) can offer (docs/SCALE-OUT.md §2, §3). The rules are the same: a login (email or
 * username) is unique and found whatever its ASCII case; `count` is what the first-admin setup checks; a
 * deactivated account is kept, marked. Rows are cached per process and dropped, never updated, on write;
 * `drop` is for writes made elsewhere (another process), called once they are committed. One conformance
 * suite (test/users-async.suite.ts) runs against every implementation.
 */
export interface AsyncUserStore {
  get(id: string): Promise<UserRow | null>;
  /** By email or username, trimmed, ASCII case aside. */
  findByLogin(login: string): Promise<UserRow | null>;
  /** Every account by display name, ASCII case aside. */
  list(): Promise<UserRow[]>;
  /** Active people without email addresses (buildDirectory), kept until a write. */
  directory(): Promise<Directory>;
  /** A page of the admin console's People table (keyset paging, as `UserStore.search`). */
  search(q: UserSearch): Promise<{ users: UserRow[]; total: number; keys: (string | number)[] }>;
  /** Every cohort anyone is in, with how many people. */
  cohorts(): Promise<Map<string, number>>;
  count(): Promise<number>;
  /** A new, active account; rejects when its email or username is taken. */
  insert(u: Omit<UserRow, 'active'>): Promise<void>;
  setRole(id: string, role: Role): Promise<void>;
  setActive(id: string, active: boolean): Promise<void>;
  setProfile(id: string, p: ProfilePatch): Promise<void>;
  setDisplayName(id: string, name: string): Promise<void>;
  setCohorts(id: string, cohorts: readonly string[]): Promise<void>;
  setPasswordHash(id: string, hash: string): Promise<void>;
  /** Forgets what this process keeps of `id` and the directory (a write committed elsewhere). */
  drop(id: string): void;
}

/** The synchronous SQLite store behind the async interface (each call is one statement). */
export function adaptSqliteUserStore(store: UserStore): AsyncUserStore {
  return {
    get: (id) => liftSync(() => store.get(id)),
    findByLogin: (login) => liftSync(() => store.findByLogin(login)),
    list: () => liftSync(() => store.list()),
    directory: () => liftSync(() => store.directory()),
    search: (q) => liftSync(() => store.search(q)),
    cohorts: () => liftSync(() => store.cohorts()),
    count: () => liftSync(() => store.count()),
    insert: (u) => liftSync(() => store.insert(u)),
    setRole: (id, role) => liftSync(() => store.setRole(id, role)),
    setActive: (id, active) => liftSync(() => store.setActive(id, active)),
    setProfile: (id, p) => liftSync(() => store.setProfile(id, p)),
    setDisplayName: (id, name) => liftSync(() => store.setDisplayName(id, name)),
    setCohorts: (id, cohorts) => liftSync(() => store.setCohorts(id, cohorts)),
    setPasswordHash: (id, hash) => liftSync(() => store.setPasswordHash(id, hash)),
    drop: (id) => store.drop(id),
  };
}
