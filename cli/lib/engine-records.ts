/**
 * The engines `forager engine up` started, as their records in the state directory (`$FORAGER_HOME`, or
 * `~/.forager`) say: one `engine.json`, or one `engines/<name>.json` per engine. Read only, and tolerant: a
 * record that is missing, unreadable, malformed or of a process that has ended is no engine.
 *
 * A command uses this to know whether the broker it talks to is forager's own engine (`deploy` then holds a
 * deployment to what that engine runs). The records are written by cli/commands/engine.ts; only the fields
 * read here are relied on.
 *
 * @example
 *   const engine = await recordedEngineAt(config.stateDir, config.address); // { address: '127.0.0.1:41235', … }
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerAddress } from '../../src/config/index.ts';

export interface RecordedEngine {
  /** `host:port` of its gRPC API, as recorded. */
  readonly address: string;
  readonly pid: number;
  /** The record it was read from. */
  readonly file: string;
}

async function readRecord(file: string): Promise<RecordedEngine | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as { address?: unknown; pid?: unknown };
    if (typeof record.address === 'string' && typeof record.pid === 'number') return { address: record.address, pid: record.pid, file };
  } catch {
    // unreadable or not JSON: no engine
  }
  return undefined;
}

/** Whether process `pid` runs (one owned by another user counts; a zombie, where /proc tells, does not). */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** The recorded engines in `stateDir` whose process still runs: `engine.json` first, then `engines/*.json` by name. */
export async function recordedEngines(stateDir: string): Promise<RecordedEngine[]> {
  const named = await readdir(join(stateDir, 'engines')).catch(() => [] as string[]);
  const files = [join(stateDir, 'engine.json'), ...named.filter((n) => n.endsWith('.json')).sort().map((n) => join(stateDir, 'engines', n))];
  const records = await Promise.all(
    files.map(async (file) => {
      const record = await readRecord(file);
      return record && (await isAlive(record.pid)) ? record : undefined;
    }),
  );
  return records.filter((r): r is RecordedEngine => r !== undefined);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function sameHost(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || (LOOPBACK.has(x) && LOOPBACK.has(y));
}

/** The recorded engine listening at `address` (loopback names count as one host), if there is one. */
export async function recordedEngineAt(stateDir: string, address: Pick<BrokerAddress, 'host' | 'port'>): Promise<RecordedEngine | undefined> {
  for (const engine of await recordedEngines(stateDir)) {
    const match = /^(?:\[([^\]]+)\]|(.+)):(\d+)$/.exec(engine.address);
    if (!match) continue;
    if (Number(match[3]) === address.port && sameHost(match[1] ?? match[2]!, address.host)) return engine;
  }
  return undefined;
}
