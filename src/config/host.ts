/**
 * The worker host's settings (`forager run`), resolved once beside the broker settings of `./index.ts`: from
 * defaults, FORAGER_* variables and flags (flags win), validated and frozen. Per-type overrides follow the
 * Spring Zeebe starter's `camunda.client.worker.override.<type>.*` as FORAGER_WORKER_<TYPE>_<SETTING>
 * variables (the job type upper-cased, every other character than A-Z and 0-9 as `_`).
 *
 * Pure: the environment and flags are passed in; nothing here reads `process.env` or touches the disk.
 */
import { durationMessage, readDuration } from '../policy/durations.ts';
import { ConfigError, grpcUrl, parseBoolean, type Environment, type ForagerConfig } from './index.ts';

export type ActivationMode = 'stream' | 'poll';
export type LogFormat = 'json' | 'pretty' | 'auto';

/** Per-type settings that win over what the worker file says (undefined: the file's own value). */
export interface TypeOverride {
  readonly enabled: boolean | undefined;
  /** Jobs of this type run at once (the worker's `maxJobsActive`). */
  readonly capacity: number | undefined;
  /** How long the broker gives this worker per job. */
  readonly timeoutMs: number | undefined;
}

export interface HostConfig {
  /** Where the worker files are (`--workers`, FORAGER_WORKERS_DIR; default `workers`), relative to the cwd. */
  readonly workersDir: string;
  /** The job types to run (`--types`, FORAGER_TYPES); undefined runs every discovered and enabled type. */
  readonly types: readonly string[] | undefined;
  readonly mode: ActivationMode;
  /** The HTTP server for probes and metrics; port 0 picks a free port (it is logged). */
  readonly http: { readonly enabled: boolean; readonly host: string; readonly port: number };
  /** How long jobs in flight get to finish after SIGTERM / SIGINT before they are handed back. */
  readonly shutdownGraceMs: number;
  /** How long one long poll waits at the broker for jobs. */
  readonly pollRequestTimeoutMs: number;
  /** How often the host asks the broker whether it answers (for readiness and the connection gauge). */
  readonly brokerCheckIntervalMs: number;
  /** The worker name the broker records on activated jobs (default forager-<hostname>, the pod's name). */
  readonly workerName: string;
  readonly logFormat: LogFormat;
  /** Overrides by the variables' type key (see {@link typeKey}); match them to job types with {@link overrideFor}. */
  readonly overrides: Readonly<Record<string, TypeOverride>>;
  /** Whether to print the resolved configuration (secrets redacted) at start. */
  readonly printConfig: boolean;
}

/** Values from the command line of `forager run`; they win over the environment. */
export interface HostFlags {
  readonly workers?: string | undefined;
  readonly types?: string | undefined;
  readonly mode?: string | undefined;
  readonly httpHost?: string | undefined;
  readonly httpPort?: string | undefined;
  readonly grace?: string | undefined;
  readonly logFormat?: string | undefined;
  readonly printConfig?: boolean | undefined;
}

export const HOST_DEFAULTS = Object.freeze({
  workersDir: 'workers',
  mode: 'stream' as ActivationMode,
  httpHost: '127.0.0.1',
  httpPort: 9464,
  shutdownGraceMs: 25_000,
  pollRequestTimeoutMs: 20_000,
  brokerCheckIntervalMs: 10_000,
  logFormat: 'auto' as LogFormat,
});

/** The variables this file reads, for documentation and `--print-config`. */
export const HOST_VARIABLES = [
  'FORAGER_WORKERS_DIR',
  'FORAGER_TYPES',
  'FORAGER_MODE',
  'FORAGER_HTTP_ENABLED',
  'FORAGER_HTTP_HOST',
  'FORAGER_HTTP_PORT',
  'FORAGER_SHUTDOWN_GRACE',
  'FORAGER_POLL_REQUEST_TIMEOUT',
  'FORAGER_BROKER_CHECK_INTERVAL',
  'FORAGER_WORKER_NAME',
  'FORAGER_LOG_FORMAT',
] as const;

const OVERRIDE = /^FORAGER_WORKER_([A-Z0-9_]+)_(ENABLED|CAPACITY|TIMEOUT)$/;

