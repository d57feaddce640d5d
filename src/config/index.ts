/**
 * Options resolved once: the broker address, authentication and the official SDK's settings, read from the
 * same environment variables `@camunda8/sdk` reads (plus command-line flags), validated with zod and frozen.
 *
 * This is the only module of forager that interprets ZEEBE_* / CAMUNDA_* variables; everything else gets the
 * resolved object. Callers pass the environment in (`resolveConfig(process.env, flags)`), so tests need no
 * global state.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Raised for a configuration value that cannot be used; names the variable (or flag) and the value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    message: string,
    readonly variable: string,
    readonly value: string | undefined,
  ) {
    super(message);
  }
}

/** Where the Zeebe gateway's gRPC API is. `secure` means TLS. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
}

export type AuthStrategy = 'NONE' | 'OAUTH' | 'BEARER' | 'BASIC' | 'COOKIE';

export type Auth =
  | { readonly strategy: 'NONE' }
  | {
      readonly strategy: 'OAUTH';
      readonly clientId: string;
      readonly clientSecret: string;
      readonly oauthUrl: string;
      readonly audience: string | undefined;
      readonly scope: string | undefined;
      /** Where the SDK caches tokens on disk (CAMUNDA_TOKEN_CACHE_DIR; default ~/.camunda). */
      readonly tokenCacheDir: string | undefined;
      /** False when CAMUNDA_TOKEN_DISK_CACHE_DISABLE=true: tokens are cached in memory only. */
      readonly diskCache: boolean;
    }
  | { readonly strategy: 'BEARER'; readonly token: string }
  | { readonly strategy: 'BASIC'; readonly username: string; readonly password: string }
  | { readonly strategy: 'COOKIE'; readonly url: string | undefined; readonly username: string | undefined; readonly password: string | undefined };

/** TLS material for a `secure` address (paths or a PEM string), as the SDK's CAMUNDA_CUSTOM_* variables give it. */
export interface TlsFiles {
  readonly rootCertPath: string | undefined;
  readonly rootCert: string | undefined;
  readonly certChainPath: string | undefined;
  readonly privateKeyPath: string | undefined;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The SDK log level forager passes on; 'NONE' unless the user set ZEEBE_CLIENT_LOG_LEVEL. */
export type SdkLogLevel = 'DEBUG' | 'INFO' | 'ERROR' | 'NONE';

/**
 * The object handed to `new Camunda8(...)`. Every value that decides where and how to connect is set
 * explicitly, so that what the SDK reads from the environment on its own cannot disagree with forager.
 */
export type SdkConfig = Readonly<Record<string, unknown>> & {
  readonly zeebeGrpcSettings: Readonly<Record<string, unknown>>;
};

export interface ForagerConfig {
  /** The gRPC gateway; undefined when nothing configures one (forager assumes no default broker). */
  readonly address: BrokerAddress | undefined;
  /** The REST API base URL, when ZEEBE_REST_ADDRESS is set. */
  readonly restAddress: string | undefined;
  readonly auth: Auth;
  readonly tls: TlsFiles;
  /** CAMUNDA_TENANT_ID when set; the SDK otherwise sends `<default>`. */
  readonly tenantId: string | undefined;
  /** CAMUNDA_CLUSTER_ID, informational (the SDK 8.8 does not read it). */
  readonly clusterId: string | undefined;
  readonly sdkLogLevel: SdkLogLevel;
  /** forager's own log level (FORAGER_LOG_LEVEL, default `info`), for pino. */
  readonly logLevel: LogLevel;
  /** forager's own state directory (`$FORAGER_HOME` or `~/.forager`): the engine record and log live here. */
  readonly stateDir: string;
  readonly sdkConfig: SdkConfig;
}

/** Values given on the command line; they win over the environment. */
export interface ConfigFlags {
  /** `grpc://host:port`, `grpcs://host:port` or `host:port` (plaintext). */
  readonly address?: string | undefined;
  readonly tenantId?: string | undefined;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Formats an address the way ZEEBE_GRPC_ADDRESS spells it. */
export function grpcUrl(address: BrokerAddress): string {
  return `${address.secure ? 'grpcs' : 'grpc'}://${hostPort(address)}`;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(address: Pick<BrokerAddress, 'host' | 'port'>): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing helpers: each returns a value or a reason; the caller turns a reason into a ConfigError.

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const portSchema = z.coerce.number().int().min(1).max(65535);

function parseHostPort(text: string): Parsed<{ host: string; port: number }> {
  const match = /^(?:\[([^\]]+)\]|([^:/\s[\]]+)):([^:/\s]*)$/.exec(text.trim());
  if (!match) return { ok: false, reason: 'expected host:port' };
  const host = (match[1] ?? match[2]) as string;
  const portText = match[3] as string;
  const port = /^\d+$/.test(portText) ? portSchema.safeParse(portText) : undefined;
  if (!port?.success) return { ok: false, reason: `"${portText}" is not a port (1-65535)` };
  return { ok: true, value: { host, port: port.data } };
}

function parseGrpcUrl(text: string, insecureDefault: boolean): Parsed<BrokerAddress> {
  const trimmed = text.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed);
  if (!scheme) {
    const hp = parseHostPort(trimmed);
    return hp.ok ? { ok: true, value: { ...hp.value, secure: !insecureDefault } } : hp;
  }
  const protocol = (scheme[1] as string).toLowerCase();
  if (protocol !== 'grpc' && protocol !== 'grpcs') {
    return { ok: false, reason: `expected grpc:// or grpcs://, not ${protocol}://` };
  }
  const rest = trimmed.slice(scheme[0].length).replace(/\/$/, '');
  const hp = parseHostPort(rest);
  return hp.ok ? { ok: true, value: { ...hp.value, secure: protocol === 'grpcs' } } : hp;
}

/**
 * forager's one boolean rule, for every variable that takes one (CAMUNDA_SECURE_CONNECTION,
 * ZEEBE_INSECURE_CONNECTION, CAMUNDA_OAUTH_DISABLED, CAMUNDA_TOKEN_DISK_CACHE_DISABLE, FORAGER_HTTP_ENABLED,
 * FORAGER_WORKER_<TYPE>_ENABLED): `true`/`false`, `1`/`0`, `yes`/`no`, in any case, spaces around ignored.
 */
export function parseBoolean(text: string): Parsed<boolean> {
  const t = text.trim().toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return { ok: true, value: true };
  if (t === 'false' || t === '0' || t === 'no') return { ok: true, value: false };
  return { ok: false, reason: 'expected true or false (or 1/0, yes/no)' };
}

function parseHttpUrl(text: string): Parsed<string> {
  const result = z.url({ protocol: /^https?$/ }).safeParse(text.trim());
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: 'expected an http:// or https:// URL' };
}

