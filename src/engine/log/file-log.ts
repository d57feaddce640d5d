/**
 * The durable record log: segment files of checksummed frames in a data directory, written by a group-commit
 * writer (engine-style.md principles 10 and 11).
 *
 * Segment file `<base position, 20 digits>.log`:
 *   header (24 bytes): "FORAGLOG" | u32 format version | f64 position of its first record | u32 CRC-32 of the 20 before
 *   frames: u32 CRC-32 of the rest of the frame | u32 payload length | u8 type | payload
 *     type 1: a record as plain JSON; type 2: a record as tagged JSON (codec.ts); type 3: commit marker
 *     commit payload (20 bytes): f64 position of the batch's last record | u32 records in the batch |
 *                                f64 offset in the segment where the write that carried it began
 * Every `append(records)` (one processed command with its follow-ups) is one batch: its record frames closed by
 * a commit marker. A batch counts only with its commit marker.
 *
 * Group commit: `append` encodes the batch at once and queues it; a writer takes everything queued, does one
 * write and one fdatasync, then runs the `whenDurable` callbacks of what it wrote. Whatever is appended during
 * an fsync forms the next group; there is no added delay. Only one write is in flight at a time, so only the
 * last write can be torn by a crash: on start, `openFileLog` cuts a damaged or unfinished tail back to the last
 * intact commit marker, and reports damage before the last write (a flipped byte, a missing segment) as
 * LOG_CORRUPT with the file and the offset.
 *
 * @example
 * const { log } = openFileLog({ dir: '/var/lib/forager', afterPosition: 0, onRecord: (r) => replay(r) });
 * log.append(records);
 * log.whenDurable(() => reply());   // after the fsync that carried `records`
 * await log.close();
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineRecord } from '../state/records.ts';
import { crc32, decodeValue, encodeValue } from './codec.ts';
import { StorageError } from './errors.ts';
import type { RecordLog } from './log.ts';

const MAGIC = Buffer.from('FORAGLOG', 'latin1');
export const LOG_FORMAT_VERSION = 1;
const SEGMENT_HEADER = 24;
const FRAME_HEADER = 9;
const RECORD_JSON = 1;
const RECORD_TAGGED = 2;
const COMMIT = 3;
const COMMIT_PAYLOAD = 20;
const COMMIT_FRAME = FRAME_HEADER + COMMIT_PAYLOAD;
const SEGMENT_NAME = /^(\d{20})\.log$/;

export const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;

/** Counters of the log, for monitoring and the benchmark (fsyncs per second = Δfsyncs / Δt). */
export interface LogStats {
  /** fdatasync calls on segment files (one per group commit) and fsyncs of the directory. */
  fsyncs: number;
  /** Writes of a group (each followed by one fdatasync). */
  groupCommits: number;
  /** Batches (processed commands with their follow-ups) made durable. */
  batches: number;
  /** Records made durable. */
  records: number;
  /** Bytes written to segments (headers included). */
  bytes: number;
  /** The most batches one group commit carried. */
  largestGroup: number;
  /** Position of the last record appended, and of the last one on disk. */
  appendedPosition: number;
  durablePosition: number;
  /** Segment files now in the directory. */
  segments: number;
  segmentsDeleted: number;
}

/** What a start found in the log. */
export interface LogRecovery {
  /** Position of the last intact record (the snapshot's position when the log holds nothing after it). */
  lastPosition: number;
  /** Records read after `afterPosition` (commands and rejections included). */
  recordsRead: number;
  /** Bytes of a torn or unfinished tail cut from the last segment (0 when there was none). */
  bytesCut: number;
  /** The segment the tail was cut from, when bytes were cut. */
  cutFile?: string;
  segments: number;
  /** Bytes of all segments after the cut. */
  logBytes: number;
}