/** The key of a job type in FORAGER_WORKER_<KEY>_* variables: `send-email` → `SEND_EMAIL`. */
export function typeKey(type: string): string {
  return type.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function fail(variable: string, value: string | undefined, reason: string): never {
  const shown = value === undefined ? 'it is not set' : `got ${JSON.stringify(value)}`;
  throw new ConfigError(`${variable}: ${reason} (${shown})`, variable, value);
}

/**
 * A duration by forager's one grammar (src/policy/durations.ts; README, "Operating forager"): milliseconds
 * (`30000`), units (`30s`, `5m`, `1h30m`, `7d`) or ISO 8601 (`PT30S`). Throws `ConfigError` naming `variable`.
 */
export function parseDurationMs(variable: string, text: string): number {
  const reading = readDuration(text);
  if (!reading.ok) throw new ConfigError(durationMessage(variable, text, reading.reason), variable, text);
  return reading.ms;
}

/** A boolean by the one rule of `parseBoolean` (true/false, 1/0, yes/no); throws `ConfigError` naming `variable`. */
function parseBool(variable: string, text: string): boolean {
  const parsed = parseBoolean(text);
  return parsed.ok ? parsed.value : fail(variable, text, parsed.reason);
}

function parseInteger(variable: string, text: string, min: number, max: number): number {
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) fail(variable, text, `expected a whole number from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(variable: string, text: string, options: readonly T[]): T {
  const t = text.trim().toLowerCase() as T;
  if (!options.includes(t)) fail(variable, text, `expected one of ${options.join(', ')}`);
  return t;
}

/** A comma-separated list of job types; empty entries are refused (a stray comma is usually a typo). */
function parseTypes(variable: string, text: string): readonly string[] {
  const types = text.split(',').map((t) => t.trim());
  if (types.some((t) => t === '')) fail(variable, text, 'expected job types separated by commas, e.g. greet,send-email');
  return [...new Set(types)];
}

/**
 * Resolves the host's settings from `env` and `flags` (flags win), validated and frozen. Throws
 * `ConfigError` naming the variable or flag and the value.
 *
 * @example
 * const host = resolveHostConfig(process.env, { types: 'greet' });
 * host.http.port; // 9464 unless FORAGER_HTTP_PORT says otherwise
 */
export function resolveHostConfig(env: Environment, flags: HostFlags = {}): HostConfig {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  /** The flag's value under its flag name, else the variable's, else undefined. */
  const either = (flag: string, flagValue: string | undefined, variable: string): [string, string] | undefined => {
    if (flagValue !== undefined) return [flag, flagValue];
    const value = get(variable);
    return value === undefined ? undefined : [variable, value];
  };

  const workers = either('--workers', flags.workers, 'FORAGER_WORKERS_DIR');
  if (workers && workers[1].trim() === '') fail(workers[0], workers[1], 'expected a directory');
  const types = either('--types', flags.types, 'FORAGER_TYPES');
  const mode = either('--mode', flags.mode, 'FORAGER_MODE');
  const httpEnabled = get('FORAGER_HTTP_ENABLED');
  const httpHost = either('--http-host', flags.httpHost, 'FORAGER_HTTP_HOST');
  const httpPort = either('--http-port', flags.httpPort, 'FORAGER_HTTP_PORT');
  const grace = either('--grace', flags.grace, 'FORAGER_SHUTDOWN_GRACE');
  const pollTimeout = get('FORAGER_POLL_REQUEST_TIMEOUT');
  const brokerCheck = get('FORAGER_BROKER_CHECK_INTERVAL');
  const logFormat = either('--log-format', flags.logFormat, 'FORAGER_LOG_FORMAT');
  const hostName = get('HOSTNAME')?.trim();

  const brokerCheckIntervalMs = brokerCheck === undefined ? HOST_DEFAULTS.brokerCheckIntervalMs : parseDurationMs('FORAGER_BROKER_CHECK_INTERVAL', brokerCheck);
  if (brokerCheckIntervalMs < 100) fail('FORAGER_BROKER_CHECK_INTERVAL', brokerCheck, 'expected at least 100ms');
  const pollRequestTimeoutMs = pollTimeout === undefined ? HOST_DEFAULTS.pollRequestTimeoutMs : parseDurationMs('FORAGER_POLL_REQUEST_TIMEOUT', pollTimeout);

  const overrides: Record<string, { enabled?: boolean; capacity?: number; timeoutMs?: number }> = {};
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('FORAGER_WORKER_') || name === 'FORAGER_WORKER_NAME') continue;
    const value = get(name);
    if (value === undefined) continue;
    const match = OVERRIDE.exec(name);
    if (!match) {
      fail(name, value, 'not a per-type setting: expected FORAGER_WORKER_<TYPE>_ENABLED, _CAPACITY or _TIMEOUT (or FORAGER_WORKER_NAME)');
    }
    const key = match[1] as string;
    const entry = (overrides[key] ??= {});
    switch (match[2]) {
      case 'ENABLED':
        entry.enabled = parseBool(name, value);
        break;
      case 'CAPACITY':
        entry.capacity = parseInteger(name, value, 1, 10_000);
        break;
      case 'TIMEOUT': {
        const ms = parseDurationMs(name, value);
        if (ms < 1) fail(name, value, 'expected at least 1ms');
        entry.timeoutMs = ms;
        break;
      }
    }
  }
  const frozenOverrides: Record<string, TypeOverride> = {};
  for (const [key, o] of Object.entries(overrides)) {
    frozenOverrides[key] = Object.freeze({ enabled: o.enabled, capacity: o.capacity, timeoutMs: o.timeoutMs });
  }

  return Object.freeze({
    workersDir: workers ? workers[1].trim() : HOST_DEFAULTS.workersDir,
    types: types ? Object.freeze(parseTypes(types[0], types[1])) : undefined,
    mode: mode ? oneOf(mode[0], mode[1], ['stream', 'poll'] as const) : HOST_DEFAULTS.mode,
    http: Object.freeze({
      enabled: httpEnabled === undefined ? true : parseBool('FORAGER_HTTP_ENABLED', httpEnabled),
      host: httpHost ? httpHost[1].trim() : HOST_DEFAULTS.httpHost,
      port: httpPort ? parseInteger(httpPort[0], httpPort[1], 0, 65535) : HOST_DEFAULTS.httpPort,
    }),
    shutdownGraceMs: grace ? parseDurationMs(grace[0], grace[1]) : HOST_DEFAULTS.shutdownGraceMs,
    pollRequestTimeoutMs,
    brokerCheckIntervalMs,
    workerName: get('FORAGER_WORKER_NAME')?.trim() ?? `forager-${hostName || 'host'}`,
    logFormat: logFormat ? oneOf(logFormat[0], logFormat[1], ['json', 'pretty', 'auto'] as const) : HOST_DEFAULTS.logFormat,
    overrides: Object.freeze(frozenOverrides),
    printConfig: flags.printConfig === true,
  });
}

/**
 * Matches the overrides to job types: returns them by job type. Throws `ConfigError` when overrides name a key that no job type in
 * `allTypes` has (a typo would otherwise be ignored silently) or that two job types share.
 */
export function checkOverrides(host: HostConfig, allTypes: readonly string[]): ReadonlyMap<string, TypeOverride> {
  const byKey = new Map<string, string[]>();
  for (const type of allTypes) byKey.set(typeKey(type), [...(byKey.get(typeKey(type)) ?? []), type]);
  const result = new Map<string, TypeOverride>();
  for (const [key, override] of Object.entries(host.overrides)) {
    const types = byKey.get(key);
    const variable = `FORAGER_WORKER_${key}_*`;
    if (!types) {
      const known = allTypes.map((t) => `${t} (${typeKey(t)})`).join(', ') || 'none';
      throw new ConfigError(`${variable}: no worker has a job type with key ${key}; job types found: ${known}`, variable, undefined);
    }
    if (types.length > 1) throw new ConfigError(`${variable}: job types ${types.join(' and ')} share this key; rename one`, variable, undefined);
    result.set(types[0] as string, override);
  }
  return result;
}

const REDACTED = '<redacted>';

/**
 * The resolved configuration as it may be printed or logged: secrets (client secret, tokens, passwords,
 * private key and certificate material) replaced by `<redacted>`.
 */
export function printableConfig(config: ForagerConfig, host: HostConfig): Record<string, unknown> {
  const auth: Record<string, unknown> = { ...config.auth };
  for (const secret of ['clientSecret', 'token', 'password']) {
    if (auth[secret] !== undefined) auth[secret] = REDACTED;
  }
  return {
    broker: {
      address: config.address ? grpcUrl(config.address) : null,
      restAddress: config.restAddress ?? null,
      tenantId: config.tenantId ?? null,
      auth,
      tls: {
        rootCertPath: config.tls.rootCertPath ?? null,
        rootCert: config.tls.rootCert === undefined ? null : REDACTED,
        certChainPath: config.tls.certChainPath ?? null,
        privateKeyPath: config.tls.privateKeyPath ?? null,
      },
    },
    logLevel: config.logLevel,
    host: {
      ...host,
      types: host.types ?? null,
    },
  };
}
