import type { OutboxEntry } from '@commonroom/engine';
import { Dexie, type Table } from 'dexie';
import type { CachedFile, UploadEntry } from '../attachments/upload-types.ts';

/**
 * The client's one IndexedDB database. Writes use strict durability, so "saved" means on disk, not in a
 * browser buffer. Version 2 (issue 17) adds the attachment upload queue (`uploads`: a message with its files
 * waiting to be uploaded and sent) and the offline copies of attachments (`files`, keyed by attachment id
 * and variant, never by a signed link, with `usedAt` for least-recently-used eviction).
 */

export type DocRow = { id?: number; name: string; update: Uint8Array };
export type MetaRow = { key: string; value: unknown };

export class CommonroomDb extends Dexie {
  docs!: Table<DocRow, number>;
  outbox!: Table<OutboxEntry, string>;
  meta!: Table<MetaRow, string>;
  uploads!: Table<UploadEntry, string>;
  files!: Table<CachedFile, string>;
  constructor(name: string) {
    super(name, { chromeTransactionDurability: 'strict' });
    this.version(1).stores({ docs: '++id, name', outbox: 'id, order', meta: 'key' });
    this.version(2).stores({ uploads: 'id, order', files: 'key, attachmentId, usedAt, conversationId' });
  }
}

/** The database's name in a browser; tests pass their own. */
export const DB_NAME = 'commonroom';