export interface FileLogOptions {
  dir: string;
  /** Records at or below this position are already reflected in the state (a snapshot): they are not read. */
  afterPosition: number;
  /** Called for each committed record after `afterPosition`, in order, while the log is read at start. */
  onRecord(record: EngineRecord): void;
  /** A new segment is started once the current one holds this many bytes. Default 32 MiB. */
  segmentBytes?: number;
  /** Records kept in memory for `records()`. Default 100 000. */
  ringCapacity?: number;
  /** Called once if a write or fsync fails; the log acknowledges nothing from then on. */
  onFailure?(error: StorageError): void;
}

interface Segment {
  base: number;
  path: string;
}

interface PendingBatch {
  buf: Buffer;
  first: number;
  last: number;
  count: number;
}

/* ---------- encoding ---------- */

function segmentName(base: number): string {
  return `${String(base).padStart(20, '0')}.log`;
}

function segmentHeader(base: number): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(LOG_FORMAT_VERSION, 8);
  buf.writeDoubleLE(base, 12);
  buf.writeUInt32LE(crc32(buf, 0, 20), 20);
  return buf;
}

/** One batch as bytes: a frame per record, then the commit marker (its group offset is filled in at write). */
export function encodeBatch(records: readonly EngineRecord[]): Buffer {
  const texts: string[] = [];
  const kinds: number[] = [];
  let size = COMMIT_FRAME;
  for (const record of records) {
    const { text, tagged } = encodeValue(record);
    texts.push(text);
    kinds.push(tagged ? RECORD_TAGGED : RECORD_JSON);
    size += FRAME_HEADER + Buffer.byteLength(text, 'utf8');
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const length = buf.write(texts[i]!, at + FRAME_HEADER, 'utf8');
    buf.writeUInt32LE(length, at + 4);
    buf[at + 8] = kinds[i]!;
    buf.writeUInt32LE(crc32(buf, at + 4, at + FRAME_HEADER + length), at);
    at += FRAME_HEADER + length;
  }
  buf.writeUInt32LE(COMMIT_PAYLOAD, at + 4);
  buf[at + 8] = COMMIT;
  buf.writeDoubleLE(records.at(-1)!.position, at + FRAME_HEADER);
  buf.writeUInt32LE(records.length, at + FRAME_HEADER + 8);
  sealCommit(buf, at, 0);
  return buf;
}

/** Writes the group offset into the commit frame at `at` and its checksum. */
function sealCommit(buf: Buffer, at: number, groupStart: number): void {
  buf.writeDoubleLE(groupStart, at + FRAME_HEADER + 12);
  buf.writeUInt32LE(crc32(buf, at + 4, at + COMMIT_FRAME), at);
}

/* ---------- reading ---------- */

function listSegments(dir: string): Segment[] {
  return readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ base: Number(m[1]), path: join(dir, m[0]) }))
    .sort((a, b) => a.base - b.base);
}

/** Intact commit frames from `from` on: [offset, groupStart]. */
function intactCommitsAfter(buf: Buffer, from: number): [number, number][] {
  const found: [number, number][] = [];
  for (let i = from; i + COMMIT_FRAME <= buf.length; i++) {
    if (buf[i + 8] !== COMMIT || buf.readUInt32LE(i + 4) !== COMMIT_PAYLOAD) continue;
    if (crc32(buf, i + 4, i + COMMIT_FRAME) !== buf.readUInt32LE(i)) continue;
    found.push([i, buf.readDoubleLE(i + FRAME_HEADER + 12)]);
  }
  return found;
}

interface SegmentScan {
  /** End of the last intact commit marker. */
  validEnd: number;
  /** Offset of the first damaged or unfinished byte, when the segment does not end cleanly. */
  damageAt?: number;
  damage?: string;
  nextPosition: number;
  records: number;
}

/**
 * Reads one segment's frames. Delivers committed records after `afterPosition`; checks that positions run on
 * from `nextPosition`. Stops at the first damaged or unfinished frame (for the caller to judge).
 */
