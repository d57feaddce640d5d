/**
 * Which workers this host runs, and with which settings: the discovered workers narrowed to `--types` /
 * FORAGER_TYPES, minus those disabled with FORAGER_WORKER_<TYPE>_ENABLED=false, with per-type capacity and
 * timeout overrides applied. Pure: a type asked for that no file provides, or an override that names no
 * job type, is a `ConfigError` naming the variable.
 */
import { ConfigError } from '../config/index.ts';
import { checkOverrides, typeKey, type HostConfig } from '../config/host.ts';
import type { WorkerDefinition } from '../worker/index.ts';
import type { LoadedWorker } from './discover.ts';

export interface Selection {
  /** The definitions to run, overrides applied, in discovery order. */
  readonly workers: readonly WorkerDefinition[];
  /** Job types found but not run: left out by `--types`, or disabled. */
  readonly skipped: readonly { readonly type: string; readonly why: 'not selected' | 'disabled' }[];
}

/**
 * @example
 * const { workers } = selectWorkers(await discoverWorkers(dir, cwd), resolveHostConfig(env, { types: 'greet' }), 'workers');
 */
export function selectWorkers(loaded: readonly LoadedWorker[], host: HostConfig, shownDir: string): Selection {
  const allTypes = loaded.map((w) => w.definition.type);
  const overrides = checkOverrides(host, allTypes);
  const wanted = host.types === undefined ? undefined : new Set(host.types);
  if (wanted) {
    const missing = [...wanted].filter((t) => !allTypes.includes(t));
    if (missing.length > 0) {
      const found = allTypes.length > 0 ? allTypes.join(', ') : 'none';
      throw new ConfigError(
        `FORAGER_TYPES / --types: no worker in ${shownDir} for job type${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (job types found: ${found})`,
        'FORAGER_TYPES',
        host.types?.join(','),
      );
    }
  }
  const workers: WorkerDefinition[] = [];
  const skipped: { type: string; why: 'not selected' | 'disabled' }[] = [];
  for (const { definition } of loaded) {
    const { type } = definition;
    const override = overrides.get(type);
    if (wanted && !wanted.has(type)) {
      skipped.push({ type, why: 'not selected' });
      continue;
    }
    if (override?.enabled === false) {
      if (wanted) {
        throw new ConfigError(
          `job type ${type} is asked for by FORAGER_TYPES / --types but disabled by FORAGER_WORKER_${typeKey(type)}_ENABLED=false`,
          'FORAGER_TYPES',
          host.types?.join(','),
        );
      }
      skipped.push({ type, why: 'disabled' });
      continue;
    }
    workers.push(
      override && (override.capacity !== undefined || override.timeoutMs !== undefined)
        ? Object.freeze({
            ...definition,
            maxJobsActive: override.capacity ?? definition.maxJobsActive,
            timeoutMs: override.timeoutMs ?? definition.timeoutMs,
          })
        : definition,
    );
  }
  return { workers, skipped };
}