// ---------------------------------------------------------------------------------------------------------

/** The variables forager interprets; everything is an optional string until validated. */
const envSchema = z.object({
  ZEEBE_GRPC_ADDRESS: z.string().optional(),
  ZEEBE_ADDRESS: z.string().optional(),
  ZEEBE_REST_ADDRESS: z.string().optional(),
  ZEEBE_CLIENT_ID: z.string().optional(),
  ZEEBE_CLIENT_SECRET: z.string().optional(),
  ZEEBE_TOKEN_AUDIENCE: z.string().optional(),
  CAMUNDA_ZEEBE_OAUTH_AUDIENCE: z.string().optional(),
  CAMUNDA_OAUTH_URL: z.string().optional(),
  CAMUNDA_OAUTH_TOKEN: z.string().optional(),
  CAMUNDA_TOKEN_SCOPE: z.string().optional(),
  CAMUNDA_TOKEN_CACHE_DIR: z.string().optional(),
  CAMUNDA_TOKEN_DISK_CACHE_DISABLE: z.string().optional(),
  CAMUNDA_OAUTH_DISABLED: z.string().optional(),
  CAMUNDA_AUTH_STRATEGY: z.string().optional(),
  CAMUNDA_BASIC_AUTH_USERNAME: z.string().optional(),
  CAMUNDA_BASIC_AUTH_PASSWORD: z.string().optional(),
  CAMUNDA_COOKIE_AUTH_URL: z.string().optional(),
  CAMUNDA_COOKIE_AUTH_USERNAME: z.string().optional(),
  CAMUNDA_COOKIE_AUTH_PASSWORD: z.string().optional(),
  CAMUNDA_SECURE_CONNECTION: z.string().optional(),
  ZEEBE_INSECURE_CONNECTION: z.string().optional(),
  CAMUNDA_TENANT_ID: z.string().optional(),
  CAMUNDA_CLUSTER_ID: z.string().optional(),
  CAMUNDA_CUSTOM_ROOT_CERT_PATH: z.string().optional(),
  CAMUNDA_CUSTOM_ROOT_CERT_STRING: z.string().optional(),
  CAMUNDA_CUSTOM_CERT_CHAIN_PATH: z.string().optional(),
  CAMUNDA_CUSTOM_PRIVATE_KEY_PATH: z.string().optional(),
  ZEEBE_CLIENT_LOG_LEVEL: z.string().optional(),
  FORAGER_LOG_LEVEL: z.string().optional(),
});
type EnvVars = z.infer<typeof envSchema>;