function scanSegment(buf: Buffer, path: string, nextPosition: number, afterPosition: number, onRecord: (r: EngineRecord) => void): SegmentScan {
  let at = SEGMENT_HEADER;
  let validEnd = SEGMENT_HEADER;
  let batch: EngineRecord[] = [];
  let batchSkipped = 0;
  let records = 0;
  const stop = (damage: string): SegmentScan => ({ validEnd, damageAt: at, damage, nextPosition, records });
  while (at < buf.length) {
    if (at + FRAME_HEADER > buf.length) return stop('an unfinished frame header');
    const length = buf.readUInt32LE(at + 4);
    const type = buf[at + 8];
    if (at + FRAME_HEADER + length > buf.length) return stop(`a frame of ${length} bytes that runs past the end of the file`);
    if (crc32(buf, at + 4, at + FRAME_HEADER + length) !== buf.readUInt32LE(at)) return stop('a frame whose checksum does not match');
    const payload = at + FRAME_HEADER;
    if (type === COMMIT) {
      if (length !== COMMIT_PAYLOAD) return stop('a commit marker of the wrong size');
      const last = buf.readDoubleLE(payload);
      const count = buf.readUInt32LE(payload + 8);
      if (count !== batch.length + batchSkipped || last !== nextPosition + count - 1) {
        return stop(`a commit marker for ${count} records ending at position ${last}, after ${batch.length + batchSkipped} records from position ${nextPosition}`);
      }
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        if (record.position !== nextPosition + batchSkipped + i) {
          return stop(`record position ${record.position} where ${nextPosition + batchSkipped + i} was expected`);
        }
      }
      for (const record of batch) onRecord(record);
      records += batch.length;
      nextPosition = last + 1;
      batch = [];
      batchSkipped = 0;
      at = payload + length;
      validEnd = at;
      continue;
    }
    if (type !== RECORD_JSON && type !== RECORD_TAGGED) return stop(`a frame of unknown type ${type}`);
    if (nextPosition + batch.length + batchSkipped <= afterPosition) {
      batchSkipped++;
    } else {
      let record: EngineRecord;
      try {
        record = decodeValue(buf.toString('utf8', payload, payload + length), type === RECORD_TAGGED) as EngineRecord;
      } catch (error) {
        return stop(`a record that cannot be read (${(error as Error).message})`);
      }
      batch.push(record);
    }
    at = payload + length;
  }
  if (batch.length + batchSkipped > 0) return stop('a batch without its commit marker');
  return { validEnd, nextPosition, records };
}

function checkHeader(buf: Buffer, base: number): string | undefined {
  if (buf.length < SEGMENT_HEADER) return `a header of ${buf.length} bytes`;
  if (!buf.subarray(0, 8).equals(MAGIC)) return 'no forager log header';
  if (crc32(buf, 0, 20) !== buf.readUInt32LE(20)) return 'a header whose checksum does not match';
  const version = buf.readUInt32LE(8);
  if (version !== LOG_FORMAT_VERSION) return `log format version ${version}, but this engine reads version ${LOG_FORMAT_VERSION}`;
  if (buf.readDoubleLE(12) !== base) return `a header for position ${buf.readDoubleLE(12)}, not ${base} as its name says`;
  return undefined;
}

/* ---------- the log ---------- */

/**
 * Opens the log in `dir` (created when missing): reads it from `afterPosition`, cuts a torn tail, and returns
 * the log, ready to append after the last intact record. Throws StorageError LOG_CORRUPT for damage that is
 * not a torn tail.
 */
