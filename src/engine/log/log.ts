/**
 * The record log. In memory for now (a bounded ring, so a long-running engine does not grow without end);
 * the durable, fsync'd log with replay is a later step, and will sit behind this same interface.
 */
import type { EngineRecord } from '../state/records.ts';

export interface RecordLog {
  append(records: readonly EngineRecord[]): void;
  /** The records still held, oldest first. */
  records(): readonly EngineRecord[];
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
  };
}
