/**
 * The user's local engines as `forager engine up` records them, shared by every project and every install of forager:
 * one record per engine name in `<FORAGER_HOME>/engines/<name>.json` (the engine's output in `<name>.log`).
 *
 * Owns what a record holds, reading, listing, writing (atomically: a temporary file, then a rename) and removing records,
 * whether a recorded process is still that engine, the per-name lock under which a record is changed (so that two
 * `engine up` at once start one engine), and taking over the single record of older forager versions
 * (`<FORAGER_HOME>/engine.json`). It prints nothing: the command says what happened.
 */
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, EXIT } from './exit.ts';

export const DEFAULT_ENGINE_NAME = 'default';
const NAME = /^[A-Za-z0-9_-]{1,40}$/;

/** What `engines/<name>.json` holds. */
export interface EngineRecord {
  /** The engine's name (`--name`); its command line carries `--name <name>`. */
  readonly name: string;
  readonly pid: number;
  /**
   * When the process started, in clock ticks since boot (field 22 of `/proc/<pid>/stat`), where /proc exists: with the
   * pid it tells the engine from a later process that was given the same pid.
   */
  readonly processStart?: string;
  readonly port: number;
  readonly address: string;
  /** `http://host:port` of the engine's REST API (absent in records of older engines). */
  readonly restAddress?: string;
  readonly startedAt: string;
  readonly logFile: string;
  /** Set when the engine requires bearer tokens (`--auth-issuer`). */
  readonly auth?: EngineAuth;
  /** The engine's data directory (`--data-dir`), absolute; absent when it keeps its state in memory. */
  readonly dataDir?: string;
  /** Backpressure and history settings it was started with; absent where the engine's defaults apply. */
  readonly limits?: EngineLimits;
  /** Started by an older forager, whose command line has no `--name`: recognised by its main file instead. */
  readonly legacy?: true;
}

/** What `up` passed on to the engine beyond its defaults. */
export interface EngineLimits {
  readonly maxInFlight?: number;
  readonly retentionMs?: number;
  readonly maxEndedInstances?: number;
  /** With a data directory: a snapshot every this many records. */
  readonly snapshotEvery?: number;
}

/** The engine's authentication: tokens of `issuer` (with `audience` in `aud`, when set). */
export interface EngineAuth {
  readonly issuer: string;
  readonly audience?: string;
}

/** What looking through the records found: the engines that run, and the records of stopped ones (now removed). */
export interface Survey {
  readonly running: readonly EngineRecord[];
  readonly removed: readonly EngineRecord[];
  /** The record of an older forager's engine, moved to `engines/<name>.json`. */
  readonly adopted?: EngineRecord;
}

/** Releases a lock taken with `EngineRegistry.lock`. */
export type Release = () => Promise<void>;

/** An engine name from `--name` or `FORAGER_ENGINE_NAME` (`what`): letters, digits, `-` and `_`, at most 40; exit 2 otherwise. */
export function parseEngineName(text: string, what: string): string {
  if (!NAME.test(text)) throw new CliError(`${what}: an engine name is 1 to 40 letters, digits, '-' or '_', got ${JSON.stringify(text)}`, EXIT.BAD_INPUT);
  return text;
}