export function openFileLog(options: FileLogOptions): { log: FileLog; recovery: LogRecovery } {
  const { dir, afterPosition } = options;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new StorageError('DATA_DIR_UNUSABLE', `cannot create the data directory ${dir}: ${(error as Error).message}`, dir);
  }
  const ring = new Ring(options.ringCapacity ?? 100_000);
  const onRecord = (record: EngineRecord) => {
    ring.push(record);
    options.onRecord(record);
  };
  let segments = listSegments(dir);
  // Segments wholly below `afterPosition` are not needed (compaction may not have removed them yet).
  let startIndex = 0;
  while (startIndex + 1 < segments.length && segments[startIndex + 1]!.base <= afterPosition + 1) startIndex++;
  const recovery: LogRecovery = { lastPosition: afterPosition, recordsRead: 0, bytesCut: 0, segments: segments.length, logBytes: 0 };
  let tailSize = 0;
  let nextPosition = segments[startIndex]?.base ?? afterPosition + 1;
  if (nextPosition > afterPosition + 1) {
    throw new StorageError(
      'LOG_CORRUPT',
      `the log in ${dir} starts at position ${nextPosition}, but the state (snapshot) reaches only position ${afterPosition}: records ${afterPosition + 1} to ${nextPosition - 1} are missing`,
      segments[startIndex]!.path,
      0,
    );
  }
  for (let i = startIndex; i < segments.length; i++) {
    const segment = segments[i]!;
    const isLast = i === segments.length - 1;
    const buf = readFileSync(segment.path);
    if (segment.base !== nextPosition) {
      throw new StorageError(
        'LOG_CORRUPT',
        `log segment ${segment.path} starts at position ${segment.base}, but the segment before it ends at ${nextPosition - 1} (a segment is missing or damaged)`,
        segment.path,
        0,
      );
    }
    const badHeader = checkHeader(buf, segment.base);
    if (badHeader) {
      // Only the newest segment can be unfinished (it is created, then written): with no intact commit in it,
      // it held nothing acknowledged.
      if (isLast && intactCommitsAfter(buf, 0).length === 0) {
        unlinkSync(segment.path);
        recovery.bytesCut += buf.length;
        recovery.cutFile = segment.path;
        segments = segments.slice(0, i);
        break;
      }
      throw new StorageError('LOG_CORRUPT', `log segment ${segment.path} is damaged at offset 0: ${badHeader}`, segment.path, 0);
    }
    const scan = scanSegment(buf, segment.path, nextPosition, afterPosition, onRecord);
    recovery.recordsRead += scan.records;
    nextPosition = scan.nextPosition;
    if (scan.damageAt !== undefined) {
      const later = isLast ? intactCommitsAfter(buf, scan.damageAt + 1) : [];
      const lastLater = later.at(-1);
      // A torn tail: in the last segment, and within the last write (no later write's commit marker after it).
      const torn = isLast && (lastLater === undefined || lastLater[1] <= scan.damageAt);
      if (!torn) {
        throw new StorageError(
          'LOG_CORRUPT',
          `log segment ${segment.path} is damaged at offset ${scan.damageAt}: ${scan.damage}; ` +
            (isLast ? 'intact records written later follow it, so it is not a torn last write' : 'it is not the last segment'),
          segment.path,
          scan.damageAt,
        );
      }
      const fd = openSync(segment.path, 'r+');
      try {
        ftruncateSync(fd, scan.validEnd);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      recovery.bytesCut += buf.length - scan.validEnd;
      recovery.cutFile = segment.path;
      tailSize = scan.validEnd;
      recovery.logBytes += scan.validEnd;
    } else {
      tailSize = buf.length;
      recovery.logBytes += buf.length;
    }
  }
  recovery.lastPosition = nextPosition - 1;
  if (recovery.lastPosition < afterPosition) {
    throw new StorageError(
      'LOG_CORRUPT',
      `the log in ${dir} ends at position ${recovery.lastPosition}, but the snapshot reflects records up to ${afterPosition}`,
      segments.at(-1)?.path ?? dir,
      tailSize,
    );
  }
  recovery.segments = segments.length;
  const log = new FileLog(options, segments, tailSize, recovery.lastPosition, ring);
  return { log, recovery };
}

