export { createCommonroomServer, type CommonroomServer, type ServerDeps } from './server.ts';
export {
  parseConfig,
  ConfigError,
  DEFAULT_LIMITS,
  DEFAULT_WS_COMPRESSION,
  type Config,
  type ServerLimits,
  type WsCompression,
} from './config.ts';
export { createMemoryDocStore, createSqliteDocStore, type DocStore } from './storage/doc-store.ts';
export { openDatabase } from './storage/db.ts';
export { DEFAULT_CHANNELS } from './seed.ts';
export { createSearchStore, type SearchStore } from './storage/search.ts';
export { createSearchService, type SearchService } from './services/search.ts';
