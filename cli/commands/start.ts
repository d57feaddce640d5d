/** `forager start <bpmnProcessId>`: create a process instance; with `--await`, print its result variables. */
import type { Command } from 'commander';
import { withBroker } from '../lib/broker.ts';
import { CliError, EXIT } from '../lib/errors.ts';
import type { CliIo } from '../lib/io.ts';
import { locateJsonError } from '../lib/json-position.ts';
import { globalFlags } from '../lib/flags.ts';

export const DEFAULT_AWAIT_TIMEOUT_MS = 30_000;

/** Parses `--variables`: a JSON object, or a CliError saying where the text goes wrong. */
export function parseVariables(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = locateJsonError(text);
    const detail = where
      ? `${where.reason} at line ${where.line}, column ${where.column} (position ${where.position})`
      : (error as Error).message;
    throw new CliError(`--variables is not valid JSON: ${detail}`, EXIT.BAD_INPUT);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new CliError(`--variables must be a JSON object, got ${got}`, EXIT.BAD_INPUT);
  }
  return value as Record<string, unknown>;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_AWAIT_TIMEOUT_MS;
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new CliError(`--timeout: expected milliseconds (a positive integer), got ${JSON.stringify(text)}`, EXIT.BAD_INPUT);
  return Number(text);
}

export function registerStart(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('start')
    .description('start a process instance (prints its key, or with --await its result variables as JSON)')
    .argument('<bpmnProcessId>', 'the process id, as in <bpmn:process id="…">')
    .option('--variables <json>', 'variables as a JSON object')
    .option('--await', 'wait for the process instance to complete and print its variables')
    .option('--timeout <ms>', `with --await: how long to wait (default ${DEFAULT_AWAIT_TIMEOUT_MS})`)
    .action(async (bpmnProcessId: string, opts: { variables?: string; await?: boolean; timeout?: string }) => {
      const variables = parseVariables(opts.variables);
      const timeoutMs = parseTimeout(opts.timeout);
      const awaitResult = opts.await === true;
      const instance = await withBroker(io, globalFlags(program), ({ transport }) =>
        transport.createInstance(bpmnProcessId, variables, awaitResult ? { awaitResult, requestTimeoutMs: timeoutMs } : {}),
      );
      io.out(awaitResult ? JSON.stringify(instance.variables ?? {}) : instance.processInstanceKey);
      setExit(EXIT.OK);
    });
}