class Ring {
  #buffer: EngineRecord[] = [];
  constructor(private readonly capacity: number) {}
  push(record: EngineRecord): void {
    this.#buffer.push(record);
    if (this.#buffer.length > this.capacity * 2) this.#buffer = this.#buffer.slice(this.#buffer.length - this.capacity);
  }
  records(): readonly EngineRecord[] {
    return this.#buffer.length > this.capacity ? this.#buffer.slice(this.#buffer.length - this.capacity) : this.#buffer;
  }
}

export class FileLog implements RecordLog {
  readonly #dir: string;
  readonly #segmentBytes: number;
  readonly #onFailure: ((error: StorageError) => void) | undefined;
  readonly #ring: Ring;
  /** Segments on disk, oldest first; the last is the one written. */
  #segments: Segment[];
  #handle: FileHandle | undefined;
  #size: number;
  #pending: PendingBatch[] = [];
  #appended: number;
  #durable: number;
  #waiters: { position: number; fn: () => void }[] = [];
  #waitersHead = 0;
  #flushing: Promise<void> | undefined;
  #failed: StorageError | undefined;
  readonly #failureListeners = new Set<(error: StorageError) => void>();
  #closed = false;
  readonly #stats: Omit<LogStats, 'appendedPosition' | 'durablePosition' | 'segments'> = {
    fsyncs: 0,
    groupCommits: 0,
    batches: 0,
    records: 0,
    bytes: 0,
    largestGroup: 0,
    segmentsDeleted: 0,
  };

  /** Use `openFileLog`. */
  constructor(options: FileLogOptions, segments: Segment[], tailSize: number, lastPosition: number, ring: Ring) {
    this.#dir = options.dir;
    this.#segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.#onFailure = options.onFailure;
    this.#segments = segments;
    this.#size = segments.length > 0 ? tailSize : 0;
    this.#appended = lastPosition;
    this.#durable = lastPosition;
    this.#ring = ring;
  }

  append(records: readonly EngineRecord[]): void {
    // After close (the engine is stopping: its state is discarded), nothing is written or acknowledged.
    if (records.length === 0 || this.#closed) return;
    const buf = encodeBatch(records);
    for (const record of records) this.#ring.push(record);
    this.#pending.push({ buf, first: records[0]!.position, last: records.at(-1)!.position, count: records.length });
    this.#appended = records.at(-1)!.position;
    this.#flushing ??= this.#flushLoop();
  }

  records(): readonly EngineRecord[] {
    return this.#ring.records();
  }

  whenDurable(fn: () => void): void {
    if (this.#closed && !this.#flushing) return; // nothing after close is acknowledged
    if (this.#durable >= this.#appended) {
      fn();
      return;
    }
    this.#waiters.push({ position: this.#appended, fn });
  }

  /** Resolves once every record appended so far is on disk; rejects if the log failed (LOG_WRITE_FAILED). */
  flushed(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#failureListeners.add(reject);
      this.whenDurable(() => {
        this.#failureListeners.delete(reject);
        resolve();
      });
    });
  }

  /** Position of the last record appended / on disk. */
  get appendedPosition(): number {
    return this.#appended;
  }

  get durablePosition(): number {
    return this.#durable;
  }

