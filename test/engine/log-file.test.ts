/**
 * The durable log's file format and recovery rules, on real files in a temporary directory: frames round-trip,
 * group commit (one fdatasync per group), a torn or unfinished tail is cut back to the last commit marker,
 * damage before the last write is LOG_CORRUPT naming the file and offset; the codec and snapshot encoding of a
 * state with Maps, Sets and bigints, and a snapshot of another state shape refused as SNAPSHOT_INCOMPATIBLE.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32, decodeValue, encodeValue } from '../../src/engine/log/codec.ts';
import { StorageError } from '../../src/engine/log/errors.ts';
import { openFileLog, type FileLog } from '../../src/engine/log/file-log.ts';
import { decodeSnapshot, encodeSnapshot, restoreSnapshot } from '../../src/engine/log/snapshot.ts';
import type { EngineRecord } from '../../src/engine/state/records.ts';
import { EngineState } from '../../src/engine/state/state.ts';
import { tempDirs } from '../helpers/engine-harness.ts';

const tempDir = tempDirs('forager-log-');

let nextPosition = 1;
function batch(n: number, extra: Record<string, unknown> = {}): EngineRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    position: nextPosition++,
    recordType: i === 0 ? ('COMMAND' as const) : ('EVENT' as const),
    valueType: 'JOB' as const,
    intent: i === 0 ? 'COMPLETE' : 'COMPLETED',
    key: String(2251799813685249n + BigInt(i)),
    timestamp: 1_700_000_000_000 + i,
    value: { variables: { n: i, text: 'héllo ✓' }, ...extra },
  }));
}

function open(dir: string, afterPosition = 0) {
  const read: EngineRecord[] = [];
  const { log, recovery } = openFileLog({ dir, afterPosition, onRecord: (r) => read.push(r) });
  return { log, recovery, read };
}

/** Writes `batches` each in its own group commit (append, then wait for the fsync). */
async function writeSeparately(log: FileLog, batches: EngineRecord[][]): Promise<void> {
  for (const b of batches) {
    log.append(b);
    await log.flushed();
  }
}

function onlySegment(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  assert.equal(files.length, 1);
  return join(dir, files[0]!);
}

describe('codec', () => {
  it('CRC-32 matches the standard check value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  it('round-trips Map, Set, bigint, non-finite numbers, undefined in arrays, and objects that use the tag key', () => {
    const value = {
      map: new Map<string, unknown>([['a', new Set(['x', 'y'])], ['b', { n: 1n << 60n }]]),
      nums: [NaN, Infinity, -Infinity, 1.5, undefined],
      sneaky: { '\u0000': ['big', '12'] },
      nested: [{ '\u0000': 'plain' }],
      dropped: undefined,
    };
    const { text, tagged } = encodeValue(value);
    assert.equal(tagged, true);
    const back = decodeValue(text) as typeof value;
    assert.deepEqual(back.map, value.map);
    assert.deepEqual(back.nums, [NaN, Infinity, -Infinity, 1.5, undefined]);
    assert.deepEqual(back.sneaky, { '\u0000': ['big', '12'] });
    assert.deepEqual(back.nested, [{ '\u0000': 'plain' }]);
    assert.equal('dropped' in back, false);
    assert.equal(encodeValue({ a: [1, 'b', null] }).tagged, false);
  });

  it('refuses class instances and functions, naming where they are', () => {
    class Thing {}
    assert.throws(() => encodeValue({ table: new Map([['k', { inner: new Thing() }]]) }), /instance of Thing at inner/);
    assert.throws(() => encodeValue({ f: () => 1 }), /a function at f/);
  });
});

