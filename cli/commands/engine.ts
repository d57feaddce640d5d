/**
 * `forager engine up|down|status`: forager's own engines as background processes for local work, one per name
 * (`--name`, default `default`) and per user, found from any project and any install of forager.
 *
 * This file never imports the engine: it spawns `src/engine/main.ts` (`main.js` when built) detached with `--name <name>`,
 * its output in `<state>/engines/<name>.log`, waits for its ready line, and records it in `<state>/engines/<name>.json`
 * (the registry in `cli/lib/engines.ts`, which also tells whether a recorded engine still runs and holds the lock under
 * which one `up` at a time starts an engine of a name). It reaches the engine only over the wire (the reachability
 * probe), like any client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveStateDir } from '../../src/config/index.ts';
import { checkReachable } from '../../src/transport/index.ts';
import { parseCount, parseDuration } from '../lib/args.ts';
import {
  DEFAULT_ENGINE_NAME,
  EngineRegistry,
  isEngineRunning,
  parseEngineName,
  processStartOf,
  type EngineAuth,
  type EngineLimits,
  type EngineRecord,
  type Survey,
} from '../lib/engines.ts';
import { findEngineProgram, type EngineProgram } from '../lib/engine-program.ts';
import { CliError, EXIT } from '../lib/exit.ts';
import type { CliIo } from '../lib/io.ts';
import { examples, output, type Output } from '../lib/output.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

const READY_LINE = /forager engine listening on (\S+):(\d+) \(REST (http:\/\/\S+?),/;
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const HOST = '127.0.0.1';

const flagOf = (name: keyof EngineLimits): string =>
  ({ maxInFlight: '--max-in-flight', retentionMs: '--retention', maxEndedInstances: '--max-ended-instances', snapshotEvery: '--snapshot-every' })[name];

/** What `engine up` asks for, from flags and environment, checked before anything starts. */
interface UpSettings {
  readonly name: string;
  readonly port?: number;
  /** Absolute. */
  readonly dataDir?: string;
  readonly auth?: EngineAuth;
  readonly limits: EngineLimits;
}

interface UpFlags {
  name?: string;
  port?: number;
  authIssuer?: string;
  authAudience?: string;
  dataDir?: string;
  maxInFlight?: number;
  retentionMs?: number;
  maxEndedInstances?: number;
  snapshotEvery?: number;
}

/** `--name`, else FORAGER_ENGINE_NAME, else `default`. */
function engineName(io: CliIo, given: string | undefined): string {
  if (given !== undefined) return parseEngineName(given, '--name');
  const fromEnv = io.env.FORAGER_ENGINE_NAME?.trim();
  return fromEnv ? parseEngineName(fromEnv, 'FORAGER_ENGINE_NAME') : DEFAULT_ENGINE_NAME;
}

/** A flag wins over its environment variable; a bad value exits 2 naming the one at fault. */
function resolveUpSettings(io: CliIo, flags: UpFlags): UpSettings {
  const fromEnv = (variable: string) => io.env[variable]?.trim() || undefined;
  const setting = (given: number | undefined, variable: string, parse: (text: string, name: string) => number): number | undefined => {
    if (given !== undefined) return given;
    const text = fromEnv(variable);
    return text ? parse(text, variable) : undefined;
  };
  const maxInFlight = setting(flags.maxInFlight, 'FORAGER_ENGINE_MAX_IN_FLIGHT', parseCount);
  const retentionMs = setting(flags.retentionMs, 'FORAGER_ENGINE_RETENTION', parseDuration);
  const maxEndedInstances = setting(flags.maxEndedInstances, 'FORAGER_ENGINE_MAX_ENDED_INSTANCES', parseCount);
  const snapshotEvery = setting(flags.snapshotEvery, 'FORAGER_ENGINE_SNAPSHOT_EVERY', parseCount);
  const dataDir = flags.dataDir ?? fromEnv('FORAGER_ENGINE_DATA_DIR');
  if (snapshotEvery !== undefined && dataDir === undefined) {
    throw new CliError('--snapshot-every needs --data-dir (an engine in memory takes no snapshots)', EXIT.BAD_INPUT);
  }
  const issuer = flags.authIssuer ?? fromEnv('FORAGER_ENGINE_AUTH_ISSUER');
  const audience = flags.authAudience ?? fromEnv('FORAGER_ENGINE_AUTH_AUDIENCE');
  if (audience !== undefined && issuer === undefined) {
    throw new CliError('--auth-audience needs --auth-issuer (the OIDC issuer whose tokens the engine accepts)', EXIT.BAD_INPUT);
  }
  return Object.freeze({
    name: engineName(io, flags.name),
    ...(flags.port === undefined ? {} : { port: flags.port }),
    ...(dataDir === undefined ? {} : { dataDir: resolve(io.cwd, dataDir) }),
    ...(issuer === undefined ? {} : { auth: { issuer, ...(audience === undefined ? {} : { audience }) } }),
    limits: {
      ...(maxInFlight === undefined ? {} : { maxInFlight }),
      ...(retentionMs === undefined ? {} : { retentionMs }),
      ...(maxEndedInstances === undefined ? {} : { maxEndedInstances }),
      ...(snapshotEvery === undefined ? {} : { snapshotEvery }),
    },
  });
}