/** The process's start time in clock ticks since boot, or undefined without /proc. */
export function processStartOf(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/** Alive, not a zombie, and (where /proc tells) the very process recorded, not a later one with its pid. */
function isRunning(pid: number, processStart: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (!stat) return true; // no /proc: trust kill(0)
  return stat.state !== 'Z' && (processStart === undefined || stat.start === processStart);
}

function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (command) state ppid …`: the command may hold spaces and parentheses, so count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

function commandLineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** How older forager versions started the engine: `src/engine/main.ts` (or `.js` when built), with no `--name`. */
const LEGACY_MAIN = /[/\\]src[/\\]engine[/\\]main\.[jt]s$/;

/**
 * The recorded engine still runs: its process is alive and not a zombie, and (where /proc exists) it is the process
 * recorded and its command line says it is the engine of that name. Which install started it does not matter.
 */
export function isEngineRunning(record: EngineRecord): boolean {
  if (!isRunning(record.pid, record.processStart)) return false;
  const args = commandLineOf(record.pid);
  if (!args) return true;
  if (record.legacy) return args.some((arg) => LEGACY_MAIN.test(arg));
  return args.some((arg, i) => arg === '--name' && args[i + 1] === record.name);
}

function parseRecord(text: string): Partial<EngineRecord> | undefined {
  try {
    const record = JSON.parse(text) as Partial<EngineRecord>;
    if (typeof record.pid === 'number' && typeof record.port === 'number' && typeof record.address === 'string') return record;
  } catch {
    // a broken record is as good as none
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lock file that holds no owner yet is being written; past this age its writer died in between. */
const LOCK_WRITE_GRACE_MS = 2_000;

export class EngineRegistry {
  /** `<stateDir>/engines`. */
  readonly dir: string;
  private readonly legacyFile: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'engines');
    this.legacyFile = join(stateDir, 'engine.json');
  }

  recordFile(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  logFile(name: string): string {
    return join(this.dir, `${name}.log`);
  }

  private lockFile(name: string): string {
    return join(this.dir, `${name}.lock`);
  }

  async read(name: string): Promise<EngineRecord | undefined> {
    const text = await readFile(this.recordFile(name), 'utf8').catch(() => undefined);
    const record = text === undefined ? undefined : parseRecord(text);
    return record ? ({ ...record, name } as EngineRecord) : undefined;
  }

  /** Every record, the default engine first, then by name. */
  async list(): Promise<EngineRecord[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const names = files.filter((file) => file.endsWith('.json') && NAME.test(file.slice(0, -5))).map((file) => file.slice(0, -5));
    const records = await Promise.all(names.map((name) => this.read(name)));
    return records
      .filter((record): record is EngineRecord => record !== undefined)
      .sort((a, b) => Number(b.name === DEFAULT_ENGINE_NAME) - Number(a.name === DEFAULT_ENGINE_NAME) || a.name.localeCompare(b.name));
  }

  /** Writes the record atomically: readers see the old record or the new one, never a part. */
  async write(record: EngineRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.recordFile(record.name);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temporary, file);
  }

  async remove(name: string): Promise<void> {
    await rm(this.recordFile(name), { force: true });
  }

  /**
   * Looks through every record: takes over an older forager's `engine.json`, removes the records of engines that have
   * stopped (skipping a name whose lock another forager holds: it is changing that record), and returns what runs.
   */
  async survey(): Promise<Survey> {
    const adopted = await this.adoptLegacyRecord();
    const running: EngineRecord[] = [];
    const removed: EngineRecord[] = [];
    for (const record of await this.list()) {
      if (isEngineRunning(record)) running.push(record);
      else if (await this.removeStopped(record)) removed.push(record);
    }
    return { running, removed, ...(adopted ? { adopted } : {}) };
  }

  /** Removes the record of a stopped engine under its lock, unless another forager holds the lock or wrote a new record. */
  private async removeStopped(record: EngineRecord): Promise<boolean> {
    const release = await this.tryLock(record.name);
    if (!release) return false;
    try {
      const current = await this.read(record.name);
      if (!current || current.pid !== record.pid || isEngineRunning(current)) return false;
      await this.remove(record.name);
      return true;
    } finally {
      await release();
    }
  }

  /**
   * Moves the record of an engine started by an older forager (`<FORAGER_HOME>/engine.json`) to `engines/default.json`
   * (`engines/legacy-<pid>.json` when a default engine is recorded already) if it still runs, and removes it if not.
   */
  private async adoptLegacyRecord(): Promise<EngineRecord | undefined> {
    const text = await readFile(this.legacyFile, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const release = await this.lock(DEFAULT_ENGINE_NAME);
    try {
      const again = await readFile(this.legacyFile, 'utf8').catch(() => undefined);
      const found = again === undefined ? undefined : parseRecord(again);
      if (!found) {
        await rm(this.legacyFile, { force: true });
        return undefined;
      }
      const legacy = { ...found, name: DEFAULT_ENGINE_NAME, legacy: true } as EngineRecord;
      if (!isEngineRunning(legacy)) {
        await rm(this.legacyFile, { force: true });
        return undefined;
      }
      const taken = (await this.read(DEFAULT_ENGINE_NAME)) !== undefined;
      const adopted: EngineRecord = { ...legacy, name: taken ? `legacy-${legacy.pid}` : DEFAULT_ENGINE_NAME, processStart: processStartOf(legacy.pid) } as EngineRecord;
      await this.write(adopted);
      await rm(this.legacyFile, { force: true });
      return adopted;
    } finally {
      await release();
    }
  }

  /**
   * Takes the lock of `name`, waiting while another forager holds it (up to `waitMs`); a lock whose owner has exited is
   * taken over. Everything that changes the record of a running or starting engine holds it.
   */
  async lock(name: string, waitMs = 30_000): Promise<Release> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const release = await this.tryLock(name);
      if (release) return release;
      if (Date.now() >= deadline) {
        const owner = (await readFile(this.lockFile(name), 'utf8').catch(() => '')).trim();
        throw new CliError(
          `another forager${owner ? ` (pid ${owner.split(' ')[0]})` : ''} has been starting or stopping the engine '${name}' for ${Math.round(waitMs / 1000)} s; ` +
            `try again, or remove ${this.lockFile(name)} if no forager runs`,
          EXIT.RUNTIME,
        );
      }
      await sleep(50);
    }
  }

  /** The lock of `name` if nobody holds it (or its owner has exited), else undefined. */
  async tryLock(name: string): Promise<Release | undefined> {
    await mkdir(this.dir, { recursive: true });
    const file = this.lockFile(name);
    for (;;) {
      try {
        const handle = await open(file, 'wx');
        try {
          await handle.writeFile(`${process.pid} ${processStartOf(process.pid) ?? ''}\n`);
        } finally {
          await handle.close();
        }
        return () => rm(file, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = await readFile(file, 'utf8').catch(() => undefined);
      if (owner === undefined) continue; // released meanwhile
      if (!(await this.isAbandoned(file, owner))) return undefined;
      await this.takeOver(file, owner);
    }
  }

  /** A lock is abandoned when its owner has exited, or when it stayed empty (its writer died before writing). */
  private async isAbandoned(file: string, owner: string): Promise<boolean> {
    const [pid, start] = owner.trim().split(' ');
    if (pid) return !isRunning(Number(pid), start || undefined);
    const written = await stat(file).then((s) => s.mtimeMs, () => 0);
    return Date.now() - written > LOCK_WRITE_GRACE_MS;
  }

  /**
   * Removes an abandoned lock, unless another forager took it over first: the lock is moved aside and, if it turns out
   * to be someone else's new one, put back.
   */
  private async takeOver(file: string, abandoned: string): Promise<void> {
    const aside = `${file}.${process.pid}.abandoned`;
    try {
      await rename(file, aside);
    } catch {
      return; // gone already
    }
    const moved = await readFile(aside, 'utf8').catch(() => abandoned);
    if (moved !== abandoned) await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
  }
}
