/**
 * forager's public entry point (`import { defineWorker } from 'forager'`): what a file in `workers/` needs.
 */
export { defineWorker, isWorkerDefinition } from './worker/index.ts';
export type { JobContext, JobOutput, WorkerDefinition, WorkerOptions } from './worker/index.ts';
