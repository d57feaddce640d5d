/**
 * The CLI's exit codes and the error that carries one (see cli/README.md). Imports nothing, so that the
 * commands that need no broker (`--help`, `--version`) load nothing more; `errors.ts` maps the errors of
 * config and transport to these.
 */
export const EXIT = Object.freeze({ OK: 0, RUNTIME: 1, BAD_INPUT: 2, NOT_RUNNING: 3 });

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    /** More for `--json` (for example the problems found in a deployment). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
