/**
 * Typed worker events for logs and metrics. A listener that throws cannot break the worker: its error is
 * reported once to the logger and otherwise ignored.
 */
import type { Logger } from 'pino';

export interface WorkerEvents {
  'job:activated': { type: string; key: string; via: 'stream' | 'poll'; processInstanceKey: string };
  'job:completed': { type: string; key: string; processInstanceKey: string; durationMs: number };
  'job:failed': { type: string; key: string; processInstanceKey: string; retries: number; retryBackOffMs: number; errorMessage: string; durationMs: number };
  'job:error-thrown': { type: string; key: string; processInstanceKey: string; errorCode: string; durationMs: number };
  /** The broker no longer knows the job for this worker (timed out and reassigned, cancelled, completed elsewhere). */
  'job:lost': { type: string; key: string; processInstanceKey: string; reason: string };
  /** The job was handed back unchanged (shutdown past its grace period). */
  'job:returned': { type: string; key: string };
  'poll:error': { type: string; error: Error; backoffMs: number };
  /** A poll succeeded after `poll:error`s. */
  'poll:recovered': { type: string };
  'stream:opened': { type: string };
  'stream:closed': { type: string; error: Error | undefined; reopenInMs: number };
  'command:error': { type: string; key: string; command: string; error: Error; backoffMs: number };
  'worker:stopped': { type: string; returned: number };
}

export type WorkerEventName = keyof WorkerEvents;
export type Listener<E extends WorkerEventName> = (payload: WorkerEvents[E]) => void;

export class WorkerEventBus {
  readonly #listeners = new Map<WorkerEventName, Set<(payload: never) => void>>();
  #reported = false;

  constructor(private readonly log: Logger) {}

  on<E extends WorkerEventName>(event: E, listener: Listener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<E extends WorkerEventName>(event: E, payload: WorkerEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        if (!this.#reported) {
          this.#reported = true;
          this.log.error({ err: error, event }, 'a worker event listener threw; listener errors are ignored from now on');
        }
      }
    }
  }
}
