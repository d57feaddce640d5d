/**
 * `forager run`: load the workers of a directory and run them until SIGINT/SIGTERM, then drain: stop
 * fetching, let jobs in flight finish (bounded), close the client. A second signal exits at once.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { runWorkers } from '../../src/worker/index.ts';
import { openBroker } from '../lib/broker.ts';
import { CliError, EXIT } from '../lib/errors.ts';
import type { CliIo } from '../lib/io.ts';
import { loadWorkers } from '../lib/load-workers.ts';
import { globalFlags } from '../lib/flags.ts';

const DRAIN_MS = 10_000;

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
    .description('run the workers in a directory until interrupted')
    .option('--dir <dir>', 'directory of worker files', 'workers')
    .option('--mode <mode>', "how jobs arrive: 'stream' (pushed, with long polling alongside) or 'poll'", 'stream')
    .action(async (opts: { dir: string; mode: string }) => {
      if (opts.mode !== 'stream' && opts.mode !== 'poll') {
        throw new CliError(`--mode must be 'stream' or 'poll', not '${opts.mode}'`, EXIT.BAD_INPUT);
      }
      const mode: 'stream' | 'poll' = opts.mode;
      const dir = resolve(io.cwd, opts.dir);
      const workers = await loadWorkers(dir, io.cwd);
      if (workers.length === 0) throw new CliError(`no workers in ${opts.dir}: add a file that default-exports defineWorker({ type, handler })`, EXIT.BAD_INPUT);
      const { config, transport } = await openBroker(io, globalFlags(program), { retry: true });
      const log = pino({ name: 'forager', level: config.logLevel }, pino.destination({ dest: 2, sync: true }));
      const running = runWorkers(
        workers.map((w) => w.definition),
        { config, logger: log, mode },
      );
      log.info({ address: `${transport.address.host}:${transport.address.port}`, jobTypes: running.types }, 'workers running');
      const signal = await nextSignal();
      log.info({ signal }, `stopping: draining jobs in flight (up to ${DRAIN_MS} ms); signal again to exit now`);
      void nextSignal().then((again) => {
        log.warn({ signal: again }, 'second signal: exiting without draining');
        process.exit(EXIT.RUNTIME);
      });
      await running.stop(DRAIN_MS);
      await transport.close();
      log.info('stopped');
      setExit(EXIT.OK);
    });
}
