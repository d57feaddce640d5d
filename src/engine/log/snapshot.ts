/**
 * Snapshots: the whole `EngineState` at a log position, so that a start replays only the events after it.
 *
 * The state is written generically: every own field of the state object is a table (a Map, a Set, a plain
 * object or a primitive), encoded with the tags of codec.ts, so a table added to `EngineState` is snapshotted
 * without this file knowing it; a field holding an object of a class (such as `ResourceTables`) is a group
 * of tables, walked the same way. Private (`#`) fields are not seen: state keeps none but the key generator,
 * which has its accessors. The key generator (a private field) is saved beside the tables. A snapshot
 * whose tables do not match the running engine's (a table added, removed, or of another kind) is refused as
 * SNAPSHOT_INCOMPATIBLE, and the engine replays the log instead where the log still reaches back far enough.
 * Bump `SNAPSHOT_FORMAT_VERSION` when the meaning of a table's entries changes without its name changing.
 *
 * Beside the state, a snapshot carries sections: read models kept outside `EngineState` (the REST API's
 * history) that must survive a restart too. Each `SnapshotSection` has a name and a version of its own and
 * dumps itself as text in an encoding of its own (so a large read model can use native JSON, without the
 * tags' walk); a start loads a section only from a dump of the same version (else the section starts empty
 * and is named in `skippedSections`), then hands it every record replayed after the snapshot.
 *
 * File `snapshot-<position, 20 digits>.snap`:
 *   "FORAGSNP" | u32 format version | u32 CRC-32 of all after the header | f64 body length | body | sections
 * Body: UTF-8 JSON with tags, `{ position, lastKey, tables, sections: [{ name, v: version, bytes }] }`; then
 * each section's text (UTF-8), `bytes` long, in that order. Format 1 (still read) has no sections.
 *
 * @example
 * const bytes = encodeSnapshot(engine.state, log.appendedPosition, [history.snapshotSection()]);
 * const snapshot = decodeSnapshot(bytes, 'snapshot-…snap');
 * restoreSnapshot(new EngineState(), snapshot, 'snapshot-…snap');
 * restoreSections(snapshot, [history.snapshotSection()]); // [] when every section was loaded
 */
import type { EngineRecord } from '../state/records.ts';
import type { EngineState } from '../state/state.ts';
import { crc32, decodeValue, encodeValue, EncodeError, sharedStrings } from './codec.ts';
import { StorageError } from './errors.ts';

export const SNAPSHOT_FORMAT_VERSION = 2;
/** Older formats this engine still reads: 1 (no sections). */
const READABLE_VERSIONS = new Set([1, SNAPSHOT_FORMAT_VERSION]);
const MAGIC = Buffer.from('FORAGSNP', 'latin1');
const HEADER = 24;
export const SNAPSHOT_NAME = /^snapshot-(\d{20})\.snap$/;

export function snapshotName(position: number): string {
  return `snapshot-${String(position).padStart(20, '0')}.snap`;
}

export interface Snapshot {
  /** The last log position the state reflects. */
  position: number;
  lastKey: bigint;
  tables: TableDump;
  /** The sections' dumps, by name (none in format 1). */
  sections: Map<string, { version: number; text: string }>;
}

/**
 * A part of the snapshot beside the state: a read model kept outside `EngineState`, rebuilt on start from its
 * dump plus the records after the snapshot.
 */
export interface SnapshotSection {
  /** Its name in the snapshot. */
  readonly name: string;
  /** The format of its dump; a dump of another version is not loaded. */
  readonly version: number;
  /** Its content now, as text in its own encoding. */
  dump(): string;
  /** Takes the content of a dump (a start from a snapshot), before any record is replayed; throws if it cannot. */
  load(text: string): void;
  /** Each record on the log after the snapshot's position (or after 0, without a snapshot), in order, once. */
  replay(record: EngineRecord): void;
}

/**
 * A state's tables: each own field, as `{ t: value }`, or `{ g: tables }` for a field that is itself an
 * object of a class with tables of its own (a group such as `ResourceTables`), walked the same way.
 */
type TableDump = Record<string, { t: unknown } | { g: TableDump }>;

