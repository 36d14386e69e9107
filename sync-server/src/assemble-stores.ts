import { DEFAULT_ATTACHMENT_MB } from '@commonroom/protocol';
import type { Config } from './config.ts';
import { createAttachmentStore } from './storage/attachments.ts';
import { createAppliedActions } from './storage/applied-actions.ts';
import { createAuditLog } from './storage/audit.ts';
import { createCohortStore } from './storage/cohorts.ts';
import { createConversationStore } from './storage/conversations.ts';
import type { Db } from './storage/db.ts';
import { createDocClients } from './storage/doc-clients.ts';
import { createSqliteDocStore } from './storage/doc-store.ts';
import { createMessageStore } from './storage/messages.ts';
import { createMuteStore } from './storage/mutes.ts';
import { createPasswordLinks } from './storage/password-links.ts';
import { createNotifyPrefStore } from './storage/notify-prefs.ts';
import { createPresenceStatusStore } from './storage/presence-status.ts';
import { createPushSubscriptionStore } from './storage/push-subscriptions.ts';
import { createRetentionStore } from './storage/retention.ts';
import { createSafeguardingStore } from './storage/safeguarding.ts';
import { createSearchStore } from './storage/search.ts';
import { createSessionStore } from './storage/sessions.ts';
import { createSettingsStore } from './storage/settings.ts';
import { createUserStore } from './storage/users.ts';

/** The stores over one database (assemble.ts wires them to the rest): every table has one owner here. */
export function createStores(
  db: Db,
  config: Config,
  now: () => number,
  syncFile?: (path: string) => Promise<void>,
) {
  const settings = createSettingsStore(db, {
    workspaceName: config.workspaceName,
    studentDmPolicy: 'anyone',
    dmSupervisorId: null,
    sessionLengthDays: config.sessionTtlMs / 86_400_000,
    attachmentMaxFileMb: DEFAULT_ATTACHMENT_MB.file,
    attachmentDailyMb: DEFAULT_ATTACHMENT_MB.daily,
  });
  return {
    users: createUserStore(db, now),
    settings,
    sessions: createSessionStore(db, now, () => settings.sessionTtlMs()),
    conversations: createConversationStore(db, now),
    messages: createMessageStore(db),
    appliedActions: createAppliedActions(db),
    audit: createAuditLog(db, now),
    store: createSqliteDocStore(db, now, syncFile),
    docClients: createDocClients(db),
    muteStore: createMuteStore(db, now),
    cohorts: createCohortStore(db),
    links: createPasswordLinks(db, now),
    retentionStore: createRetentionStore(db, now),
    safeguardingStore: createSafeguardingStore(db, now),
    pushStore: createPushSubscriptionStore(db, now),
    notifyPrefs: createNotifyPrefStore(db),
    presenceStatus: createPresenceStatusStore(db),
    searchStore: createSearchStore(db),
    attachmentStore: createAttachmentStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
