import type { DmPolicy, NoticeKind } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { Stores } from './assemble-stores.ts';
import type { Policy } from './auth/policy.ts';
import type { Config } from './config.ts';
import type { PushSender } from './push/push-sender.ts';
import type { SyncRooms } from './rooms/sync-rooms.ts';
import { createAccounts } from './services/accounts.ts';
import { createChannelAdmin } from './services/channel-admin.ts';
import { createConversationService } from './services/conversations.ts';
import { createDmSupervision } from './services/dm-supervision.ts';
import { createMuteService } from './services/mutes.ts';
import { createPersonMoves } from './services/person-moves.ts';
import { createRetentionJob, type Redact } from './services/retention.ts';
import { createRosterImport } from './services/roster-import.ts';
import { createSafeguardingExport } from './services/safeguarding-export.ts';
import { createSafeguarding, type Safeguarding } from './services/safeguarding.ts';
import type { Db } from './storage/db.ts';
import { createExportQueries } from './storage/export-queries.ts';
import { createTranscripts } from './storage/transcripts.ts';
import type { Timers } from './timers.ts';
import type { SocketHub } from './ws/socket-hub.ts';

/**
 * The services behind the HTTP routes (assemble.ts makes them after the rooms and the socket hub): each
 * gets what it needs of the rooms and the sockets as functions, so services never import them.
 */

export type ServiceDeps = {
  db: Db;
  config: Config;
  log: Logger;
  now: () => number;
  timers: Timers;
  policy: Policy;
  dmPolicy: () => DmPolicy;
  muteOf: (userId: string, conversationId: string) => { until: number | null; everywhere: boolean } | null;
  rooms: SyncRooms;
  hub: SocketHub;
  redact: Redact | undefined;
  push: PushSender;
};

type Notify = (userIds: Iterable<string>, kind: NoticeKind, payload: unknown) => void;
type Revoke = (conversationId: string, userId: string, reason: string) => void;
/** How a service tells of changes: notices to people's sockets, and taking a conversation off a person. */
type Tell = { notify: Notify; revokeConversation: Revoke };

export function createServices(s: Stores, d: ServiceDeps) {
  const { hub, rooms } = d;
  const tell: Tell = {
    notify: (ids, kind, payload) => hub.notify(ids, kind, payload),
    revokeConversation: (conversationId, userId, reason) =>
      rooms.revokeConversation(conversationId, userId, hub.sessionsOf(userId), reason),
  };
  const people = createPeopleServices(s, d, tell);
  const safeguarding = createSafeguardingService(s, d, tell);
  return {
    ...people,
    safeguarding,
    ...createConversationServices(s, d, tell, people.supervision),
    ...createRecordServices(s, d, safeguarding),
  };
}

/** The services about people: accounts, roster import, moves between roles and cohorts, DM supervision. */
function createPeopleServices(s: Stores, d: ServiceDeps, tell: Tell) {
  const { db, hub } = d;
  const { notify, revokeConversation } = tell;
  const { users, conversations, audit, links } = s;
  const supervision = createDmSupervision({
    db,
    conversations,
    users,
    audit,
    settings: () => s.settings.read(),
    revokeConversation,
    notify,
  });
  const moves = createPersonMoves({
    db,
    users,
    conversations,
    revokeConversation,
    notify,
    rolesChanged: (actorId) => supervision.peopleChanged(actorId),
  });
  const accounts = createAccounts({
    db,
    users,
    sessions: s.sessions,
    conversations,
    audit,
    scryptLogN: d.config.scryptLogN,
    closeSockets: (id, code, reason) => hub.closeUser(id, code, reason),
    closeOtherSockets: (id, keep, code, reason) => {
      for (const x of hub.sessionsOf(id)) if (x.tokenHash !== keep) x.close(code, reason);
    },
    revokeConversation,
    notify,
    notifyAll: (kind, payload) => hub.notifyAll(kind, payload),
    links,
    moves,
  });
  const roster = createRosterImport({ db, users, conversations, audit, links, moves });
  return { supervision, accounts, roster };
}

/** Safeguarding: reports, the keyword watch and the queue; a new report is pushed to the leads. */
function createSafeguardingService(s: Stores, d: ServiceDeps, { notify }: Tell): Safeguarding {
  const { rooms } = d;
  return createSafeguarding({
    db: d.db,
    store: s.safeguardingStore,
    transcripts: createTranscripts(d.db),
    users: s.users,
    conversations: s.conversations,
    policy: d.policy,
    audit: s.audit,
    log: d.log,
    notify,
    removeMessage: (c, author, local, by, reason) => rooms.removeAsServer(c, author, local, by, reason),
    pushToLead: (lead, itemId) =>
      void d.push
        .toUser(lead, {
          kind: 'report',
          title: 'New safeguarding report',
          body: 'Someone reported a message. It is waiting in the safeguarding queue.',
          tag: 'safeguarding',
          url: `/safeguarding/items/${itemId}`,
          conversationId: null,
        })
        .catch((err: unknown) => d.log.warn({ err }, 'push to a safeguarding lead failed')),
  });
}

/** Conversations (create, join, DMs), mutes and channel administration. */
function createConversationServices(
  s: Stores,
  d: ServiceDeps,
  { notify, revokeConversation }: Tell,
  supervision: ReturnType<typeof createDmSupervision>,
) {
  const { db, policy, now } = d;
  const { users, conversations, audit } = s;
  return {
    service: createConversationService({
      db,
      conversations,
      users,
      policy,
      audit,
      dmPolicy: d.dmPolicy,
      supervision,
      revokeConversation,
      notify,
      muteOf: d.muteOf,
      notifyOf: (userId, conversationId) => s.notifyPrefs.conversation(userId, conversationId),
    }),
    muteService: createMuteService({ mutes: s.muteStore, conversations, users, policy, audit, now, notify }),
    channelAdmin: createChannelAdmin({
      db,
      conversations,
      users,
      cohorts: s.cohorts,
      audit,
      revokeConversation,
      notify,
    }),
  };
}

/** What the college keeps and hands over: the retention job and the safeguarding export. */
function createRecordServices(s: Stores, d: ServiceDeps, safeguarding: Safeguarding) {
  const { rooms, now } = d;
  return {
    retention: createRetentionJob({
      store: s.retentionStore,
      settings: () => s.retentionStore.read(),
      // Expired messages leave the server's documents and every device like deleted ones (P16); tests may
      // inject their own.
      redact: d.redact ?? ((targets, why) => rooms.redact(targets, why)),
      audit: s.audit,
      log: d.log,
      now,
      timers: d.timers,
    }),
    exports: createSafeguardingExport({
      isLead: (id) => safeguarding.isLead(id),
      store: s.safeguardingStore,
      queries: createExportQueries(d.db),
      users: s.users,
      conversations: s.conversations,
      audit: s.audit,
      college: () => s.settings.read().workspaceName,
      now,
    }),
  };
}
