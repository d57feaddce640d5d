/**
 * The host's logger: pino, one JSON object per line on stdout (what log collectors in a cluster read), or a
 * short readable line when stdout is a terminal (`auto`) or `pretty` is asked for:
 *   12:03:04.517 INFO  job completed jobType=greet jobKey=2251799813685262 processInstanceKey=… durationMs=3
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/index.ts';
import type { LogFormat } from '../config/host.ts';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'err']);

function show(value: unknown): string {
  if (typeof value === 'string') return /[\s="]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** One pino JSON line as a readable line (pure; exported for tests). */
export function prettyLine(json: string, color: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = Number(record.level);
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const label = color ? `\u001b[${COLORS[level] ?? '0'}m${name}\u001b[0m` : name;
  const fields = Object.entries(record)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${key}=${show(value)}`);
  let line = `${time} ${label} ${String(record.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
  const err = record.err as { type?: string; message?: string; stack?: string } | undefined;
  if (err) line += `    ${err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`}\n`.replace(/\n(?!$)/g, '\n    ');
  return line;
}

export interface HostLogger {
  readonly logger: Logger;
  /** Writes out what is buffered (before the process exits). */
  flush(): void;
}

/**
 * @example
 * const { logger } = createHostLogger({ level: 'info', format: 'auto' });
 * logger.info({ jobType: 'greet' }, 'workers running');
 */
export function createHostLogger(options: { level: LogLevel; format: LogFormat; out?: NodeJS.WriteStream }): HostLogger {
  const out = options.out ?? process.stdout;
  const pretty = options.format === 'pretty' || (options.format === 'auto' && out.isTTY === true);
  const base = { level: options.level, base: { pid: process.pid } };
  if (pretty) {
    const color = out.isTTY === true;
    const destination = { write: (line: string) => out.write(prettyLine(line, color)) };
    return { logger: pino(base, destination), flush: () => undefined };
  }
  const destination = pino.destination({ dest: (out as { fd?: number }).fd ?? 1, sync: true });
  return { logger: pino(base, destination), flush: () => destination.flushSync() };
}
