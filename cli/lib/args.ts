/**
 * Command arguments checked before anything is sent: JSON variables (inline or `@file`, errors with the
 * position), keys, counts and durations. Each failure is a `CliError` with exit code 2 naming the option.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { durationMessage, readDuration } from '../../src/policy/durations.ts';
import { CliError, EXIT } from './exit.ts';
import { locateJsonError } from './json-position.ts';

/** Parses a JSON object given inline; `what` names it in errors (`--variables`, `@vars.json`). */
export function parseVariables(text: string | undefined, what = '--variables'): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = locateJsonError(text);
    const detail = where ? `${where.reason} at line ${where.line}, column ${where.column} (position ${where.position})` : (error as Error).message;
    throw new CliError(`${what} is not valid JSON: ${detail}`, EXIT.BAD_INPUT);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new CliError(`${what} must be a JSON object, got ${got}`, EXIT.BAD_INPUT);
  }
  return value as Record<string, unknown>;
}

/** `--variables '{"a":1}'` or `--variables @vars.json` (a file, relative to `cwd`). */
export async function readVariables(text: string | undefined, cwd: string, option = '--variables'): Promise<Record<string, unknown>> {
  if (text === undefined || !text.startsWith('@')) return parseVariables(text, option);
  const file = text.slice(1);
  let content: string;
  try {
    content = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`${option} ${text}: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, EXIT.BAD_INPUT);
  }
  return parseVariables(content, `${option} ${text}`);
}

/** A key the broker gave out (process instance, job, incident, element instance): digits only. */
export function parseKey(text: string, what: string): string {
  if (!/^\d{1,19}$/.test(text.trim())) throw new CliError(`expected ${what} (a number such as 2251799813685249), got ${JSON.stringify(text)}`, EXIT.BAD_INPUT);
  return text.trim();
}

/** A non-negative integer for `option`. */
export function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) throw new CliError(`${option}: expected a whole number (0 or more), got ${JSON.stringify(text)}`, EXIT.BAD_INPUT);
  return Number(text);
}

/**
 * A duration by forager's one grammar (src/policy/durations.ts; README, "Operating forager"): milliseconds
 * (`30000`), units (`500ms`, `30s`, `5m`, `1h30m`, `2d`) or ISO 8601 (`PT30S`). A bad one is a `CliError`
 * with exit code 2 naming `option`.
 */
export function parseDuration(text: string, option: string): number {
  const reading = readDuration(text);
  if (!reading.ok) throw new CliError(durationMessage(option, text, reading.reason), EXIT.BAD_INPUT);
  return reading.ms;
}
