/**
 * The engine's data directory: the durable log (`log/`), snapshots (`snapshots/`) and a lock file
 * (`engine.lock`, holding the pid of the engine that uses it).
 *
 * `openDataDir` recovers the state: it loads the newest usable snapshot into the (fresh) state, replays the
 * events after it through the appliers, restores the key generator and reports what it did. While the engine
 * runs, a snapshot is taken every `snapshotEvery` records (and on `close`); once it is on disk, older
 * snapshots (all but one) and the log segments below the older kept snapshot are deleted, so replay time and
 * disk use stay bounded. The older snapshot is kept, with the log after it, so that a damaged newest snapshot
 * costs a longer replay, not the data. Sections (read models outside the state, such as the REST history) are
 * snapshotted with the state and recovered the same way: loaded from the snapshot, then fed the records after it.
 *
 * @example
 * const { dataDir, recovery } = openDataDir({ dir }, engine.state);
 * engine.resumeAt(recovery.lastPosition);
 * // … the engine appends to dataDir.log …
 * await dataDir.close();      // flush, snapshot, close, unlock
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEvent } from '../state/appliers.ts';
import type { EngineRecord } from '../state/records.ts';
import { EngineState } from '../state/state.ts';
import { StorageError } from './errors.ts';
import { openFileLog, syncDirectory, type FileLog, type LogStats } from './file-log.ts';
import {
  checkSnapshotFits,
  decodeSnapshot,
  encodeSnapshot,
  restoreSections,
  restoreSnapshot,
  SNAPSHOT_NAME,
  snapshotName,
  type Snapshot,
  type SnapshotSection,
} from './snapshot.ts';

export const DEFAULT_SNAPSHOT_EVERY = 100_000;

export interface DataDirOptions {
  /** The directory; created when missing. */
  dir: string;
  /** A snapshot is taken after this many records since the last one. Default 100 000. */
  snapshotEvery?: number;
  /** Bytes per log segment. Default 32 MiB. */
  segmentBytes?: number;
  /** Recent records kept in memory for `records()`. Default 100 000. */
  recentRecords?: number;
  /** Called once if writing the log fails (nothing is acknowledged from then on). */
  onFailure?(error: StorageError): void;
  /** Read models kept beside the state in each snapshot, recovered with it (snapshot.ts). */
  sections?: readonly SnapshotSection[];
}

/** What a start found and did. */
export interface Recovery {
  /** The snapshot loaded, and the position it reflects (0 when none was). */
  snapshotFile?: string;
  snapshotPosition: number;
  /** Why a newer snapshot was passed over (damaged, or of another engine version), when one was. */
  skippedSnapshot?: string;
  /**
   * Sections the snapshot loaded did not restore (no dump, another version), one line each: they hold only
   * what the records replayed after the snapshot brought back.
   */
  skippedSections?: string[];
  /** Events applied after the snapshot, and all records read after it. */
  eventsReplayed: number;
  recordsRead: number;
  /** Position of the last record on the log: new records continue after it. */
  lastPosition: number;
  /** Bytes of a torn tail cut from the log, and from which file. */
  bytesCut: number;
  cutFile?: string;
  logBytes: number;
  segments: number;
  /** True when the lock of a dead process was taken over. */
  staleLockTakenOver: boolean;
}

export interface StorageStats extends LogStats {
  snapshots: number;
  lastSnapshotPosition: number;
  lastSnapshotBytes: number;
}

interface KeptSnapshot {
  position: number;
  path: string;
}

/* ---------- lock ---------- */

/**
 * Whether the process that wrote a lock still runs. A zombie (exited, not yet reaped — seen on machines whose
 * init does not reap) answers `kill(pid, 0)` but holds nothing: it counts as gone.
 */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Takes `dir/engine.lock` for this process; a lock of a dead process is taken over. */
function lock(dir: string): { path: string; tookOver: boolean } {
  const path = join(dir, 'engine.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return { path, tookOver: attempt > 0 };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StorageError('DATA_DIR_UNUSABLE', `cannot create the lock file ${path}: ${(error as Error).message}`, path);
      }
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      // vanished meanwhile: try again
    }
    if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) {
      throw new StorageError(
        'DATA_DIR_LOCKED',
        `the data directory ${dir} is in use by another engine (pid ${holder}${holder === process.pid ? ', this process' : ''}; lock file ${path})`,
        path,
      );
    }
    rmSync(path, { force: true }); // the lock of a process that is gone
  }
  throw new StorageError('DATA_DIR_LOCKED', `cannot take the lock file ${path}: other engines keep taking it`, path);
}

/* ---------- snapshots on disk ---------- */

function listSnapshots(dir: string): KeptSnapshot[] {
  return readdirSync(dir)
    .map((name) => SNAPSHOT_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ position: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => b.position - a.position);
}