function isGroup(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || value instanceof Map || value instanceof Set || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto !== Object.prototype && proto !== null;
}

function dumpTables(owner: object): TableDump {
  const dump: TableDump = {};
  for (const [name, value] of Object.entries(owner)) dump[name] = isGroup(value) ? { g: dumpTables(value) } : { t: value };
  return dump;
}

/** Serializes `state`, and the sections beside it, as they are after the record at `position`. */
export function encodeSnapshot(state: EngineState, position: number, sections: readonly SnapshotSection[] = []): Buffer {
  const tables = dumpTables(state);
  const texts = sections.map((section) => Buffer.from(section.dump(), 'utf8'));
  const index = sections.map((section, i) => ({ name: section.name, v: section.version, bytes: texts[i]!.length }));
  let text: string;
  try {
    ({ text } = encodeValue({ position, lastKey: state.lastKey, tables, sections: index }));
  } catch (error) {
    if (error instanceof EncodeError) throw new Error(`cannot snapshot the engine state: ${error.message}`);
    throw error;
  }
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(SNAPSHOT_FORMAT_VERSION, 8);
  let crc = crc32(body);
  for (const t of texts) crc = crc32(t, 0, t.length, crc);
  header.writeUInt32LE(crc, 12);
  header.writeDoubleLE(body.length, 16);
  return Buffer.concat([header, body, ...texts]);
}

/** Reads a snapshot file's bytes; throws SNAPSHOT_CORRUPT or SNAPSHOT_INCOMPATIBLE naming `file`. */
export function decodeSnapshot(bytes: Buffer, file: string): Snapshot {
  const corrupt = (what: string) => new StorageError('SNAPSHOT_CORRUPT', `snapshot ${file} is damaged: ${what}`, file);
  if (bytes.length < HEADER || !bytes.subarray(0, 8).equals(MAGIC)) throw corrupt('no forager snapshot header');
  const version = bytes.readUInt32LE(8);
  if (!READABLE_VERSIONS.has(version)) {
    throw new StorageError(
      'SNAPSHOT_INCOMPATIBLE',
      `snapshot ${file} has format version ${version}, but this engine reads version ${SNAPSHOT_FORMAT_VERSION}`,
      file,
    );
  }
  const length = bytes.readDoubleLE(16);
  if (!(Number.isInteger(length) && length >= 0 && length <= bytes.length - HEADER) || (version === 1 && length !== bytes.length - HEADER)) {
    throw corrupt(`its body should be ${length} bytes but is ${bytes.length - HEADER}`);
  }
  if (crc32(bytes, HEADER) !== bytes.readUInt32LE(12)) throw corrupt('its checksum does not match');
  let parsed: { position: unknown; lastKey: unknown; tables: unknown; sections?: unknown };
  try {
    parsed = decodeValue(bytes.toString('utf8', HEADER, HEADER + length), true, sharedStrings()) as typeof parsed;
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  if (typeof parsed.position !== 'number' || typeof parsed.lastKey !== 'bigint' || parsed.tables === null || typeof parsed.tables !== 'object') {
    throw corrupt('position, key generator or tables missing');
  }
  const sections = new Map<string, { version: number; text: string }>();
  let at = HEADER + length;
  const index = parsed.sections ?? [];
  if (!Array.isArray(index)) throw corrupt('its list of sections is not a list');
  for (const entry of index as { name?: unknown; v?: unknown; bytes?: unknown }[]) {
    const { name, v, bytes: size } = entry ?? {};
    if (typeof name !== 'string' || typeof v !== 'number' || typeof size !== 'number' || !Number.isInteger(size) || size < 0 || at + size > bytes.length) {
      throw corrupt(`a section entry ${JSON.stringify(entry)} does not fit the file`);
    }
    sections.set(name, { version: v, text: bytes.toString('utf8', at, at + size) });
    at += size;
  }
  if (at !== bytes.length) throw corrupt(`${bytes.length - at} bytes follow its last section`);
  return { position: parsed.position, lastKey: parsed.lastKey, tables: parsed.tables as TableDump, sections };
}

/**
 * Loads each section from its dump in `snapshot` (or leaves it as it is: empty at a start). Returns why a
 * section was not loaded (no dump of it, a dump of another version, or a dump it refused), one line each.
 */
export function restoreSections(snapshot: Snapshot, sections: readonly SnapshotSection[]): string[] {
  const skipped: string[] = [];
  for (const section of sections) {
    const dump = snapshot.sections.get(section.name);
    if (!dump) {
      skipped.push(`${section.name}: not in the snapshot`);
    } else if (dump.version !== section.version) {
      skipped.push(`${section.name}: version ${dump.version} in the snapshot, this engine reads version ${section.version}`);
    } else {
      try {
        section.load(dump.text);
      } catch (error) {
        skipped.push(`${section.name}: ${(error as Error).message}`);
      }
    }
  }
  return skipped;
}

function kindOf(value: unknown): string {
  if (value instanceof Map) return 'Map';
  if (value instanceof Set) return 'Set';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isGroup(value)) return `${value.constructor.name} (a group of tables)`;
  return typeof value;
}

