/**
 * `forager engine up|down|status`: forager's own engine as a background process for local work.
 *
 * This file never imports the engine: it spawns `src/engine/main.ts` (`main.js` when built) detached, with its output in
 * `<state>/engine.log`, waits for its ready line, and records pid and port in `<state>/engine.json`.
 * It reaches the engine only over the wire (the reachability probe), like any client.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { resolveStateDir } from '../../src/config/index.ts';
import { checkReachable } from '../../src/transport/index.ts';
import { parseCount, parseDuration } from '../lib/args.ts';
import { CliError, EXIT } from '../lib/errors.ts';
import type { CliIo } from '../lib/io.ts';
import { examples, output, type Output } from '../lib/output.ts';

// Beside this file's own kind: the TypeScript sources run through tsx, the built image's JavaScript (dist/) as it is.
const BUILT = import.meta.url.endsWith('.js');
const ENGINE_MAIN = fileURLToPath(new URL(`../../src/engine/main.${BUILT ? 'js' : 'ts'}`, import.meta.url));
const ENGINE_LOADER = BUILT ? [] : ['--import', import.meta.resolve('tsx')];
const REPO_ROOT = dirname(dirname(dirname(ENGINE_MAIN)));
const READY_LINE = /forager engine listening on (\S+):(\d+) \(REST (http:\/\/\S+?),/;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const HOST = '127.0.0.1';

/** What `engine.json` holds. */
export interface EngineRecord {
  readonly pid: number;
  readonly port: number;
  readonly address: string;
  /** `http://host:port` of the engine's REST API (absent in records of older engines). */
  readonly restAddress?: string;
  readonly startedAt: string;
  readonly logFile: string;
  /** Set when the engine requires bearer tokens (`--auth-issuer`). */
  readonly auth?: EngineAuth;
  /** The engine's data directory (`--data-dir`), absolute; absent when it keeps its state in memory. */
  readonly dataDir?: string;
  /** Backpressure and history settings it was started with; absent where the engine's defaults apply. */
  readonly limits?: EngineLimits;
}

/** What `up` passed on to the engine beyond its defaults. */
export interface EngineLimits {
  readonly maxInFlight?: number;
  readonly retentionMs?: number;
  readonly maxEndedInstances?: number;
}

const flagOf = (name: keyof EngineLimits): string =>
  ({ maxInFlight: '--max-in-flight', retentionMs: '--retention', maxEndedInstances: '--max-ended-instances' })[name];

/** The engine's authentication: tokens of `issuer` (with `audience` in `aud`, when set). */
export interface EngineAuth {
  readonly issuer: string;
  readonly audience?: string;
}

function statePaths(io: CliIo) {
  const dir = resolveStateDir(io.env);
  return { dir, record: join(dir, 'engine.json'), log: join(dir, 'engine.log') };
}

async function readRecord(file: string): Promise<EngineRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as Partial<EngineRecord>;
    if (typeof record.pid === 'number' && typeof record.port === 'number' && typeof record.address === 'string') return record as EngineRecord;
  } catch {
    // a broken record is as good as none
  }
  return undefined;
}

