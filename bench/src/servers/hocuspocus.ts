import { join } from 'node:path';
import { Database as HocuspocusDatabase } from '@hocuspocus/extension-database';
import { Server } from '@hocuspocus/server';
import Sqlite from 'better-sqlite3';
import type { RunningServer } from './types.ts';

/**
 * Hocuspocus 3.4 (4.x needs Node 22) with its Database extension over a SQLite file.
 *
 * Why not @hocuspocus/extension-sqlite: it depends on `sqlite3`, whose install script fetches a prebuilt
 * binary from GitHub (or compiles from source), and nothing here may download at install or run time.
 * The extension-sqlite is itself a thin Database extension; this is the same table, the same two queries
 * and sqlite3's default settings (rollback journal, synchronous=FULL), on better-sqlite3 which we already
 * have. Hocuspocus stores a whole document state, debounced (2 s, at most 10 s): nothing is durable when
 * a client's update is relayed, and clients get no acknowledgement.
 *
 * `deflate`: permessage-deflate through Hocuspocus's WebSocket options (the Server constructor's second
 * argument, handed to ws), with ws's defaults (`perMessageDeflate: true`), the same as the y-websocket
 * server gets; off is how Hocuspocus ships.
 */
export async function startHocuspocus(
  dataDir: string,
  port: number,
  deflate: boolean,
): Promise<RunningServer> {
  const db = new Sqlite(join(dataDir, 'hocuspocus.sqlite'));
  db.exec(
    `CREATE TABLE IF NOT EXISTS "documents" ("name" varchar(255) NOT NULL, "data" blob NOT NULL, UNIQUE(name))`,
  );
  const select = db.prepare<[string], { data: Buffer }>(
    'SELECT data FROM "documents" WHERE name = ? ORDER BY rowid DESC',
  );
  const upsert = db.prepare<{ name: string; data: Buffer }>(
    'INSERT INTO "documents" ("name", "data") VALUES (@name, @data) ON CONFLICT(name) DO UPDATE SET data = @data',
  );
  const server = new Server(
    {
      port,
      address: '127.0.0.1',
      quiet: true,
      stopOnSignals: false,
      extensions: [
        new HocuspocusDatabase({
          fetch: ({ documentName }) => Promise.resolve(select.get(documentName)?.data ?? null),
          store: ({ documentName, state }) => {
            upsert.run({ name: documentName, data: state });
            return Promise.resolve();
          },
        }),
      ],
    },
    { perMessageDeflate: deflate },
  );
  await server.listen(port);
  return {
    port,
    stop: async () => {
      await server.destroy();
      db.close();
    },
    info: () => ({}),
  };
}
