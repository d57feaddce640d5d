/**
 * The `forager` program: builds the commander program, runs one command, and turns its outcome into an
 * exit code (see cli/README.md). One file per command group in `cli/commands/`.
 *
 * Only the command that runs is loaded (its module and what it imports): `forager --help` and
 * `forager --version` load none, `forager status` no BPMN linter, `forager deploy` no worker host. The others
 * appear in the program as their name, arguments and summary (`cli/commands/summaries.ts`).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help, Option } from 'commander';
import { COMMAND_ARGUMENTS, COMMAND_SUMMARIES, type CommandName } from './commands/summaries.ts';
import { EXIT } from './lib/exit.ts';
import type { CliIo } from './lib/io.ts';

type SetExit = (code: number) => void;
type Register = (program: Command, io: CliIo, setExit: SetExit) => void;

/** The module that registers each command (the instance commands share one). */
const REGISTER: Readonly<Record<CommandName, () => Promise<Register>>> = (() => {
  const instance = async () => (await import('./commands/instance.ts')).registerInstanceCommands;
  return {
    engine: async () => (await import('./commands/engine.ts')).registerEngine,
    deploy: async () => (await import('./commands/deploy.ts')).registerDeploy,
    start: async () => (await import('./commands/start.ts')).registerStart,
    run: async () => (await import('./commands/run.ts')).registerRun,
    check: async () => (await import('./commands/check.ts')).registerCheck,
    publish: instance,
    signal: instance,
    cancel: instance,
    'set-variables': instance,
    retries: instance,
    resolve: instance,
    status: async () => (await import('./commands/status.ts')).registerStatus,
  };
})();

const isCommandName = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(COMMAND_SUMMARIES, name);

/** The program's own options that take a value, so that the command name is not mistaken for one. */
const GLOBAL_OPTIONS_WITH_VALUE = new Set(['--address']);
const VERSION_FLAGS = new Set(['-V', '--version']);

/**
 * The command a command line asks for (`forager [global options] <command> …`, or `forager help <command>`),
 * or undefined when it names none.
 */
export function commandOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (arg.startsWith('-')) {
      if (GLOBAL_OPTIONS_WITH_VALUE.has(arg)) i++;
      continue;
    }
    return arg === 'help' ? (args.slice(i + 1).find((a) => !a.startsWith('-')) ?? undefined) : arg;
  }
  return undefined;
}

/** forager's version, from the package.json of the install this file belongs to. */
export function foragerVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'forager' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

export async function buildProgram(io: CliIo, setExit: SetExit, command?: string): Promise<Command> {
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
  // `--version` is answered before commander parses (see main): as a program option commander would take it
  // from `forager start <id> --version 2` too. It is listed with the program's options all the same.
  const versionOption = new Option('-V, --version', "print forager's version");
  program.configureHelp({
    visibleOptions(this: Help, cmd: Command) {
      const options = Help.prototype.visibleOptions.call(this, cmd);
      return cmd === program ? [versionOption, ...options] : options;
    },
  });

  if (isCommandName(command)) (await REGISTER[command]())(program, io, setExit);
  for (const name of Object.keys(COMMAND_SUMMARIES) as CommandName[]) {
    if (program.commands.some((c) => c.name() === name)) continue;
    const args = COMMAND_ARGUMENTS[name];
    program.command(args ? `${name} ${args}` : name).description(COMMAND_SUMMARIES[name]);
  }
  for (const sub of program.commands) sub.showHelpAfterError(`(run \`forager ${sub.name()} --help\` for usage)`);
  return program;
}

/** Runs one command line (`argv` as in `process.argv`) and returns the exit code. */
export async function main(argv: readonly string[], io?: CliIo): Promise<number> {
  const cli = io ?? (await import('./lib/io.ts')).processIo();
  const args = argv.slice(2);
  const command = commandOf(args);
  if (command === undefined && args.some((arg) => VERSION_FLAGS.has(arg))) {
    cli.out(foragerVersion());
    return EXIT.OK;
  }
  let exitCode: number = EXIT.OK;
  const program = await buildProgram(cli, (code) => (exitCode = code), command);
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help ends "with an error" in commander's terms; wrong usage is bad input.
      return error.exitCode === 0 ? EXIT.OK : EXIT.BAD_INPUT;
    }
    const { toCliError } = await import('./lib/errors.ts');
    const cliError = toCliError(error);
    if (program.opts<{ json?: boolean }>().json) {
      cli.err(JSON.stringify({ error: { message: cliError.message, exitCode: cliError.exitCode, ...cliError.details } }));
    } else {
      cli.err(`forager: ${cliError.message}`);
    }
    return cliError.exitCode;
  }
}
