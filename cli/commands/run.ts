/**
 * `forager run`: the worker host (src/host/) as a command. Resolves the configuration once (broker
 * settings, FORAGER_* host settings, flags), discovers the worker files, picks the job types this process
 * serves (`--types` / FORAGER_TYPES, per-type overrides), and runs them with /healthz, /readyz and /metrics
 * until SIGTERM / SIGINT: readiness goes false, jobs in flight drain within the grace period, exit 0. A
 * second signal exits at once (1). Bad configuration or worker files exit 2 before anything starts.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveConfig } from '../../src/config/index.ts';
import { printableConfig, resolveHostConfig } from '../../src/config/host.ts';
import { createHostLogger, HttpListenError, selectWorkers, shownPath, startHost } from '../../src/host/index.ts';
import { NoBrokerAddressError } from '../../src/transport/index.ts';
import { CliError, EXIT } from '../lib/exit.ts';
import { globalFlags } from '../lib/flags.ts';
import type { CliIo } from '../lib/io.ts';
import { examples } from '../lib/output.ts';
import { loadWorkers } from '../lib/load-workers.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

interface RunOptions {
  workers?: string;
  dir?: string;
  types?: string;
  mode?: string;
  httpHost?: string;
  httpPort?: string;
  grace?: string;
  logFormat?: string;
  printConfig?: boolean;
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolveSignal(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run')
    .description(COMMAND_SUMMARIES.run)
    .option('--workers <dir>', 'directory of worker files, one job type each (env FORAGER_WORKERS_DIR; default workers)')
    .option('--dir <dir>', 'the same as --workers')
    .option('--types <types>', 'run only these job types, comma-separated (env FORAGER_TYPES; default all)')
    .option('--mode <mode>', "how jobs arrive: 'stream' (pushed, with long polling alongside) or 'poll' (env FORAGER_MODE; default stream)")
    .option('--http-host <host>', 'address of the health and metrics server (env FORAGER_HTTP_HOST; default 127.0.0.1)')
    .option('--http-port <port>', 'port of the health and metrics server, 0 for any free port (env FORAGER_HTTP_PORT; default 9464)')
    .option('--grace <duration>', 'how long jobs in flight may finish after SIGTERM, e.g. 25s (env FORAGER_SHUTDOWN_GRACE; default 25s)')
    .option('--log-format <format>', 'json, pretty or auto: pretty when stdout is a terminal (env FORAGER_LOG_FORMAT; default auto)')
    .option('--print-config', 'print the resolved configuration (secrets redacted) at start')
    .addHelpText(
      'after',
      examples(
        '$ forager run                                      # every worker in workers/',
        '$ FORAGER_TYPES=send-email forager run --workers dist/workers --http-port 9464',
        '$ curl -s localhost:9464/readyz && curl -s localhost:9464/metrics | grep forager_jobs_completed_total',
      ),
    )
    .action(async (opts: RunOptions) => {
      const config = resolveConfig(io.env, globalFlags(program));
      const host = resolveHostConfig(io.env, {
        workers: opts.workers ?? opts.dir,
        types: opts.types,
        mode: opts.mode,
        httpHost: opts.httpHost,
        httpPort: opts.httpPort,
        grace: opts.grace,
        logFormat: opts.logFormat,
        printConfig: opts.printConfig,
      });
      if (host.printConfig) io.out(JSON.stringify(printableConfig(config, host), null, 2));
      const dir = resolve(io.cwd, host.workersDir);
      const shownDir = shownPath(dir, io.cwd);
      const selection = selectWorkers(await loadWorkers(dir, io.cwd), host, shownDir);
      if (selection.workers.length === 0) {
        const why = selection.skipped.length > 0 ? `every job type found is disabled (${selection.skipped.map((s) => s.type).join(', ')})` : 'the directory has no worker files';
        throw new CliError(`no workers to run in ${shownDir}: ${why}; add a file that default-exports defineWorker({ type, handler })`, EXIT.BAD_INPUT);
      }
      if (!config.address) throw new NoBrokerAddressError();

      const { logger: log, flush } = createHostLogger({ level: config.logLevel, format: host.logFormat });
      for (const { type, why } of selection.skipped) log.info({ jobType: type }, `job type ${type} not run here: ${why}`);
      const firstSignal = nextSignal();
      let running;
      try {
        running = await startHost({ config, host, workers: selection.workers, logger: log });
      } catch (error) {
        if (error instanceof HttpListenError) throw new CliError(error.message, EXIT.RUNTIME);
        throw error;
      }
      const signal = await firstSignal;
      log.info({ signal }, `${signal}: stopping; a second signal exits at once`);
      void nextSignal().then((again) => {
        log.warn({ signal: again }, 'second signal: exiting without draining');
        flush();
        process.exit(EXIT.RUNTIME);
      });
      await running.stop();
      flush();
      setExit(EXIT.OK);
    });
}
