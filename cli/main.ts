/**
 * The `forager` program: builds the commander program, runs one command, and turns its outcome into an
 * exit code (see cli/README.md). One file per command group in `cli/commands/`.
 */
import { Command, CommanderError } from 'commander';
import { registerDeploy } from './commands/deploy.ts';
import { registerEngine } from './commands/engine.ts';
import { registerRun } from './commands/run.ts';
import { registerCheck } from './commands/check.ts';
import { registerInstanceCommands } from './commands/instance.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { EXIT, toCliError } from './lib/errors.ts';
import { processIo, type CliIo } from './lib/io.ts';

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('forager')
    .description('job workers, a worker host and a CLI for Zeebe / Camunda 8')
    .option('--address <address>', 'the broker: grpc://host:port, grpcs://host:port (TLS) or host:port; default from ZEEBE_GRPC_ADDRESS / ZEEBE_ADDRESS')
    .option('--json', 'machine-readable output: one JSON document on stdout (errors as {"error":…} on stderr)')
    .option('-q, --quiet', 'print only the result (no notes or warnings)')
    .showHelpAfterError('(run `forager --help` for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });
  registerEngine(program, io, setExit);
  registerDeploy(program, io, setExit);
  registerStart(program, io, setExit);
  registerRun(program, io, setExit);
  registerCheck(program, io, setExit);
  registerInstanceCommands(program, io, setExit);
  registerStatus(program, io, setExit);
  for (const command of program.commands) command.showHelpAfterError(`(run \`forager ${command.name()} --help\` for usage)`);
  return program;
}

/** Runs one command line (`argv` as in `process.argv`) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end "with an error" in commander's terms; wrong usage is bad input.
      return error.exitCode === 0 ? EXIT.OK : EXIT.BAD_INPUT;
    }
    const cliError = toCliError(error);
    if (program.opts<{ json?: boolean }>().json) {
      io.err(JSON.stringify({ error: { message: cliError.message, exitCode: cliError.exitCode, ...cliError.details } }));
    } else {
      io.err(`forager: ${cliError.message}`);
    }
    return cliError.exitCode;
  }
}