describe('file log', () => {
  it('round-trips batches and continues numbering after a restart', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const first = open(dir);
    const written = [batch(3), batch(1), batch(5, { big: 12345678901234567890n, set: new Set(['a']) })];
    for (const b of written) first.log.append(b);
    await first.log.flushed();
    await first.log.close();
    const second = open(dir);
    assert.deepEqual(second.read, written.flat());
    assert.equal(second.recovery.lastPosition, 9);
    assert.equal(second.recovery.bytesCut, 0);
    second.log.append(batch(2));
    await second.log.close();
    const third = open(dir, 4);
    assert.deepEqual(
      third.read.map((r) => r.position),
      [5, 6, 7, 8, 9, 10, 11],
    );
    await third.log.close();
  });

  it('group commit: batches appended in one turn share one write and one fdatasync', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const { log } = open(dir);
    let answered = 0;
    for (let i = 0; i < 100; i++) {
      log.append(batch(2));
      log.whenDurable(() => answered++);
    }
    assert.equal(answered, 0, 'nothing is acknowledged before its fsync');
    await log.flushed();
    assert.equal(answered, 100);
    const stats = log.stats();
    assert.equal(stats.batches, 100);
    assert.equal(stats.records, 200);
    assert.equal(stats.groupCommits, 1);
    // One fdatasync for the group, plus the new segment's header and directory.
    assert.equal(stats.fsyncs, 3);
    let sync = false;
    log.whenDurable(() => (sync = true));
    assert.equal(sync, true, 'with nothing pending, whenDurable runs at once');
    await log.close();
  });

  it('cuts a torn last frame and a batch without its commit marker, reporting the bytes', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const { log } = open(dir);
    await writeSeparately(log, [batch(2), batch(2), batch(3)]);
    await log.close();
    const file = onlySegment(dir);
    const size = statSync(file).size;
    truncateSync(file, size - 5); // into the last commit marker
    const torn = open(dir);
    assert.deepEqual(
      torn.read.map((r) => r.position),
      [1, 2, 3, 4],
    );
    assert.equal(torn.recovery.lastPosition, 4);
    assert.ok(torn.recovery.bytesCut > 0 && torn.recovery.bytesCut < size);
    assert.equal(torn.recovery.cutFile, file);
    // New records go where the cut ones were, and read back.
    nextPosition = 5;
    torn.log.append(batch(2));
    await torn.log.close();
    const again = open(dir);
    assert.deepEqual(
      again.read.map((r) => r.position),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(again.recovery.bytesCut, 0);
    await again.log.close();
    // Zeros after the end (a file extended but never written) are a torn tail too.
    appendFileSync(file, Buffer.alloc(4096));
    const zeros = open(dir);
    assert.equal(zeros.recovery.lastPosition, 6);
    assert.equal(zeros.recovery.bytesCut, 4096);
    await zeros.log.close();
  });

  it('a damaged frame inside the last write is a torn tail; the intact batches before it stay', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const { log } = open(dir);
    await writeSeparately(log, [batch(2)]);
    const sizeBefore = statSync(onlySegment(dir)).size;
    // Three batches in one write: damage the second one's first record.
    log.append(batch(2));
    log.append(batch(2));
    log.append(batch(2));
    await log.close();
    const file = onlySegment(dir);
    const bytes = readFileSync(file);
    const secondBatch = sizeBefore + (bytes.length - sizeBefore) / 3;
    bytes[secondBatch + 20]! ^= 0xff;
    writeFileSync(file, bytes);
    const torn = open(dir);
    assert.deepEqual(
      torn.read.map((r) => r.position),
      [1, 2, 3, 4],
    );
    assert.equal(torn.recovery.bytesCut, bytes.length - secondBatch);
    await torn.log.close();
  });

  it('a flipped byte before the last write is LOG_CORRUPT, naming the file and the offset', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const { log } = open(dir);
    await writeSeparately(log, [batch(2), batch(2), batch(2)]);
    await log.close();
    const file = onlySegment(dir);
    const bytes = readFileSync(file);
    const offset = 24 + 9 + 3; // inside the first record's payload
    bytes[offset]! ^= 0x01;
    writeFileSync(file, bytes);
    assert.throws(
      () => open(dir),
      (error: unknown) => {
        assert.ok(error instanceof StorageError);
        assert.equal(error.code, 'LOG_CORRUPT');
        assert.equal(error.file, file);
        assert.equal(error.offset, 24);
        assert.match(error.message, new RegExp(`${file.replace(/[/.]/g, '\\$&')} is damaged at offset 24: a frame whose checksum does not match`));
        return true;
      },
    );
    // The file was not touched.
    assert.deepEqual(readFileSync(file), bytes);
  });

  it('damage in a segment that is not the last is LOG_CORRUPT; a missing segment too', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const read: EngineRecord[] = [];
    const { log } = openFileLog({ dir, afterPosition: 0, onRecord: (r) => read.push(r), segmentBytes: 600 });
    for (let i = 0; i < 6; i++) await writeSeparately(log, [batch(2)]);
    await log.close();
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    assert.ok(segments.length >= 3, `expected several segments, got ${segments.join(', ')}`);
    const firstFile = join(dir, segments[0]!);
    const damaged = readFileSync(firstFile);
    truncateSync(firstFile, damaged.length - 3);
    assert.throws(() => open(dir), { code: 'LOG_CORRUPT', file: firstFile, message: /is damaged at offset \d+: .*it is not the last segment/ });
    writeFileSync(firstFile, damaged);
    rmSync(join(dir, segments[1]!));
    assert.throws(() => open(dir), { code: 'LOG_CORRUPT', message: /a segment is missing or damaged/ });
  });

  it('a newest segment whose header never made it to disk is removed; appending goes on in a fresh one', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const { log } = open(dir);
    await writeSeparately(log, [batch(2), batch(2)]);
    await log.close();
    // A crash while the next segment (first record 5) was being created: a file with half a header.
    const broken = join(dir, `${String(5).padStart(20, '0')}.log`);
    writeFileSync(broken, Buffer.from('FORAGL'));
    // Opened as after a snapshot at position 4: the old segment is not even read.
    const reopened = open(dir, 4);
    assert.equal(reopened.recovery.bytesCut, 6);
    assert.equal(reopened.recovery.cutFile, broken);
    assert.equal(reopened.recovery.lastPosition, 4);
    nextPosition = 5;
    reopened.log.append(batch(3));
    await reopened.log.close();
    const again = open(dir);
    assert.deepEqual(
      again.read.map((r) => r.position),
      [1, 2, 3, 4, 5, 6, 7],
    );
    await again.log.close();
  });

  it('compaction deletes whole segments below a position, never the one being written', async () => {
    const dir = tempDir();
    nextPosition = 1;
    const { log } = openFileLog({ dir, afterPosition: 0, onRecord: () => {}, segmentBytes: 600 });
    for (let i = 0; i < 8; i++) await writeSeparately(log, [batch(2)]);
    const before = log.segmentPaths.length;
    assert.ok(before >= 3);
    const deleted = await log.compactBelow(16);
    assert.equal(deleted, before - 1);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.log')).length, 1);
    await log.close();
    const reopened = open(dir, 16);
    assert.equal(reopened.recovery.lastPosition, 16);
    await reopened.log.close();
  });
});

