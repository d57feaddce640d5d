/**
 * forager's own Zeebe-compatible engine: public entry point.
 *
 * Only `src/testing/` and the CLI's `engine` command import this module; everything else reaches the
 * engine over the wire, exactly as it would reach a Camunda cluster.
 */
export { startEngine } from './engine-server.ts';
export { EngineStartError } from './engine-server.ts';
export type { EngineOptions, RunningEngine } from './engine-server.ts';
export type { Clock } from './time/clock.ts';
export type { Recovery, StorageStats } from './log/data-dir.ts';
