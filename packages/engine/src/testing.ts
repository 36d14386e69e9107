/**
 * The engine's test-only entry point (`@commonroom/engine/testing`): what tests and diagnostics read of an
 * engine that the app must not (settledness, device-write flushing, raw replica state).
 */
export { internalsOf as engineInternals, type EngineInternals } from './internals.ts';