describe('snapshot', () => {
  it('encodes and restores a state with Maps, Sets and bigints, and the key generator', () => {
    const state = new EngineState();
    for (let i = 0; i < 5; i++) state.nextKey();
    state.variables.set('1', new Map<string, unknown>([['big', 2n ** 70n], ['list', [1, 'two', { three: 3 }]]]));
    state.activatable.set('type-a', new Set(['11', '12']));
    state.deadlines.set('11', 1_700_000_060_000);
    state.bannedInstances.add('99');
    state.counters.jobsCompleted = 7;
    const bytes = encodeSnapshot(state, 42);
    const snapshot = decodeSnapshot(bytes, 'test.snap');
    assert.equal(snapshot.position, 42);
    const restored = new EngineState();
    restoreSnapshot(restored, snapshot, 'test.snap');
    assert.deepEqual(restored.variables, state.variables);
    assert.deepEqual(restored.activatable, state.activatable);
    assert.deepEqual(restored.deadlines, state.deadlines);
    assert.deepEqual(restored.bannedInstances, state.bannedInstances);
    assert.deepEqual(restored.counters, state.counters);
    assert.equal(restored.lastKey, state.lastKey);
    assert.equal(restored.nextKey(), state.nextKey(), 'keys continue where they were');
  });

  it('a damaged snapshot is SNAPSHOT_CORRUPT; one of another state shape is SNAPSHOT_INCOMPATIBLE naming the tables', () => {
    const bytes = encodeSnapshot(new EngineState(), 1);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 2]! ^= 0x10;
    assert.throws(() => decodeSnapshot(damaged, 'x.snap'), { code: 'SNAPSHOT_CORRUPT', message: /x\.snap is damaged: its checksum does not match/ });
    const snapshot = decodeSnapshot(bytes, 'x.snap');
    delete snapshot.tables.jobs;
    snapshot.tables.retired = { t: new Map() };
    assert.throws(() => restoreSnapshot(new EngineState(), snapshot, 'x.snap'), {
      code: 'SNAPSHOT_INCOMPATIBLE',
      message: /table 'jobs' is missing; table 'retired' is unknown to this engine/,
    });
    const wrongVersion = Buffer.from(bytes);
    wrongVersion.writeUInt32LE(99, 8);
    assert.throws(() => decodeSnapshot(wrongVersion, 'x.snap'), { code: 'SNAPSHOT_INCOMPATIBLE', message: /format version 99/ });
  });
});
