import { createMemoryStorage } from '../src/storage.ts';
import { engineStorageSuite } from './storage-suite.ts';

engineStorageSuite('memory', async () => createMemoryStorage());
