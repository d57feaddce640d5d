/**
 * Errors of the data directory: the log, the snapshots and the lock. Each has a code, and names the file (and,
 * for a damaged log, the byte offset) it is about. `startEngine` reports them as `EngineStartError`s with the
 * same code.
 */

export type StorageErrorCode =
  /** A log segment is damaged before its last write (not a torn tail), or records are missing. */
  | 'LOG_CORRUPT'
  /** Writing or fsyncing the log failed: nothing more is acknowledged. */
  | 'LOG_WRITE_FAILED'
  /** The newest snapshot is damaged and the log no longer reaches back far enough to do without it. */
  | 'SNAPSHOT_CORRUPT'
  /** The snapshot was written by another version of the engine's state and the log cannot replace it. */
  | 'SNAPSHOT_INCOMPATIBLE'
  /** Another engine (a live process) uses the data directory. */
  | 'DATA_DIR_LOCKED'
  /** The data directory cannot be created, read or written. */
  | 'DATA_DIR_UNUSABLE';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** The file the error is about, when there is one. */
    readonly file?: string,
    /** The byte offset in `file` where the damage starts, for LOG_CORRUPT. */
    readonly offset?: number,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