/** Alive and not a zombie; where /proc exists, also still the engine (pids get reused). */
function isEngineAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(ENGINE_MAIN);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints the environment that points a client at the engine: `NAME=value` lines, or one JSON object with `--json`. */
async function printAddress(out: Output, address: string, restAddress: string | undefined, auth?: EngineAuth) {
  const env: Record<string, string> = { ZEEBE_ADDRESS: address, ZEEBE_GRPC_ADDRESS: `grpc://${address}` };
  if (restAddress) env.ZEEBE_REST_ADDRESS = restAddress;
  let tokenUrl: unknown;
  if (auth) {
    // What a client needs besides its own ZEEBE_CLIENT_ID / ZEEBE_CLIENT_SECRET: the token endpoint (from the
    // issuer's discovery document, when it answers) and the audience.
    env.CAMUNDA_AUTH_STRATEGY = 'OAUTH';
    tokenUrl = await fetch(`${auth.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(2_000) })
      .then(async (response) => (response.ok ? ((await response.json()) as { token_endpoint?: unknown }).token_endpoint : undefined))
      .catch(() => undefined);
    if (typeof tokenUrl === 'string') env.CAMUNDA_OAUTH_URL = tokenUrl;
    if (auth.audience) env.ZEEBE_TOKEN_AUDIENCE = auth.audience;
  }
  out.result(Object.entries(env).map(([name, value]) => `${name}=${value}`), env);
  if (!auth) return;
  out.note(
    `the engine requires bearer tokens of ${auth.issuer}${auth.audience ? ` for audience '${auth.audience}'` : ''}; ` +
      `set ZEEBE_CLIENT_ID and ZEEBE_CLIENT_SECRET${typeof tokenUrl === 'string' ? '' : ' and CAMUNDA_OAUTH_URL (the issuer\'s token endpoint)'} too`,
  );
}

function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

async function up(io: CliIo, out: Output, options: { port?: number; authIssuer?: string; authAudience?: string; dataDir?: string; maxInFlight?: number; retentionMs?: number; maxEndedInstances?: number }): Promise<number> {
  const paths = statePaths(io);
  await mkdir(paths.dir, { recursive: true });
  const dataDirOption = options.dataDir ?? (io.env.FORAGER_ENGINE_DATA_DIR?.trim() || undefined);
  const dataDir = dataDirOption === undefined ? undefined : resolve(io.cwd, dataDirOption);

  // A flag wins over its environment variable; both are checked before anything starts (exit 2 naming the one at fault).
  const setting = (given: number | undefined, variable: string, parse: (text: string, name: string) => number): number | undefined => {
    if (given !== undefined) return given;
    const text = io.env[variable]?.trim();
    return text ? parse(text, variable) : undefined;
  };
  const maxInFlight = setting(options.maxInFlight, 'FORAGER_ENGINE_MAX_IN_FLIGHT', parseCount);
  const retentionMs = setting(options.retentionMs, 'FORAGER_ENGINE_RETENTION', parseDuration);
  const maxEnded = setting(options.maxEndedInstances, 'FORAGER_ENGINE_MAX_ENDED_INSTANCES', parseCount);
  const limits: EngineLimits = {
    ...(maxInFlight === undefined ? {} : { maxInFlight }),
    ...(retentionMs === undefined ? {} : { retentionMs }),
    ...(maxEnded === undefined ? {} : { maxEndedInstances: maxEnded }),
  };
  const limitArgs = [
    ...(maxInFlight === undefined ? [] : ['--max-in-flight', String(maxInFlight)]),
    ...(retentionMs === undefined ? [] : ['--retention-ms', String(retentionMs)]),
    ...(maxEnded === undefined ? [] : ['--max-ended-instances', String(maxEnded)]),
  ];

  const existing = await readRecord(paths.record);
  if (existing) {
    if (isEngineAlive(existing.pid)) {
      const answering = await checkReachable({ host: HOST, port: existing.port, secure: false }, 2_000).then(
        () => true,
        () => false,
      );
      if (!answering) {
        throw new CliError(`engine pid ${existing.pid} is recorded at ${existing.address} but does not answer; run \`forager engine down\` first`, EXIT.RUNTIME);
      }
      if (options.port !== undefined && options.port !== existing.port) {
        throw new CliError(`an engine is already running at ${existing.address} (pid ${existing.pid}); run \`forager engine down\` before starting one on port ${options.port}`, EXIT.RUNTIME);
      }
      if (dataDir !== undefined && dataDir !== existing.dataDir) {
        const where = existing.dataDir ? `with its data in ${existing.dataDir}` : 'in memory';
        throw new CliError(`an engine is already running at ${existing.address} (pid ${existing.pid}) ${where}; run \`forager engine down\` before starting one on ${dataDir}`, EXIT.RUNTIME);
      }
      if (options.authIssuer !== undefined && options.authIssuer !== existing.auth?.issuer) {
        throw new CliError(`an engine is already running at ${existing.address} (pid ${existing.pid}) with other authentication settings; run \`forager engine down\` first`, EXIT.RUNTIME);
      }
      const differing = (Object.keys(limits) as (keyof EngineLimits)[]).filter((name) => limits[name] !== existing.limits?.[name]);
      if (differing.length > 0) {
        throw new CliError(
          `an engine is already running at ${existing.address} (pid ${existing.pid}) with other settings (${differing.map(flagOf).join(', ')}); run \`forager engine down\` first`,
          EXIT.RUNTIME,
        );
      }
      out.note(`reusing the engine already running at ${existing.address} (pid ${existing.pid})`);
      await printAddress(out, existing.address, existing.restAddress, existing.auth);
      return EXIT.OK;
    }
    await rm(paths.record, { force: true });
  }

  if (options.port !== undefined && options.port !== 0 && !(await portIsFree(options.port))) {
    throw new CliError(`port ${options.port} is in use on ${HOST}: choose another with --port, or omit --port for a free one`, EXIT.RUNTIME);
  }

  const issuer = options.authIssuer ?? (io.env.FORAGER_ENGINE_AUTH_ISSUER?.trim() || undefined);
  const audience = options.authAudience ?? (io.env.FORAGER_ENGINE_AUTH_AUDIENCE?.trim() || undefined);
  if (audience !== undefined && issuer === undefined) {
    throw new CliError('--auth-audience needs --auth-issuer (the OIDC issuer whose tokens the engine accepts)', EXIT.BAD_INPUT);
  }
  const auth: EngineAuth | undefined = issuer === undefined ? undefined : { issuer, ...(audience !== undefined ? { audience } : {}) };
  const authArgs = auth ? ['--auth-issuer', auth.issuer, ...(auth.audience !== undefined ? ['--auth-audience', auth.audience] : [])] : [];

  const logFd = openSync(paths.log, 'w');
  const child = spawn(process.execPath, [...ENGINE_LOADER, ENGINE_MAIN, '--port', String(options.port ?? 0), ...authArgs, ...limitArgs, ...(dataDir !== undefined ? ['--data-dir', dataDir] : [])], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...io.env },
  });
  closeSync(logFd);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let ready: RegExpExecArray | null = null;
  let log = '';
  for (;;) {
    log = await readFile(paths.log, 'utf8').catch(() => '');
    ready = READY_LINE.exec(log);
    if (ready || exited || Date.now() >= deadline) break;
    const failed = await Promise.race([spawnError, sleep(25).then(() => undefined)]);
    if (failed) throw new CliError(`cannot start the engine: ${failed.message}`, EXIT.RUNTIME);
  }

  if (!ready) {
    if (!exited) {
      child.kill('SIGKILL');
      throw new CliError(`the engine did not report ready within ${READY_TIMEOUT_MS / 1000} s; last lines of ${paths.log}:\n${tail(log)}`, EXIT.RUNTIME);
    }
    if (/PORT_IN_USE|EADDRINUSE/.test(log)) {
      throw new CliError(`port ${options.port ?? 0} is in use on ${HOST}: choose another with --port, or omit --port for a free one`, EXIT.RUNTIME);
    }
    const how = exited.signal ? `signal ${exited.signal}` : `exit code ${exited.code}`;
    throw new CliError(`the engine stopped before it was ready (${how}); last lines of ${paths.log}:\n${tail(log)}`, EXIT.RUNTIME);
  }

  const port = Number(ready[2]);
  const address = `${ready[1]}:${port}`;
  const restAddress = ready[3];
  const record: EngineRecord = {
    pid: child.pid as number,
    port,
    address,
    restAddress,
    startedAt: new Date().toISOString(),
    logFile: paths.log,
    ...(auth ? { auth } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
  await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`);
  child.unref();
  const recovered = /forager engine recovered (.*)/.exec(log)?.[1];
  if (dataDir !== undefined) out.note(`the engine keeps its state in ${dataDir}${recovered ? `; recovered ${recovered.replace(/ from \S+/, '')}` : ''}`);
  await printAddress(out, address, restAddress, auth);
  return EXIT.OK;
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isEngineAlive(pid)) return true;
    await sleep(25);
  }
  return !isEngineAlive(pid);
}

async function down(io: CliIo, out: Output): Promise<number> {
  const paths = statePaths(io);
  const record = await readRecord(paths.record);
  if (!record) {
    out.result(['forager: no engine is running'], { stopped: false, running: false });
    return EXIT.OK;
  }
  if (!isEngineAlive(record.pid)) {
    await rm(paths.record, { force: true });
    out.result([`forager: no engine is running (removed the record of pid ${record.pid}, which had already stopped)`], { stopped: false, running: false, pid: record.pid });
    return EXIT.OK;
  }
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(record.pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  let how = 'stopped';
  if (!(await waitForExit(record.pid, STOP_GRACE_MS))) {
    signal('SIGKILL');
    how = `killed (no exit within ${STOP_GRACE_MS / 1000} s of SIGTERM)`;
    if (!(await waitForExit(record.pid, 2_000))) {
      throw new CliError(`engine pid ${record.pid} does not stop, even after SIGKILL`, EXIT.RUNTIME);
    }
  }
  await rm(paths.record, { force: true });
  out.result([`forager: ${how} the engine at ${record.address} (pid ${record.pid})`], { stopped: true, killed: how !== 'stopped', address: record.address, pid: record.pid });
  return EXIT.OK;
}

async function status(io: CliIo, out: Output): Promise<number> {
  const paths = statePaths(io);
  const record = await readRecord(paths.record);
  if (!record || !isEngineAlive(record.pid)) {
    if (record) await rm(paths.record, { force: true });
    out.result(['forager: engine not running'], { running: false });
    return EXIT.NOT_RUNNING;
  }
  const uptimeMs = Date.now() - Date.parse(record.startedAt);
  const uptime = formatUptime(uptimeMs);
  const facts = { pid: record.pid, address: record.address, restAddress: record.restAddress, uptimeMs, dataDir: record.dataDir, logFile: record.logFile };
  const answering = await checkReachable({ host: HOST, port: record.port, secure: false }, 2_000).then(
    () => true,
    () => false,
  );
  if (!answering) {
    out.result([`forager: engine pid ${record.pid} is running but does not answer at ${record.address} (up ${uptime}); see ${record.logFile}`], { running: true, answering: false, ...facts });
    return EXIT.RUNTIME;
  }
  out.result([`forager: engine running at ${record.address} (pid ${record.pid}, up ${uptime}${record.dataDir ? `, data in ${record.dataDir}` : ''})`], { running: true, answering: true, ...facts });
  return EXIT.OK;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new CliError(`--port: expected a port number (0-65535), got ${JSON.stringify(text)}`, EXIT.BAD_INPUT);
  return Number(text);
}

export function registerEngine(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const engine = program.command('engine').description("run forager's own Zeebe-compatible engine in the background");
  const up_ = engine
    .command('up')
    .description('start the engine (or reuse the running one) and print the environment that points at it')
    .option('--port <port>', 'gRPC port (default: a free port)')
    .option('--auth-issuer <url>', 'require bearer tokens (JWT) of this OIDC issuer on every call (default: no authentication; env FORAGER_ENGINE_AUTH_ISSUER)')
    .option('--auth-audience <audience>', "with --auth-issuer: tokens' aud must contain this (env FORAGER_ENGINE_AUTH_AUDIENCE)")
    .option(
      '--data-dir <dir>',
      'keep the engine\'s log and snapshots in <dir>: state survives `engine down`/`up` and a crash (default: in memory; env FORAGER_ENGINE_DATA_DIR)',
    )
    .option('--max-in-flight <n>', 'backpressure: commands in flight beyond n get RESOURCE_EXHAUSTED, as a loaded Zeebe answers (default: no limit; env FORAGER_ENGINE_MAX_IN_FLIGHT)')
    .option('--retention <duration>', 'REST searches keep an ended instance this long on the engine clock: 30m, 24h, 7d, PT1H (default 24h; env FORAGER_ENGINE_RETENTION)')
    .option('--max-ended-instances <n>', 'REST searches keep at most n ended instances, the oldest dropped first (default 10000; env FORAGER_ENGINE_MAX_ENDED_INSTANCES)')
    .addHelpText(
      'after',
      examples(
        '$ forager engine up',
        'ZEEBE_ADDRESS=127.0.0.1:41235',
        'ZEEBE_GRPC_ADDRESS=grpc://127.0.0.1:41235',
        'ZEEBE_REST_ADDRESS=http://127.0.0.1:41237',
        '$ eval "$(forager engine up --data-dir .forager-data)" && export ZEEBE_ADDRESS ZEEBE_GRPC_ADDRESS ZEEBE_REST_ADDRESS',
      ),
    )
    .action(async (opts: { port?: string; authIssuer?: string; authAudience?: string; dataDir?: string; maxInFlight?: string; retention?: string; maxEndedInstances?: string }) =>
      setExit(
        await up(io, output(io, up_), {
          ...(opts.port === undefined ? {} : { port: parsePort(opts.port) }),
          ...(opts.authIssuer === undefined ? {} : { authIssuer: opts.authIssuer }),
          ...(opts.authAudience === undefined ? {} : { authAudience: opts.authAudience }),
          ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
          ...(opts.maxInFlight === undefined ? {} : { maxInFlight: parseCount(opts.maxInFlight, '--max-in-flight') }),
          ...(opts.retention === undefined ? {} : { retentionMs: parseDuration(opts.retention, '--retention') }),
          ...(opts.maxEndedInstances === undefined ? {} : { maxEndedInstances: parseCount(opts.maxEndedInstances, '--max-ended-instances') }),
        }),
      ),
    );
  const down_ = engine
    .command('down')
    .description('stop the engine started by `engine up` (its data directory, if it has one, stays)')
    .addHelpText('after', examples('$ forager engine down', 'forager: stopped the engine at 127.0.0.1:41235 (pid 4242)'))
    .action(async () => setExit(await down(io, output(io, down_))));
  const status_ = engine
    .command('status')
    .description('say whether the engine runs (exit 3 when it does not)')
    .addHelpText('after', examples('$ forager engine status || forager engine up', 'forager: engine running at 127.0.0.1:41235 (pid 4242, up 5m 2s)'))
    .action(async () => setExit(await status(io, output(io, status_))));
}