/** The engine's command line beyond its main file: `--name` marks the process as the engine of that name. */
function engineArgs(settings: UpSettings): string[] {
  const { auth, limits, dataDir } = settings;
  return [
    '--name', settings.name,
    '--port', String(settings.port ?? 0),
    ...(auth ? ['--auth-issuer', auth.issuer, ...(auth.audience !== undefined ? ['--auth-audience', auth.audience] : [])] : []),
    ...(limits.maxInFlight === undefined ? [] : ['--max-in-flight', String(limits.maxInFlight)]),
    ...(limits.retentionMs === undefined ? [] : ['--retention-ms', String(limits.retentionMs)]),
    ...(limits.maxEndedInstances === undefined ? [] : ['--max-ended-instances', String(limits.maxEndedInstances)]),
    ...(limits.snapshotEvery === undefined ? [] : ['--snapshot-every', String(limits.snapshotEvery)]),
    ...(dataDir === undefined ? [] : ['--data-dir', dataDir]),
  ];
}

function registryOf(io: CliIo): EngineRegistry {
  return new EngineRegistry(resolveStateDir(io.env));
}

/** The `engine down` that stops the engine of `name`, as a user types it. */
function downCommand(name: string): string {
  return `\`forager engine down${name === DEFAULT_ENGINE_NAME ? '' : ` --name ${name}`}\``;
}

/** Notes what looking through the records changed; the names and pids for `--json`. */
function reportSurvey(out: Output, survey: Survey): { name: string; pid: number }[] {
  if (survey.adopted) out.note(`took over the record of the engine started by an older forager (pid ${survey.adopted.pid}) as the engine '${survey.adopted.name}'`);
  for (const record of survey.removed) out.note(`removed the record of the engine '${record.name}' (pid ${record.pid}), which had stopped`);
  return survey.removed.map(({ name, pid }) => ({ name, pid }));
}

const answers = (record: EngineRecord): Promise<boolean> =>
  checkReachable({ host: HOST, port: record.port, secure: false }, 2_000).then(
    () => true,
    () => false,
  );

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

async function up(io: CliIo, out: Output, flags: UpFlags): Promise<number> {
  const settings = resolveUpSettings(io, flags);
  const registry = registryOf(io);
  reportSurvey(out, await registry.survey());
  const release = await registry.lock(settings.name);
  try {
    const existing = await registry.read(settings.name);
    if (existing && isEngineRunning(existing)) {
      await refuseUnlessSame(existing, settings);
      out.note(`reusing the engine '${existing.name}' already running at ${existing.address} (pid ${existing.pid})`);
      await printAddress(out, existing.address, existing.restAddress, existing.auth);
      return EXIT.OK;
    }
    if (existing) {
      await registry.remove(settings.name);
      out.note(`removed the record of the engine '${existing.name}' (pid ${existing.pid}), which had stopped`);
    }
    // Only starting one needs the engine's package: a worker pod's project reuses an engine started elsewhere.
    const { record, log } = await startEngine(findEngineProgram(), registry, settings, io.env);
    await registry.write(record);
    out.note(`started the engine '${record.name}' (pid ${record.pid}); ${downCommand(record.name)} stops it`);
    const recovered = /forager engine recovered (.*)/.exec(log)?.[1];
    if (record.dataDir !== undefined) out.note(`the engine keeps its state in ${record.dataDir}${recovered ? `; recovered ${recovered.replace(/ from \S+/, '')}` : ''}`);
    await printAddress(out, record.address, record.restAddress, record.auth);
    return EXIT.OK;
  } finally {
    await release();
  }
}

