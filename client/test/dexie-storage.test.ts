// fake-indexeddb implements IndexedDB in Node, so the same conformance suite the memory storage passes runs
// against our Dexie adapter here; the browser tests exercise it again on Chromium's real IndexedDB.
import 'fake-indexeddb/auto';
import { engineStorageSuite } from '@commonroom/engine/test/storage-suite';
import { createDexieStorage } from '../src/sync/dexie-storage.ts';

let n = 0;
engineStorageSuite('Dexie (IndexedDB)', async () => createDexieStorage(`commonroom-suite-${++n}`));