function dumpKind(entry: { t: unknown } | { g: TableDump }): string | undefined {
  return 'g' in entry ? undefined : kindOf(entry.t);
}

/** What differs between the live tables of `owner` and a dump of them (`prefix` names the group). */
function compareTables(owner: object, dump: TableDump, prefix: string, problems: string[]): void {
  const live = owner as Record<string, unknown>;
  for (const [name, value] of Object.entries(live)) {
    const entry = dump[name];
    const label = `'${prefix}${name}'`;
    if (!entry || typeof entry !== 'object') problems.push(`table ${label} is missing`);
    else if (isGroup(value)) {
      if (!('g' in entry)) problems.push(`table ${label} is a ${dumpKind(entry)}, not a group of tables`);
      else compareTables(value, entry.g, `${prefix}${name}.`, problems);
    } else if ('g' in entry) problems.push(`table ${label} is a group of tables, not a ${kindOf(value)}`);
    else if (kindOf(value) !== kindOf(entry.t)) problems.push(`table ${label} is a ${kindOf(entry.t)}, not a ${kindOf(value)}`);
  }
  for (const name of Object.keys(dump)) if (!(name in live)) problems.push(`table '${prefix}${name}' is unknown to this engine`);
}

/** Fills `owner`'s tables in place from a dump that `compareTables` found matching. */
function fillTables(owner: object, dump: TableDump): void {
  const live = owner as Record<string, unknown>;
  for (const [name, entry] of Object.entries(dump)) {
    const table = live[name];
    if ('g' in entry) {
      fillTables(table as object, entry.g);
      continue;
    }
    const value = entry.t;
    if (table instanceof Map) {
      table.clear();
      for (const [k, v] of value as Map<unknown, unknown>) table.set(k, v);
    } else if (table instanceof Set) {
      table.clear();
      for (const v of value as Set<unknown>) table.add(v);
    } else if (table !== null && typeof table === 'object' && !Array.isArray(table)) {
      for (const k of Object.keys(table)) delete (table as Record<string, unknown>)[k];
      Object.assign(table, value);
    } else {
      live[name] = value;
    }
  }
}

/** Throws SNAPSHOT_INCOMPATIBLE, naming the tables, when the snapshot's tables differ from `state`'s. */
export function checkSnapshotFits(state: EngineState, snapshot: Snapshot, file: string): void {
  const problems: string[] = [];
  compareTables(state, snapshot.tables, '', problems);
  if (problems.length > 0) {
    throw new StorageError('SNAPSHOT_INCOMPATIBLE', `snapshot ${file} was written by another version of the engine: ${problems.join('; ')}`, file);
  }
}

/**
 * Loads `snapshot` into `state` (a fresh one): fills each table in place and restores the key generator.
 * Throws SNAPSHOT_INCOMPATIBLE, naming the tables, when the snapshot's tables differ from the state's.
 */
export function restoreSnapshot(state: EngineState, snapshot: Snapshot, file: string): void {
  checkSnapshotFits(state, snapshot, file);
  fillTables(state, snapshot.tables);
  state.compactIndexes();
  state.restoreLastKey(snapshot.lastKey);
}