/** The running engine serves what `up` asks for, or `up` refuses (exit 1) saying what differs. */
async function refuseUnlessSame(existing: EngineRecord, settings: UpSettings): Promise<void> {
  const running = `the engine '${existing.name}' is already running at ${existing.address} (pid ${existing.pid})`;
  const down = downCommand(existing.name);
  const orName = ', or give this one another --name';
  if (!(await answers(existing))) {
    throw new CliError(`engine '${existing.name}' (pid ${existing.pid}) is recorded at ${existing.address} but does not answer; run ${down} first`, EXIT.RUNTIME);
  }
  if (settings.port !== undefined && settings.port !== existing.port) {
    throw new CliError(`${running}; run ${down} before starting one on port ${settings.port}${orName}`, EXIT.RUNTIME);
  }
  if (settings.dataDir !== undefined && settings.dataDir !== existing.dataDir) {
    const where = existing.dataDir ? `with its data in ${existing.dataDir}` : 'in memory';
    throw new CliError(`${running} ${where}; run ${down} before starting one on ${settings.dataDir}${orName}`, EXIT.RUNTIME);
  }
  const { auth } = settings;
  if (auth !== undefined && (auth.issuer !== existing.auth?.issuer || (auth.audience !== undefined && auth.audience !== existing.auth.audience))) {
    throw new CliError(`${running} with other authentication settings; run ${down} first${orName}`, EXIT.RUNTIME);
  }
  const differing = (Object.keys(settings.limits) as (keyof EngineLimits)[]).filter((name) => settings.limits[name] !== existing.limits?.[name]);
  if (differing.length > 0) {
    throw new CliError(`${running} with other settings (${differing.map(flagOf).join(', ')}); run ${down} first${orName}`, EXIT.RUNTIME);
  }
}

/** Spawns the engine detached and waits for its ready line: the record to write, and what it printed. */
async function startEngine(program: EngineProgram, registry: EngineRegistry, settings: UpSettings, env: CliIo['env']): Promise<{ record: EngineRecord; log: string }> {
  if (settings.port !== undefined && settings.port !== 0 && !(await portIsFree(settings.port))) {
    throw new CliError(`port ${settings.port} is in use on ${HOST}: choose another with --port, or omit --port for a free one`, EXIT.RUNTIME);
  }
  const logFile = registry.logFile(settings.name);
  const logFd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...program.nodeArgs, program.main, ...engineArgs(settings)], {
    cwd: dirname(program.main),
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...env },
  });
  closeSync(logFd);
  const { ready, log } = await waitForReady(child, logFile, settings.port ?? 0);
  child.unref();
  const { auth, dataDir, limits } = settings;
  const pid = child.pid as number;
  const processStart = processStartOf(pid);
  const record: EngineRecord = {
    name: settings.name,
    pid,
    ...(processStart === undefined ? {} : { processStart }),
    port: Number(ready[2]),
    address: `${ready[1]}:${ready[2]}`,
    restAddress: ready[3] as string,
    startedAt: new Date().toISOString(),
    logFile,
    ...(auth ? { auth } : {}),
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
  return { record, log };
}

/** Reads the engine's log until its ready line; if it stops first or takes too long, says why with the log's last lines. */
async function waitForReady(child: ChildProcess, logFile: string, port: number): Promise<{ ready: RegExpExecArray; log: string }> {
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const ready = READY_LINE.exec(log);
    if (ready) return { ready, log };
    if (exited) {
      if (/PORT_IN_USE|EADDRINUSE/.test(log)) {
        throw new CliError(`port ${port} is in use on ${HOST}: choose another with --port, or omit --port for a free one`, EXIT.RUNTIME);
      }
      const how = exited.signal ? `signal ${exited.signal}` : `exit code ${exited.code}`;
      throw new CliError(`the engine stopped before it was ready (${how}); last lines of ${logFile}:\n${tail(log)}`, EXIT.RUNTIME);
    }
    if (Date.now() >= deadline) {
      child.kill('SIGKILL');
      throw new CliError(`the engine did not report ready within ${READY_TIMEOUT_MS / 1000} s; last lines of ${logFile}:\n${tail(log)}`, EXIT.RUNTIME);
    }
    const failed = await Promise.race([spawnError, sleep(25).then(() => undefined)]);
    if (failed) throw new CliError(`cannot start the engine: ${failed.message}`, EXIT.RUNTIME);
  }
}

async function waitForExit(record: EngineRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isEngineRunning(record)) return true;
    await sleep(25);
  }
  return !isEngineRunning(record);
}

