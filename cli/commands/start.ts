/**
 * `forager start <processId>`: create a process instance and print its key; with `--await`, wait for it to
 * complete and print its result variables too.
 */
import { Option, type Command } from 'commander';
import { notFound, withBroker } from '../lib/broker.ts';
import { parseCount, parseDuration, readVariables } from '../lib/args.ts';
import { EXIT } from '../lib/exit.ts';
import type { CliIo } from '../lib/io.ts';
import { globalFlags } from '../lib/flags.ts';
import { output } from '../lib/output.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

export { parseVariables } from '../lib/args.ts';

export const DEFAULT_AWAIT_TIMEOUT_MS = 30_000;

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

export function registerStart(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('start')
    .description(COMMAND_SUMMARIES.start)
    .argument('<processId>', 'the BPMN process id, as in <bpmn:process id="…">')
    .option('--variables <json|@file>', 'variables as a JSON object, inline or @file')
    .option('--version <n>', 'this version of the process (default: the latest)')
    .option('--await', 'wait for the process instance to complete and print its result variables')
    .option('--fetch-variables <names>', 'with --await: only these result variables (comma-separated, repeatable)', list)
    .option('--request-timeout <duration>', `with --await: how long to wait, e.g. 30000, 30s, 2m (default ${DEFAULT_AWAIT_TIMEOUT_MS / 1000}s)`)
    .addOption(new Option('--timeout <duration>', 'same as --request-timeout').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  $ forager start order --variables '{"orderId":"A-17","total":42.5}'
  2251799813685260
  $ forager start hello --variables @vars.json --await --fetch-variables greeting
  2251799813685265
  {"greeting":"Hello, World"}`,
    )
    .action(async (processId: string, opts: { variables?: string; version?: string; await?: boolean; fetchVariables?: string[]; requestTimeout?: string; timeout?: string }) => {
      const out = output(io, command);
      const variables = await readVariables(opts.variables, io.cwd);
      const version = opts.version === undefined ? undefined : parseCount(opts.version, '--version');
      const timeoutText = opts.requestTimeout ?? opts.timeout;
      const requestTimeoutMs = timeoutText === undefined ? DEFAULT_AWAIT_TIMEOUT_MS : parseDuration(timeoutText, opts.requestTimeout !== undefined ? '--request-timeout' : '--timeout');
      const awaitResult = opts.await === true;
      if (!awaitResult && (opts.fetchVariables || timeoutText !== undefined)) out.warn('warning: --fetch-variables and --request-timeout apply only with --await');
      const what = version === undefined ? `no process with id '${processId}' is deployed` : `no version ${version} of process '${processId}' is deployed`;
      const instance = await withBroker(io, globalFlags(program), ({ transport }) =>
        notFound(
          () =>
            transport.createInstance(processId, variables, {
              ...(version !== undefined ? { version } : {}),
              ...(awaitResult ? { awaitResult, requestTimeoutMs, fetchVariables: opts.fetchVariables ?? [] } : {}),
            }),
          what,
        ),
      );
      const lines = awaitResult ? [instance.processInstanceKey, JSON.stringify(instance.variables ?? {})] : [instance.processInstanceKey];
      out.result(lines, instance);
      setExit(EXIT.OK);
    });
}