/** Empty strings count as unset, as they do for most shells' `VAR= cmd`. */
function pick(env: Environment): EnvVars {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') picked[key] = value;
  }
  return envSchema.parse(picked);
}

function fail(variable: string, value: string | undefined, reason: string): never {
  const shown = value === undefined ? 'it is not set' : `got ${JSON.stringify(value)}`;
  throw new ConfigError(`${variable}: ${reason} (${shown})`, variable, value);
}

function take<T>(variable: string, value: string, parsed: Parsed<T>): T {
  if (!parsed.ok) fail(variable, value, parsed.reason);
  return parsed.value;
}

function resolveAddress(vars: EnvVars, flags: ConfigFlags): BrokerAddress | undefined {
  const secureConnection =
    vars.CAMUNDA_SECURE_CONNECTION === undefined
      ? undefined
      : take('CAMUNDA_SECURE_CONNECTION', vars.CAMUNDA_SECURE_CONNECTION, parseBoolean(vars.CAMUNDA_SECURE_CONNECTION));
  const insecureConnection =
    vars.ZEEBE_INSECURE_CONNECTION === undefined
      ? undefined
      : take('ZEEBE_INSECURE_CONNECTION', vars.ZEEBE_INSECURE_CONNECTION, parseBoolean(vars.ZEEBE_INSECURE_CONNECTION));

  if (flags.address !== undefined) {
    // A flag without a scheme means plaintext: it is typed by hand, usually for a local engine.
    return take('--address', flags.address, parseGrpcUrl(flags.address, true));
  }
  const grpc = vars.ZEEBE_GRPC_ADDRESS;
  if (grpc !== undefined && grpc.includes('://')) {
    // As in the SDK: a URL with a scheme decides TLS and wins over ZEEBE_ADDRESS and the legacy TLS flags.
    return take('ZEEBE_GRPC_ADDRESS', grpc, parseGrpcUrl(grpc, false));
  }
  // The SDK's legacy rule: TLS unless CAMUNDA_SECURE_CONNECTION=false or ZEEBE_INSECURE_CONNECTION=true.
  const secure = secureConnection ?? !(insecureConnection ?? false);
  const legacy = vars.ZEEBE_ADDRESS !== undefined ? 'ZEEBE_ADDRESS' : grpc !== undefined ? 'ZEEBE_GRPC_ADDRESS' : undefined;
  if (legacy === undefined) return undefined;
  const value = vars[legacy] as string;
  if (legacy === 'ZEEBE_ADDRESS' && value.includes('://')) {
    fail('ZEEBE_ADDRESS', value, 'expected host:port; a URL with grpc:// or grpcs:// belongs in ZEEBE_GRPC_ADDRESS');
  }
  const hp = take(legacy, value, parseHostPort(value));
  return { ...hp, secure };
}

const strategySchema = z.enum(['NONE', 'OAUTH', 'BEARER', 'BASIC', 'COOKIE']);

function required(vars: EnvVars, variable: keyof EnvVars, why: string): string {
  const value = vars[variable];
  if (value === undefined) fail(variable, undefined, `required ${why}`);
  return value;
}