/** SIGTERM, then SIGKILL if it has not exited within the grace; says which. */
async function stopProcess(record: EngineRecord): Promise<{ killed: boolean }> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(record.pid, name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  if (await waitForExit(record, STOP_GRACE_MS)) return { killed: false };
  signal('SIGKILL');
  if (await waitForExit(record, 2_000)) return { killed: true };
  throw new CliError(`engine '${record.name}' (pid ${record.pid}) does not stop, even after SIGKILL`, EXIT.RUNTIME);
}

interface Stopped {
  readonly name: string;
  readonly address: string;
  readonly pid: number;
  readonly killed: boolean;
}

/** Stops the engine of `name` under its lock (so that no `up` starts or reuses it meanwhile); undefined when none runs. */
async function stopEngine(registry: EngineRegistry, out: Output, name: string): Promise<Stopped | undefined> {
  const release = await registry.lock(name);
  try {
    const record = await registry.read(name);
    if (!record) return undefined;
    if (!isEngineRunning(record)) {
      await registry.remove(name);
      out.note(`removed the record of the engine '${name}' (pid ${record.pid}), which had stopped`);
      return undefined;
    }
    const { killed } = await stopProcess(record);
    await registry.remove(name);
    return { name, address: record.address, pid: record.pid, killed };
  } finally {
    await release();
  }
}

function stoppedLine({ name, address, pid, killed }: Stopped): string {
  const how = killed ? `killed (no exit within ${STOP_GRACE_MS / 1000} s of SIGTERM)` : 'stopped';
  return `forager: ${name}: ${how} the engine at ${address} (pid ${pid})`;
}

async function down(io: CliIo, out: Output, flags: { name?: string; all?: boolean }): Promise<number> {
  if (flags.all && flags.name !== undefined) throw new CliError('--all stops every engine: give --all or --name, not both', EXIT.BAD_INPUT);
  const name = flags.all ? undefined : engineName(io, flags.name);
  const registry = registryOf(io);
  const survey = await registry.survey();
  const removed = reportSurvey(out, survey);
  if (name === undefined) {
    const stopped = (await Promise.all(survey.running.map((record) => stopEngine(registry, out, record.name)))).filter((s): s is Stopped => s !== undefined);
    const lines = stopped.length > 0 ? stopped.map(stoppedLine) : ['forager: no engine is running'];
    out.result(lines, { stopped: stopped.length > 0, engines: stopped, removed });
    return EXIT.OK;
  }
  const stopped = await stopEngine(registry, out, name);
  if (stopped) {
    out.result([stoppedLine(stopped)], { stopped: true, ...stopped, removed });
    return EXIT.OK;
  }
  const others = survey.running.filter((record) => record.name !== name).map((record) => record.name);
  const line = others.length === 0 ? 'forager: no engine is running' : `forager: no engine named '${name}' is running; running: ${others.join(', ')} (stop one with --name, or all with --all)`;
  out.result([line], { stopped: false, running: false, name, removed });
  return EXIT.OK;
}

interface EngineFacts {
  readonly name: string;
  readonly answering: boolean;
  readonly pid: number;
  readonly address: string;
  readonly restAddress?: string;
  readonly uptimeMs: number;
  readonly dataDir?: string;
  readonly logFile: string;
}

async function factsOf(record: EngineRecord): Promise<EngineFacts> {
  return {
    name: record.name,
    answering: await answers(record),
    pid: record.pid,
    address: record.address,
    ...(record.restAddress === undefined ? {} : { restAddress: record.restAddress }),
    uptimeMs: Date.now() - Date.parse(record.startedAt),
    ...(record.dataDir === undefined ? {} : { dataDir: record.dataDir }),
    logFile: record.logFile,
  };
}

function statusLine(facts: EngineFacts): string {
  const uptime = formatUptime(facts.uptimeMs);
  if (!facts.answering) return `forager: ${facts.name}: engine pid ${facts.pid} is running but does not answer at ${facts.address} (up ${uptime}); see ${facts.logFile}`;
  return `forager: ${facts.name}: engine running at ${facts.address} (pid ${facts.pid}, up ${uptime}, ${facts.dataDir ? `data in ${facts.dataDir}` : 'in memory'})`;
}

/**
 * Every engine of the user, or the one named (`--name`, FORAGER_ENGINE_NAME): exit 0 when one runs, 3 when none does,
 * 1 when one runs but does not answer. With `--json` the first engine's facts stay at the top level, as before names.
 */
