/**
 * forager's public entry point (`import { defineWorker } from 'forager'`): what a file in `workers/` and a
 * program running workers need.
 */
export { defineWorker, isWorkerDefinition, runWorkers } from './worker/index.ts';
export type {
  Job,
  JobContext,
  JobOutput,
  Middleware,
  MiddlewareContext,
  RunningWorkers,
  RunWorkersOptions,
  WorkerDefinition,
  WorkerEventName,
  WorkerEvents,
  WorkerOptions,
} from './worker/index.ts';
export { BpmnError, NonRetryableError, IdempotencyConflictError } from './errors.ts';
export { exponential, fixed, none } from './policy/backoff.ts';
export type { BackoffPolicy } from './policy/backoff.ts';
export type { Duration } from './policy/durations.ts';
export { resolveConfig } from './config/index.ts';
export type { ForagerConfig } from './config/index.ts';
export { createOnce, memoryStore, postgresStore, redisStore } from './idempotency/index.ts';
export type {
  IdempotencyStore,
  MemoryStoreOptions,
  Once,
  OnceOptions,
  PostgresPool,
  PostgresStore,
  PostgresStoreOptions,
  RedisClient,
  RedisStoreOptions,
} from './idempotency/index.ts';