function resolveAuth(vars: EnvVars): Auth {
  const disabled =
    vars.CAMUNDA_OAUTH_DISABLED !== undefined &&
    take('CAMUNDA_OAUTH_DISABLED', vars.CAMUNDA_OAUTH_DISABLED, parseBoolean(vars.CAMUNDA_OAUTH_DISABLED));
  let strategy: AuthStrategy;
  if (vars.CAMUNDA_AUTH_STRATEGY !== undefined) {
    const parsed = strategySchema.safeParse(vars.CAMUNDA_AUTH_STRATEGY.trim().toUpperCase());
    if (!parsed.success) {
      fail('CAMUNDA_AUTH_STRATEGY', vars.CAMUNDA_AUTH_STRATEGY, `expected one of ${strategySchema.options.join(', ')}`);
    }
    strategy = parsed.data;
  } else {
    // The SDK's implicit rule: an OAuth URL plus client credentials means OAuth.
    const implicitOAuth = vars.CAMUNDA_OAUTH_URL !== undefined && vars.ZEEBE_CLIENT_ID !== undefined && vars.ZEEBE_CLIENT_SECRET !== undefined;
    strategy = implicitOAuth ? 'OAUTH' : 'NONE';
  }
  if (disabled) strategy = 'NONE';

  switch (strategy) {
    case 'NONE':
      return { strategy };
    case 'OAUTH': {
      const why = 'for CAMUNDA_AUTH_STRATEGY=OAUTH';
      const oauthUrl = required(vars, 'CAMUNDA_OAUTH_URL', why);
      take('CAMUNDA_OAUTH_URL', oauthUrl, parseHttpUrl(oauthUrl));
      return {
        strategy,
        clientId: required(vars, 'ZEEBE_CLIENT_ID', why),
        clientSecret: required(vars, 'ZEEBE_CLIENT_SECRET', why),
        oauthUrl: oauthUrl.trim(),
        audience: vars.CAMUNDA_ZEEBE_OAUTH_AUDIENCE ?? vars.ZEEBE_TOKEN_AUDIENCE,
        scope: vars.CAMUNDA_TOKEN_SCOPE,
        tokenCacheDir: vars.CAMUNDA_TOKEN_CACHE_DIR,
        diskCache:
          vars.CAMUNDA_TOKEN_DISK_CACHE_DISABLE === undefined
            ? true
            : !take('CAMUNDA_TOKEN_DISK_CACHE_DISABLE', vars.CAMUNDA_TOKEN_DISK_CACHE_DISABLE, parseBoolean(vars.CAMUNDA_TOKEN_DISK_CACHE_DISABLE)),
      };
    }
    case 'BEARER':
      return { strategy, token: required(vars, 'CAMUNDA_OAUTH_TOKEN', 'for CAMUNDA_AUTH_STRATEGY=BEARER') };
    case 'BASIC':
      return {
        strategy,
        username: required(vars, 'CAMUNDA_BASIC_AUTH_USERNAME', 'for CAMUNDA_AUTH_STRATEGY=BASIC'),
        password: required(vars, 'CAMUNDA_BASIC_AUTH_PASSWORD', 'for CAMUNDA_AUTH_STRATEGY=BASIC'),
      };
    case 'COOKIE':
      return {
        strategy,
        url: vars.CAMUNDA_COOKIE_AUTH_URL,
        username: vars.CAMUNDA_COOKIE_AUTH_USERNAME,
        password: vars.CAMUNDA_COOKIE_AUTH_PASSWORD,
      };
  }
}

