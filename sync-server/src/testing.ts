import { assembleServer, type ServerDeps, type ServerParts } from './assemble.ts';
import type { Config } from './config.ts';
import { serverOf, type CommonroomServer } from './server.ts';

/**
 * The test-only entry point: the server as createCommonroomServer builds it, with the database and its
 * parts shown, for tests that look inside (stores, rooms, the socket hub). Nothing under src/ imports it
 * (eslint.config.js), so the product server's type carries none of this.
 */

/** What tests may look at inside a running server. */
export type ServerInternals = Pick<
  ServerParts,
  | 'users'
  | 'appliedActions'
  | 'sessions'
  | 'conversations'
  | 'messages'
  | 'audit'
  | 'rooms'
  | 'hub'
  | 'presence'
  | 'store'
  | 'accounts'
  | 'service'
  | 'settings'
  | 'supervision'
  | 'wss'
  | 'retention'
  | 'push'
  | 'pushStore'
  | 'notifyPrefs'
  | 'attachmentStore'
  | 'attachments'
  | 'fileStore'
>;

export type TestableServer = CommonroomServer & { db: ServerParts['db']; internals: ServerInternals };

export function createServerForTests(config: Config, deps: ServerDeps = {}): TestableServer {
  const parts = assembleServer(config, deps);
  return { ...serverOf(parts), db: parts.db, internals: parts };
}
