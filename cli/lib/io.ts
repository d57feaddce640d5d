/** What a command may touch of the outside world, passed in so that nothing reads globals later. */
import type { Environment } from '../../src/config/index.ts';

export interface CliIo {
  readonly env: Environment;
  readonly cwd: string;
  /** One line to stdout (the command's result, for scripts). */
  out(line: string): void;
  /** One line to stderr (diagnostics, for people). */
  err(line: string): void;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}
