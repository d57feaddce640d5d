/**
 * The worker host behind `forager run`: discover the worker files of a directory, pick the job types this
 * process serves (per pod), and run them as a service with health, readiness, metrics, logs and a drain
 * on shutdown.
 *
 * @example
 * const config = resolveConfig(process.env);
 * const hostConfig = resolveHostConfig(process.env, { types: 'greet' });
 * const { workers } = selectWorkers(await discoverWorkers(resolve('workers'), process.cwd()), hostConfig, 'workers');
 * const host = await startHost({ config, host: hostConfig, workers, logger: createHostLogger({ level: 'info', format: 'auto' }).logger });
 * process.once('SIGTERM', () => void host.stop());
 */
export { discoverWorkers, shownPath, WorkerDiscoveryError } from './discover.ts';
export type { DiscoveryProblem, LoadedWorker } from './discover.ts';
export { selectWorkers } from './select.ts';
export type { Selection } from './select.ts';
export { startHost } from './host.ts';
export type { HostOptions, RunningHost } from './host.ts';
export { HttpListenError } from './http.ts';
export { createHostLogger, prettyLine } from './log.ts';
export type { HostLogger } from './log.ts';
export { createMetrics } from './metrics.ts';
export type { HostMetrics } from './metrics.ts';
