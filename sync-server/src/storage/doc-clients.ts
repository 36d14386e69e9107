import type { Db } from './db.ts';

/**
 * The user each Yjs client id in a shared document belongs to (docs/THREAT_MODEL.md T13). Yjs names every
 * change by (client id, clock) and ignores a change whose id it already holds, so a writer who uses someone
 * else's client id ahead of them has that person's next change acknowledged and silently dropped. A client
 * id is bound to the first user who writes with it, in the same transaction as that write, so the binding
 * holds across reloads and restarts.
 */
export type DocClients = ReturnType<typeof createDocClients>;

export function createDocClients(db: Db) {
  const ofDoc = db.prepare<[string], { client_id: number; user_id: string }>(
    'SELECT client_id, user_id FROM doc_clients WHERE doc = ?',
  );
  const insert = db.prepare('INSERT OR IGNORE INTO doc_clients (doc, client_id, user_id) VALUES (?, ?, ?)');
  return {
    /** Every binding of `doc`: a shared document has a handful of writers, each with a few devices. */
    ownersOf(doc: string): Map<number, string> {
      return new Map(ofDoc.all(doc).map((r) => [r.client_id, r.user_id]));
    },
    /** Runs inside the commit's transaction, with the update that first used these ids. */
    bind(doc: string, clientIds: readonly number[], userId: string): void {
      for (const c of clientIds) insert.run(doc, c, userId);
    },
  };
}
