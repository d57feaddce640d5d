/**
 * The record log. In memory without a data directory (a bounded ring, so a long-running engine does not grow
 * without end); with one, the durable, fsync'd log of file-log.ts sits behind this same interface.
 */
import type { EngineRecord } from '../state/records.ts';

export interface RecordLog {
  append(records: readonly EngineRecord[]): void;
  /** The records still held, oldest first. */
  records(): readonly EngineRecord[];
  /**
   * Runs `fn` once every record appended so far is durable: at once (synchronously, no extra turn of the
   * event loop) when it already is, as always in memory. Replies and other effects that clients can see wait
   * on this, so nothing is acknowledged before it is on disk.
   */
  whenDurable(fn: () => void): void;
}

export function createMemoryLog(capacity = 100_000): RecordLog {
  let buffer: EngineRecord[] = [];
  return {
    append(records) {
      for (const r of records) buffer.push(r);
      if (buffer.length > capacity * 2) buffer = buffer.slice(buffer.length - capacity);
    },
    records() {
      return buffer.length > capacity ? buffer.slice(buffer.length - capacity) : buffer;
    },
    whenDurable(fn) {
      fn();
    },
  };
}