function firstLogPosition(logDir: string): number | undefined {
  const names = readdirSync(logDir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .sort();
  return names.length > 0 ? Number(names[0]!.slice(0, 20)) : undefined;
}

/**
 * Opens (or creates) a data directory and recovers `state` from it (a fresh `EngineState`). Throws a
 * StorageError (LOG_CORRUPT, SNAPSHOT_CORRUPT, SNAPSHOT_INCOMPATIBLE, DATA_DIR_LOCKED, DATA_DIR_UNUSABLE)
 * naming the file when it cannot.
 */
export function openDataDir(options: DataDirOptions, state: EngineState): { dataDir: DataDir; recovery: Recovery } {
  const { dir } = options;
  const logDir = join(dir, 'log');
  const snapshotDir = join(dir, 'snapshots');
  try {
    mkdirSync(logDir, { recursive: true });
    mkdirSync(snapshotDir, { recursive: true });
  } catch (error) {
    throw new StorageError('DATA_DIR_UNUSABLE', `cannot use ${dir} as the engine's data directory: ${(error as Error).message}`, dir);
  }
  const held = lock(dir);
  try {
    for (const name of readdirSync(snapshotDir)) if (name.endsWith('.tmp')) rmSync(join(snapshotDir, name), { force: true });
    // The newest snapshot that reads, fits this engine, and from which the log goes on.
    const logStart = firstLogPosition(logDir);
    let chosen: { snapshot: Snapshot; path: string; bytes: Buffer } | undefined;
    let skipped: StorageError | undefined;
    for (const candidate of listSnapshots(snapshotDir)) {
      if (logStart !== undefined && logStart > candidate.position + 1) break; // the log no longer reaches it
      try {
        const bytes = readFileSync(candidate.path);
        const snapshot = decodeSnapshot(bytes, candidate.path);
        if (snapshot.position !== candidate.position) {
          throw new StorageError('SNAPSHOT_CORRUPT', `snapshot ${candidate.path} reflects position ${snapshot.position}, not ${candidate.position} as its name says`, candidate.path);
        }
        checkSnapshotFits(state, snapshot, candidate.path);
        chosen = { snapshot, path: candidate.path, bytes };
        break;
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        skipped ??= error;
      }
    }
    if (!chosen && logStart !== undefined && logStart > 1) {
      // No usable snapshot, and the log was compacted: the state cannot be rebuilt.
      throw skipped ?? new StorageError('SNAPSHOT_CORRUPT', `the log in ${logDir} starts at position ${logStart}, but there is no snapshot to start from`, logDir);
    }
    const sections = options.sections ?? [];
    let skippedSections: string[] = [];
    if (chosen) {
      restoreSnapshot(state, chosen.snapshot, chosen.path);
      skippedSections = restoreSections(chosen.snapshot, sections);
    }
    const afterPosition = chosen?.snapshot.position ?? 0;
    let eventsReplayed = 0;
    const { log, recovery } = openFileLog({
      dir: logDir,
      afterPosition,
      onRecord: (record: EngineRecord) => {
        state.observeKey(record.key);
        if (record.recordType === 'EVENT') {
          applyEvent(state, record);
          eventsReplayed++;
        }
        for (const section of sections) section.replay(record);
      },
      ...(options.segmentBytes !== undefined ? { segmentBytes: options.segmentBytes } : {}),
      ...(options.recentRecords !== undefined ? { ringCapacity: options.recentRecords } : {}),
      ...(options.onFailure ? { onFailure: options.onFailure } : {}),
    });
    const result: Recovery = {
      snapshotPosition: afterPosition,
      eventsReplayed,
      recordsRead: recovery.recordsRead,
      lastPosition: recovery.lastPosition,
      bytesCut: recovery.bytesCut,
      logBytes: recovery.logBytes,
      segments: recovery.segments,
      staleLockTakenOver: held.tookOver,
    };
    if (chosen) result.snapshotFile = chosen.path;
    if (skipped) result.skippedSnapshot = skipped.message;
    if (skippedSections.length > 0) result.skippedSections = skippedSections;
    if (recovery.cutFile) result.cutFile = recovery.cutFile;
    const kept = listSnapshots(snapshotDir).filter((s) => s.position <= afterPosition);
    const dataDir = new DataDir(options, state, log, held.path, snapshotDir, kept, chosen ? { position: afterPosition, bytes: chosen.bytes } : undefined);
    return { dataDir, recovery: result };
  } catch (error) {
    rmSync(held.path, { force: true });
    throw error;
  }
}

export class DataDir {
  readonly log: FileLog;
  readonly #state: EngineState;
  readonly #sections: readonly SnapshotSection[];
  readonly #snapshotEvery: number;
  readonly #lockPath: string;
  readonly #snapshotDir: string;
  /** Snapshots on disk, newest first. */
  #kept: KeptSnapshot[];
  /** Encoded snapshots a replay check (checkIntegrity) can start from, newest last; at most two. */
  #baselines: { position: number; bytes: Buffer }[] = [];
  #lastSnapshotPosition: number;
  #lastSnapshotBytes = 0;
  #snapshots = 0;
  #snapshotting: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  /** Use `openDataDir`. */
  constructor(
    options: DataDirOptions,
    state: EngineState,
    log: FileLog,
    lockPath: string,
    snapshotDir: string,
    kept: KeptSnapshot[],
    baseline: { position: number; bytes: Buffer } | undefined,
  ) {
    this.log = log;
    this.#state = state;
    this.#sections = options.sections ?? [];
    this.#snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    if (!(Number.isInteger(this.#snapshotEvery) && this.#snapshotEvery >= 1)) {
      throw new RangeError(`snapshotEvery must be a whole number of at least 1; got ${options.snapshotEvery}`);
    }
    this.#lockPath = lockPath;
    this.#snapshotDir = snapshotDir;
    this.#kept = kept;
    this.#lastSnapshotPosition = baseline?.position ?? 0;
    if (baseline) this.#baselines.push(baseline);
  }

  /** Call after each committed batch: takes a snapshot when `snapshotEvery` records went by since the last. */
  afterCommit(): void {
    if (this.#snapshotting || this.#closed) return;
    if (this.log.appendedPosition - this.#lastSnapshotPosition < this.#snapshotEvery) return;
    // After the current turn's processing: state and log then agree on the last appended position.
    this.#snapshotting = Promise.resolve()
      .then(() => this.#snapshot())
      .catch(() => undefined)
      .finally(() => (this.#snapshotting = undefined));
  }

  /**
   * Takes a snapshot now (when anything happened since the last) and resolves once it is on disk and the log
   * below the older kept snapshot is deleted.
   */
  async snapshot(): Promise<void> {
    while (this.#snapshotting) await this.#snapshotting;
    const run = this.#snapshot();
    this.#snapshotting = run.finally(() => (this.#snapshotting = undefined));
    await run;
  }

  async #snapshot(): Promise<void> {
    const position = this.log.appendedPosition;
    if (position === this.#lastSnapshotPosition) return;
    const bytes = encodeSnapshot(this.#state, position, this.#sections);
    await this.log.flushed(); // a snapshot counts only once every record it reflects is on disk
    const path = join(this.#snapshotDir, snapshotName(position));
    const tmp = `${path}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await syncDirectory(this.#snapshotDir);
    this.#lastSnapshotPosition = position;
    this.#lastSnapshotBytes = bytes.length;
    this.#snapshots++;
    this.#kept.unshift({ position, path });
    this.#baselines.push({ position, bytes });
    if (this.#baselines.length > 2) this.#baselines.shift();
    // Keep this one and the one before it (with the log after it), delete the rest.
    for (const old of this.#kept.splice(2)) await unlink(old.path).catch(() => undefined);
    const floor = this.#kept[1]?.position ?? 0;
    if (floor > 0) await this.log.compactBelow(floor);
  }

  /**
   * A state and position that replaying `records` can start from, for checkIntegrity: the newest snapshot the
   * records reach back to (a fresh state at 0 when they start at the first record). Undefined when none fits.
   */
  replayBase(records: readonly EngineRecord[]): { state: EngineState; position: number } | undefined {
    const first = records[0]?.position ?? this.log.appendedPosition + 1;
    for (let i = this.#baselines.length - 1; i >= 0; i--) {
      const base = this.#baselines[i]!;
      if (base.position + 1 >= first) {
        const state = new EngineState();
        restoreSnapshot(state, decodeSnapshot(base.bytes, 'baseline'), 'baseline');
        return { state, position: base.position };
      }
    }
    return first === 1 ? { state: new EngineState(), position: 0 } : undefined;
  }

  stats(): StorageStats {
    return {
      ...this.log.stats(),
      snapshots: this.#snapshots,
      lastSnapshotPosition: this.#lastSnapshotPosition,
      lastSnapshotBytes: this.#lastSnapshotBytes,
    };
  }

  /** Writes what is queued, takes a snapshot, closes the log and releases the lock. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.log.flushed();
        await this.snapshot();
      } finally {
        await this.log.close().finally(() => {
          if (existsSync(this.#lockPath) && readFileSync(this.#lockPath, 'utf8').trim() === String(process.pid)) rmSync(this.#lockPath, { force: true });
        });
      }
    })();
    return this.#closed;
  }
}
