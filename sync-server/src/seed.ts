import type { ConversationKind } from '@commonroom/protocol';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Accounts } from './services/accounts.ts';
import type { ConversationStore } from './storage/conversations.ts';
import type { Db } from './storage/db.ts';
import { newId } from './storage/ids.ts';
import { createSetupTokenStore } from './storage/setup-tokens.ts';
import type { UserStore } from './storage/users.ts';

type Default = {
  name: string;
  kind: Exclude<ConversationKind, 'dm'>;
  icon: string;
  description: string;
  staffOnly?: true;
  adminOnly?: true;
};

/** The channels every new Commonroom starts with (mission). */
export const DEFAULT_CHANNELS: readonly Default[] = [
  {
    name: 'announcements',
    kind: 'announcement',
    icon: '📢',
    description: 'College-wide announcements from staff.',
  },
  { name: 'general', kind: 'public', icon: '💬', description: 'General discussion for everyone.' },
  {
    name: 'it-support',
    kind: 'public',
    icon: '🆘',
    description: 'Ask for help with accounts, Wi-Fi, devices and this app.',
  },
  {
    name: 'tutors-only',
    kind: 'private',
    icon: '👨‍🏫',
    description: 'Tutors, teachers and staff working together.',
    staffOnly: true,
  },
  { name: 'admin-team', kind: 'private', icon: '⚙️', description: 'The admin team.', adminOnly: true },
  {
    name: 'level3-adult-care',
    kind: 'public',
    icon: '🎓',
    description: 'Level 3 Adult Care students and tutors.',
  },
  {
    name: 'level2-it-skills',
    kind: 'public',
    icon: '💻',
    description: 'Level 2 IT Skills students and tutors.',
  },
  {
    name: 'level2-customer-service',
    kind: 'public',
    icon: '🤝',
    description: 'Level 2 Customer Service students and tutors.',
  },
];

const SETUP_TOKEN_TTL_MS = 24 * 3_600_000;

/**
 * First start: the default channels, then the first super admin from ADMIN_EMAIL/ADMIN_PASSWORD, or else a
 * one-time setup link printed to the console (a fresh link on each start until someone uses one).
 */
export async function seed(d: {
  db: Db;
  config: Config;
  conversations: ConversationStore;
  users: UserStore;
  accounts: Accounts;
  log: Logger;
  now: () => number;
  print: (line: string) => void;
}): Promise<void> {
  if (d.conversations.channels().length === 0) {
    d.db.transaction(() => {
      for (const c of DEFAULT_CHANNELS) d.conversations.create({ id: newId(), ...c, createdBy: null });
    })();
    d.log.info({ channels: DEFAULT_CHANNELS.length }, 'created default channels');
  }
  if (d.users.count() > 0) return;
  if (d.config.admin) {
    await d.accounts.createFirstAdmin({
      displayName: d.config.admin.name,
      email: d.config.admin.email,
      role: 'super_admin',
      password: d.config.admin.password,
    });
    d.log.info({ email: d.config.admin.email }, 'created the first super admin from ADMIN_EMAIL');
    return;
  }
  const token = createSetupTokenStore(d.db, d.now).issue(SETUP_TOKEN_TTL_MS);
  d.print(
    [
      '',
      '  Commonroom has no accounts yet. Create the first super admin within 24 hours at:',
      `    ${d.config.publicUrl}/setup#${token}`,
      '  (or start with ADMIN_EMAIL and ADMIN_PASSWORD set)',
      '',
    ].join('\n'),
  );
}

/** Uses a setup token once. True when it was valid and unused (storage/setup-tokens.ts). */
export function consumeSetupToken(db: Db, token: string, now: number): boolean {
  return createSetupTokenStore(db, () => now).consume(token);
}