  stats(): LogStats {
    return { ...this.#stats, appendedPosition: this.#appended, durablePosition: this.#durable, segments: this.#segments.length };
  }

  /** The segment files, oldest first. */
  get segmentPaths(): readonly string[] {
    return this.#segments.map((s) => s.path);
  }

  /**
   * Deletes the segments all of whose records are at or below `position` (a durable snapshot reflects them).
   * The segment being written is never deleted.
   */
  async compactBelow(position: number): Promise<number> {
    let deleted = 0;
    while (this.#segments.length > 1 && this.#segments[1]!.base <= position + 1) {
      const [segment] = this.#segments.splice(0, 1);
      await unlink(segment!.path).catch(() => undefined);
      deleted++;
    }
    this.#stats.segmentsDeleted += deleted;
    return deleted;
  }

  /** Writes what is queued, then closes the segment file. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#handle?.close().catch(() => undefined);
    this.#handle = undefined;
    if (this.#failed) throw this.#failed;
  }

  async #flushLoop(): Promise<void> {
    // Let the batches appended in this turn of the event loop (a drained queue of commands) join the group.
    await Promise.resolve();
    try {
      while (this.#pending.length > 0 && !this.#failed) {
        const group = this.#pending;
        this.#pending = [];
        await this.#writeGroup(group);
      }
    } catch (error) {
      this.#fail(error as Error);
    } finally {
      this.#flushing = undefined;
    }
  }

  async #writeGroup(group: PendingBatch[]): Promise<void> {
    let bytes = 0;
    for (const batch of group) bytes += batch.buf.length;
    const last = this.#segments.at(-1);
    if (!this.#handle && last && this.#size >= SEGMENT_HEADER && this.#size + bytes <= this.#segmentBytes) {
      // After a start: append to the last segment, where the previous run stopped (a torn tail is cut already).
      this.#handle = await open(last.path, 'r+');
    }
    if (!this.#handle || (this.#size > SEGMENT_HEADER && this.#size + bytes > this.#segmentBytes)) await this.#nextSegment(group[0]!.first);
    const groupStart = this.#size;
    const buf = group.length === 1 ? group[0]!.buf : Buffer.concat(group.map((b) => b.buf), bytes);
    let at = 0;
    for (const batch of group) {
      at += batch.buf.length;
      sealCommit(buf, at - COMMIT_FRAME, groupStart);
    }
    const handle = this.#handle!;
    let written = 0;
    while (written < buf.length) {
      const { bytesWritten } = await handle.write(buf, written, buf.length - written, groupStart + written);
      written += bytesWritten;
    }
    await handle.datasync();
    this.#size += buf.length;
    const stats = this.#stats;
    stats.fsyncs++;
    stats.groupCommits++;
    stats.batches += group.length;
    stats.bytes += buf.length;
    for (const batch of group) stats.records += batch.count;
    if (group.length > stats.largestGroup) stats.largestGroup = group.length;
    this.#durable = group.at(-1)!.last;
    this.#release();
  }

  /** Runs the callbacks waiting for positions now durable, in order. */
  #release(): void {
    const waiters = this.#waiters;
    while (this.#waitersHead < waiters.length && waiters[this.#waitersHead]!.position <= this.#durable) {
      const { fn } = waiters[this.#waitersHead]!;
      waiters[this.#waitersHead++] = undefined as unknown as { position: number; fn: () => void };
      try {
        fn();
      } catch {
        // A reply's failure must not stop the others.
      }
    }
    if (this.#waitersHead === waiters.length) {
      this.#waiters = [];
      this.#waitersHead = 0;
    } else if (this.#waitersHead > 1024) {
      this.#waiters = waiters.slice(this.#waitersHead);
      this.#waitersHead = 0;
    }
  }

  /** Closes the current segment and starts one whose first record is `base` (header fsynced, directory too). */
  async #nextSegment(base: number): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
    const path = join(this.#dir, segmentName(base));
    const handle = await open(path, 'w');
    const header = segmentHeader(base);
    await handle.write(header, 0, header.length, 0);
    await handle.datasync();
    this.#handle = handle;
    this.#size = SEGMENT_HEADER;
    this.#segments.push({ base, path });
    this.#stats.bytes += header.length;
    this.#stats.fsyncs += 2;
    await syncDirectory(this.#dir);
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed =
      error instanceof StorageError ? error : new StorageError('LOG_WRITE_FAILED', `writing the log in ${this.#dir} failed: ${error.message}`, this.#segments.at(-1)?.path);
    for (const listener of this.#failureListeners) listener(this.#failed);
    this.#failureListeners.clear();
    this.#onFailure?.(this.#failed);
  }
}

/** fsyncs a directory, so that files created or renamed in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