const logLevelSchema = z.enum(['DEBUG', 'INFO', 'ERROR', 'NONE']);
const foragerLogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function buildSdkConfig(config: Omit<ForagerConfig, 'sdkConfig'>): SdkConfig {
  const { address, auth, tls } = config;
  const sdk: Record<string, unknown> = {
    // Always a URL with a scheme: the SDK then takes TLS from it and ignores the legacy TLS variables.
    // Without an address the SDK would fall back to localhost:26500; forager never asks it to connect then.
    ZEEBE_GRPC_ADDRESS: address ? grpcUrl(address) : 'grpc://localhost:26500',
    // Overrides a ZEEBE_ADDRESS the SDK read from the environment, which would only produce a warning.
    ZEEBE_ADDRESS: '',
    CAMUNDA_AUTH_STRATEGY: auth.strategy,
    CAMUNDA_LOG_LEVEL: config.sdkLogLevel === 'NONE' ? 'none' : config.sdkLogLevel.toLowerCase(),
    zeebeGrpcSettings: {
      ZEEBE_CLIENT_LOG_LEVEL: config.sdkLogLevel,
      ZEEBE_GRPC_CLIENT_EAGER_CONNECT: false,
    },
  };
  if (config.restAddress !== undefined) sdk.ZEEBE_REST_ADDRESS = config.restAddress;
  if (config.tenantId !== undefined) sdk.CAMUNDA_TENANT_ID = config.tenantId;
  switch (auth.strategy) {
    case 'OAUTH':
      sdk.ZEEBE_CLIENT_ID = auth.clientId;
      sdk.ZEEBE_CLIENT_SECRET = auth.clientSecret;
      sdk.CAMUNDA_OAUTH_URL = auth.oauthUrl;
      if (auth.audience !== undefined) sdk.ZEEBE_TOKEN_AUDIENCE = auth.audience;
      if (auth.scope !== undefined) sdk.CAMUNDA_TOKEN_SCOPE = auth.scope;
      if (auth.tokenCacheDir !== undefined) sdk.CAMUNDA_TOKEN_CACHE_DIR = auth.tokenCacheDir;
      sdk.CAMUNDA_TOKEN_DISK_CACHE_DISABLE = !auth.diskCache;
      break;
    case 'BEARER':
      sdk.CAMUNDA_OAUTH_TOKEN = auth.token;
      break;
    case 'BASIC':
      sdk.CAMUNDA_BASIC_AUTH_USERNAME = auth.username;
      sdk.CAMUNDA_BASIC_AUTH_PASSWORD = auth.password;
      break;
    case 'COOKIE':
      if (auth.url !== undefined) sdk.CAMUNDA_COOKIE_AUTH_URL = auth.url;
      if (auth.username !== undefined) sdk.CAMUNDA_COOKIE_AUTH_USERNAME = auth.username;
      if (auth.password !== undefined) sdk.CAMUNDA_COOKIE_AUTH_PASSWORD = auth.password;
      break;
    case 'NONE':
      break;
  }
  if (tls.rootCertPath !== undefined) sdk.CAMUNDA_CUSTOM_ROOT_CERT_PATH = tls.rootCertPath;
  if (tls.rootCert !== undefined) sdk.CAMUNDA_CUSTOM_ROOT_CERT_STRING = tls.rootCert;
  if (tls.certChainPath !== undefined) sdk.CAMUNDA_CUSTOM_CERT_CHAIN_PATH = tls.certChainPath;
  if (tls.privateKeyPath !== undefined) sdk.CAMUNDA_CUSTOM_PRIVATE_KEY_PATH = tls.privateKeyPath;
  return sdk as SdkConfig;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** forager's state directory (`$FORAGER_HOME`, else `~/.forager`), for commands that need nothing else. */
export function resolveStateDir(env: Environment): string {
  const home = env.FORAGER_HOME?.trim();
  if (home) return resolve(home);
  return join(env.HOME?.trim() || homedir(), '.forager');
}

/**
 * Reads the broker settings from `env` (the official SDK's variables) and `flags`, validates them and
 * returns one frozen object. Throws `ConfigError` naming the variable and the value for anything unusable.
 */
export function resolveConfig(env: Environment, flags: ConfigFlags = {}): ForagerConfig {
  const vars = pick(env);
  const address = resolveAddress(vars, flags);
  const restAddress =
    vars.ZEEBE_REST_ADDRESS === undefined
      ? undefined
      : take('ZEEBE_REST_ADDRESS', vars.ZEEBE_REST_ADDRESS, parseHttpUrl(vars.ZEEBE_REST_ADDRESS));
  let sdkLogLevel: SdkLogLevel = 'NONE';
  if (vars.ZEEBE_CLIENT_LOG_LEVEL !== undefined) {
    const parsed = logLevelSchema.safeParse(vars.ZEEBE_CLIENT_LOG_LEVEL.trim().toUpperCase());
    if (!parsed.success) fail('ZEEBE_CLIENT_LOG_LEVEL', vars.ZEEBE_CLIENT_LOG_LEVEL, `expected one of ${logLevelSchema.options.join(', ')}`);
    sdkLogLevel = parsed.data;
  }
  let logLevel: LogLevel = 'info';
  if (vars.FORAGER_LOG_LEVEL !== undefined) {
    const parsed = foragerLogLevelSchema.safeParse(vars.FORAGER_LOG_LEVEL.trim().toLowerCase());
    if (!parsed.success) fail('FORAGER_LOG_LEVEL', vars.FORAGER_LOG_LEVEL, `expected one of ${foragerLogLevelSchema.options.join(', ')}`);
    logLevel = parsed.data;
  }
  const tenantId = flags.tenantId ?? vars.CAMUNDA_TENANT_ID;
  const resolved = {
    address,
    restAddress,
    auth: resolveAuth(vars),
    tls: {
      rootCertPath: vars.CAMUNDA_CUSTOM_ROOT_CERT_PATH,
      rootCert: vars.CAMUNDA_CUSTOM_ROOT_CERT_STRING,
      certChainPath: vars.CAMUNDA_CUSTOM_CERT_CHAIN_PATH,
      privateKeyPath: vars.CAMUNDA_CUSTOM_PRIVATE_KEY_PATH,
    },
    tenantId: tenantId?.trim(),
    clusterId: vars.CAMUNDA_CLUSTER_ID?.trim(),
    sdkLogLevel,
    logLevel,
    stateDir: resolveStateDir(env),
  };
  return deepFreeze({ ...resolved, sdkConfig: buildSdkConfig(resolved) });
}
