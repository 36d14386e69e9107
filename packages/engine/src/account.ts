import {
  Conversation,
  Me,
  PublicUser,
  type ConversationNotify,
  type ProfileUpdate,
} from '@commonroom/protocol';
import * as z from 'zod/mini';
import type { ApiClient } from './api-client.ts';
import type { PeerEvent } from './peers.ts';
import type { EngineStorage } from './storage.ts';

/**
 * The account over HTTP: who is signed in, the conversations they are in, the people directory, and the
 * REST calls that change them (join, leave, a new channel or DM, one's profile). Knows nothing of the
 * socket; the sync engine hears of a new conversation list through `onList`.
 */

export const Ok = z.object({ ok: z.literal(true) });
export const MeReply = z.object({ user: Me });
const ConversationsReply = z.object({ conversations: z.array(Conversation) });
const ConversationReply = z.object({ conversation: Conversation });
const UsersReply = z.object({ users: z.array(PublicUser) });
const MembersReply = z.object({ members: z.array(PublicUser) });

export type Account = ReturnType<typeof createAccount>;

export function createAccount(deps: {
  api: ApiClient;
  storage: EngineStorage;
  timers: { setTimeout(f: () => void, ms: number): unknown; clearTimeout(t: unknown): void };
  random: () => number;
  newId: () => string;
  manualCookies: boolean;
  emit: () => void;
  toPeers: (e: PeerEvent) => void;
  /** A new list is in place (`before`: the ids held until now): the sync engine follows and forgets. */
  onList: (list: Conversation[], before: ReadonlySet<string>) => Promise<void>;
}) {
  const { api, storage } = deps;
  let me: Me | null = null;
  let deviceId = '';
  const conversations = new Map<string, Conversation>();
  /** The people directory, kept on the device so names and roles show offline. */
  const directory = new Map<string, PublicUser>();

  /**
   * Conversation refreshes run one at a time, and a call made while one runs joins the single next one,
   * which starts after it: a rollover notice every few dozen milliseconds in a busy channel started
   * overlapping requests whose answers could land out of order, leaving an older segment number in place.
   * While one runs or waits the engine is not settled: a notice said there is more to fetch.
   */
  let refreshRunning: Promise<Conversation[]> | null = null;
  let refreshNext: Promise<Conversation[]> | null = null;
  const refreshConversations = (): Promise<Conversation[]> => {
    if (refreshNext) return refreshNext;
    const start = (): Promise<Conversation[]> => {
      const run: Promise<Conversation[]> = refreshOnce().finally(() => {
        if (refreshRunning === run) refreshRunning = null;
        deps.emit();
      });
      refreshRunning = run;
      return run;
    };
    if (!refreshRunning) return start();
    const next: Promise<Conversation[]> = refreshRunning
      .catch(() => undefined)
      .then(() => {
        refreshNext = null;
        return start();
      });
    refreshNext = next;
    return next;
  };
  const refreshOnce = async (): Promise<Conversation[]> => {
    const { conversations: list } = await api.request('GET', '/api/conversations', ConversationsReply);
    const before = new Set(conversations.keys());
    setList(list);
    await storage.setMeta('conversations', list);
    deps.toPeers({ t: 'conversations', list });
    await deps.onList(list, before);
    deps.emit();
    return list;
  };
  const setList = (list: readonly Conversation[]): void => {
    conversations.clear();
    for (const c of list) conversations.set(c.id, c);
  };

  /**
   * The conversation list again, after a failed refresh: with backoff (the injected timers), until it
   * answers. A server restarting or a captive portal must not leave the engine on a stale segment.
   */
  let refreshTimer: unknown = null;
  let refreshAttempt = 0;
  const refreshLater = (): void => {
    if (refreshTimer !== null || !me) return;
    const ceiling = Math.min(30_000, 500 * 2 ** refreshAttempt);
    refreshAttempt++;
    refreshTimer = deps.timers.setTimeout(
      () => {
        refreshTimer = null;
        refreshConversations().then(
          () => {
            refreshAttempt = 0;
          },
          () => refreshLater(),
        );
      },
      ceiling / 2 + deps.random() * (ceiling / 2),
    );
  };

  /** Asks with the version held on the device (every reconnect does): an unchanged directory is a 304. */
  const refreshDirectory = async (): Promise<PublicUser[]> => {
    const held = await storage.getMeta('usersEtag');
    const etag = typeof held === 'string' && directory.size > 0 ? held : null;
    const r = await api.getIfChanged('/api/users', UsersReply, etag);
    if (r.unchanged) return [...directory.values()];
    const { users } = r.data;
    directory.clear();
    for (const u of users) directory.set(u.id, u);
    await storage.setMeta('users', users);
    await storage.setMeta('usersEtag', r.etag);
    deps.emit();
    return users;
  };

  /**
   * Calls the API, then reads the conversation list again (what the call changed). Only the call can fail:
   * it succeeded, so a list that then could not be read (the network dropped in between) is no reason to
   * say it failed. The server's answer goes into the list held here (`patch`), and the list is read again
   * with backoff until it answers.
   */
  const thenRefresh = async <T>(call: Promise<T>, patch: (out: T) => void): Promise<T> => {
    const out = await call;
    try {
      await refreshConversations();
    } catch {
      patch(out);
      deps.emit();
      refreshLater();
    }
    return out;
  };
  const keep = (r: { conversation: Conversation }): void => {
    conversations.set(r.conversation.id, r.conversation);
  };

  return {
    me: (): Me | null => me,
    deviceId: (): string => deviceId,
    requireMe: (): Me => {
      if (!me) throw new Error('not logged in');
      return me;
    },
    conversations,
    directory,
    conversationOf: (id: string): Conversation => {
      const c = conversations.get(id);
      if (!c) throw new Error(`unknown conversation ${id}`);
      return c;
    },
    /** Takes what the device stored (a start, offline too). */
    restore(stored: {
      deviceId: unknown;
      me: unknown;
      cookie: unknown;
      users: unknown;
      list: unknown;
    }): void {
      deviceId = typeof stored.deviceId === 'string' ? stored.deviceId : deps.newId();
      const m = Me.safeParse(stored.me);
      me = m.success ? m.data : null;
      if (typeof stored.cookie === 'string') api.setCookie(stored.cookie);
      const people = z.array(PublicUser).safeParse(stored.users);
      if (people.success) for (const u of people.data) directory.set(u.id, u);
      const list = z.array(Conversation).safeParse(stored.list);
      if (list.success) setList(list.data);
    },
    ensureDeviceId: async (): Promise<void> => {
      const stored = await storage.getMeta('deviceId');
      deviceId = typeof stored === 'string' ? stored : deps.newId();
      if (typeof stored !== 'string') await storage.setMeta('deviceId', deviceId);
    },
    /** `signedIn` runs as soon as the server accepts, before anything is stored or fetched. */
    login: async (login: string, password: string, signedIn: () => void): Promise<Me> => {
      const { user } = await api.request('POST', '/api/auth/login', MeReply, { login, password });
      signedIn();
      me = user;
      await storage.setMeta('me', user);
      if (deps.manualCookies) await storage.setMeta('cookie', api.cookie());
      await refreshConversations();
      return user;
    },
    /** Ends the session on the server (offline, it expires there) and forgets the account here. */
    logout: async (): Promise<void> => {
      try {
        await api.request('POST', '/api/auth/logout', Ok);
      } catch {
        // Offline: the session still ends here; the server expires it.
      }
      if (refreshTimer !== null) deps.timers.clearTimeout(refreshTimer);
      refreshTimer = null;
    },
    /** After sign-out: nothing of the person stays in memory. */
    forget: (): void => {
      conversations.clear();
      directory.clear();
      me = null;
      api.setCookie(null);
    },
    /** One's own profile (issue 13 §4): saved on the server, then shown here and in the directory. */
    updateProfile: async (patch: ProfileUpdate): Promise<Me> => {
      const { user } = await api.request('PATCH', '/api/profile', MeReply, patch);
      me = user;
      await storage.setMeta('me', user);
      await refreshDirectory().catch(() => undefined);
      deps.emit();
      return user;
    },
    refreshConversations,
    refreshLater,
    refreshDirectory,
    /** A refresh runs or waits: there is more to fetch, so the engine is not settled. */
    refreshing: (): boolean => refreshRunning !== null || refreshNext !== null,
    /** The list another tab fetched. */
    setList,
    members: async (conversationId: string): Promise<PublicUser[]> => {
      return (await api.request('GET', `/api/conversations/${conversationId}/members`, MembersReply)).members;
    },
    join: async (id: string): Promise<Conversation> =>
      (await thenRefresh(api.request('POST', `/api/conversations/${id}/join`, ConversationReply), keep))
        .conversation,
    leave: async (id: string): Promise<void> => {
      await thenRefresh(api.request('POST', `/api/conversations/${id}/leave`, Ok), () =>
        conversations.delete(id),
      );
    },
    /** One's notifications from a conversation (issue 15 §2); needs the network, like join and leave. */
    setNotify: async (id: string, notify: ConversationNotify): Promise<Conversation> =>
      (
        await thenRefresh(
          api.request('PUT', `/api/conversations/${id}/notify`, ConversationReply, { notify }),
          keep,
        )
      ).conversation,
    openDm: async (userIds: string[]): Promise<Conversation> =>
      (await thenRefresh(api.request('POST', '/api/dms', ConversationReply, { userIds }), keep)).conversation,
    createChannel: async (
      name: string,
      kind: 'public' | 'private' | 'announcement',
      description = '',
    ): Promise<Conversation> =>
      (
        await thenRefresh(
          api.request('POST', '/api/conversations', ConversationReply, { name, kind, description }),
          keep,
        )
      ).conversation,
  };
}