async function status(io: CliIo, out: Output, flags: { name?: string }): Promise<number> {
  const name = flags.name !== undefined || io.env.FORAGER_ENGINE_NAME?.trim() ? engineName(io, flags.name) : undefined;
  const survey = await registryOf(io).survey();
  const removed = reportSurvey(out, survey);
  const engines = await Promise.all(survey.running.filter((record) => name === undefined || record.name === name).map(factsOf));
  const [first] = engines;
  if (!first) {
    out.result([name === undefined ? 'forager: engine not running' : `forager: ${name}: engine not running`], { running: false, engines, removed });
    return EXIT.NOT_RUNNING;
  }
  out.result(engines.map(statusLine), { running: true, ...first, engines, removed });
  return engines.every((facts) => facts.answering) ? EXIT.OK : EXIT.RUNTIME;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new CliError(`--port: expected a port number (0-65535), got ${JSON.stringify(text)}`, EXIT.BAD_INPUT);
  return Number(text);
}

const NAME_HELP = "the engine's name: keeps the engines of several projects apart (default: default; env FORAGER_ENGINE_NAME)";

export function registerEngine(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const engine = program.command('engine').description(COMMAND_SUMMARIES.engine);
  const up_ = engine
    .command('up')
    .description('start the engine (or reuse the running one of that name) and print the environment that points at it')
    .option('--name <name>', NAME_HELP)
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
    .option('--snapshot-every <n>', 'with --data-dir: a snapshot every n records, bounding replay time and disk use (default 100000; env FORAGER_ENGINE_SNAPSHOT_EVERY)')
    .addHelpText(
      'after',
      examples(
        '$ forager engine up',
        'ZEEBE_ADDRESS=127.0.0.1:41235',
        'ZEEBE_GRPC_ADDRESS=grpc://127.0.0.1:41235',
        'ZEEBE_REST_ADDRESS=http://127.0.0.1:41237',
        '$ eval "$(forager engine up --data-dir .forager-data)" && export ZEEBE_ADDRESS ZEEBE_GRPC_ADDRESS ZEEBE_REST_ADDRESS',
        '$ forager engine up --name billing      # a second engine, apart from the default one; from any other project too',
      ),
    )
    .action(async (opts: { name?: string; port?: string; authIssuer?: string; authAudience?: string; dataDir?: string; maxInFlight?: string; retention?: string; maxEndedInstances?: string; snapshotEvery?: string }) =>
      setExit(
        await up(io, output(io, up_), {
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.port === undefined ? {} : { port: parsePort(opts.port) }),
          ...(opts.authIssuer === undefined ? {} : { authIssuer: opts.authIssuer }),
          ...(opts.authAudience === undefined ? {} : { authAudience: opts.authAudience }),
          ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
          ...(opts.maxInFlight === undefined ? {} : { maxInFlight: parseCount(opts.maxInFlight, '--max-in-flight') }),
          ...(opts.retention === undefined ? {} : { retentionMs: parseDuration(opts.retention, '--retention') }),
          ...(opts.maxEndedInstances === undefined ? {} : { maxEndedInstances: parseCount(opts.maxEndedInstances, '--max-ended-instances') }),
          ...(opts.snapshotEvery === undefined ? {} : { snapshotEvery: parseCount(opts.snapshotEvery, '--snapshot-every') }),
        }),
      ),
    );
  const down_ = engine
    .command('down')
    .description('stop the engine of that name started by `engine up`, or every one with --all (a data directory stays)')
    .option('--name <name>', NAME_HELP)
    .option('--all', 'stop every engine of this user')
    .addHelpText(
      'after',
      examples(
        '$ forager engine down',
        'forager: default: stopped the engine at 127.0.0.1:41235 (pid 4242)',
        '$ forager engine down --all',
        'forager: default: stopped the engine at 127.0.0.1:41235 (pid 4242)',
        'forager: billing: stopped the engine at 127.0.0.1:40111 (pid 4316)',
      ),
    )
    .action(async (opts: { name?: string; all?: boolean }) => setExit(await down(io, output(io, down_), opts)));
  const status_ = engine
    .command('status')
    .description('list the engines that run, or say whether the one named runs (exit 3 when none does)')
    .option('--name <name>', "only the engine of this name (env FORAGER_ENGINE_NAME; default: every engine)")
    .addHelpText(
      'after',
      examples(
        '$ forager engine status',
        'forager: default: engine running at 127.0.0.1:41235 (pid 4242, up 5m 2s, in memory)',
        'forager: billing: engine running at 127.0.0.1:40111 (pid 4316, up 12s, data in /home/ada/billing/.forager-data)',
        '$ forager engine status --name billing || forager engine up --name billing',
      ),
    )
    .action(async (opts: { name?: string }) => setExit(await status(io, output(io, status_), opts)));
}
