/**
 * What a command prints: a result for people (lines on stdout) or, with `--json`, one JSON document on
 * stdout; notes and warnings on stderr unless `--quiet`. Every command decides its output through here.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';

export interface OutputFlags {
  readonly json: boolean;
  readonly quiet: boolean;
}

export function outputFlags(command: Command): OutputFlags {
  const opts = command.optsWithGlobals<{ json?: boolean; quiet?: boolean }>();
  return { json: opts.json === true, quiet: opts.quiet === true };
}

export interface Output {
  readonly flags: OutputFlags;
  /** The command's result: `lines` for people, `json` with `--json`. `--quiet` keeps the lines (they are the result). */
  result(lines: readonly string[], json: unknown): void;
  /** A note for people on stderr (`forager: …`), dropped with `--quiet` or `--json`. */
  note(line: string): void;
  /** A warning on stderr (`forager: warning: …`), dropped with `--quiet`. */
  warn(line: string): void;
}

export function output(io: CliIo, command: Command): Output {
  const flags = outputFlags(command);
  return {
    flags,
    result(lines, json) {
      if (flags.json) io.out(JSON.stringify(json));
      else for (const line of lines) io.out(line);
    },
    note(line) {
      if (!flags.quiet && !flags.json) io.err(`forager: ${line}`);
    },
    warn(line) {
      if (!flags.quiet) io.err(`forager: ${line}`);
    },
  };
}

/** The text `--help` shows after the options: `Example:` (or `Examples:`) and the lines, indented. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}
