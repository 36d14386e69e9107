export {
  createEngine,
  type Engine,
  type EngineMessage,
  type EngineOptions,
  type ConversationView,
  type MessageStatus,
  type PresenceInfo,
  type StatusChoice,
  type SyncStatus,
} from './engine.ts';
export { createMemoryStorage, type ActionKind, type EngineStorage, type OutboxEntry } from './storage.ts';
export { ApiError, NetworkError } from './api-client.ts';
export { type ConnectionState, type SocketFactory, type SocketLike, type Timers } from './connection.ts';
export { applyAction, type ActionPayloads } from './actions.ts';
export type { PeerEvent } from './peers.ts';
export type { RefusedReport } from './reports.ts';
export { sessionEndOfClose, sessionEndOfHttp, type SessionEnded } from './session-end.ts';
