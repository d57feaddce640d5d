/**
 * The processing loop: one command in → a processor validates it against state → events (applied at once by
 * their appliers) or one rejection → follow-up commands processed in the same batch → the batch is appended
 * to the log → side effects (replies, pushes, timers) run after the commit.
 */
import type { Clock } from '../time/clock.ts';
import { applyEvent } from '../state/appliers.ts';
import type { Command, EngineRecord, Rejection, RejectionType, ValueType } from '../state/records.ts';
import { EngineState } from '../state/state.ts';
import type { RecordLog } from '../log/log.ts';

/** What a processor gets: state to read, and the only ways to change anything. */
export interface ProcessingContext {
  readonly state: EngineState;
  /** The command's timestamp: the one "now" of this batch. */
  readonly now: number;
  /** Appends an event and applies it to state at once. */
  event(valueType: ValueType, intent: string, key: string, value: object): void;
  /** Queues a command processed after the current one, in the same batch. */
  followUp(command: Command): void;
  /** Rejects the command being processed. */
  reject(type: RejectionType, reason: string): void;
  /** Sets the reply to the client (for the first command of the batch). */
  respond(response: unknown): void;
}

export type Processor = (command: Command, ctx: ProcessingContext) => void;

export interface BatchResult {
  rejection?: Rejection;
  response?: unknown;
  records: EngineRecord[];
}

/** Thrown by processors to reject a command; caught by the loop. */
export class CommandRejected extends Error {
  constructor(
    readonly type: RejectionType,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const MAX_FOLLOW_UPS = 100_000;

export class ProcessingEngine {
  readonly state = new EngineState();
  readonly #processors = new Map<string, Processor>();
  readonly #listeners: ((records: EngineRecord[]) => void)[] = [];
  #position = 0;
  #processing = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: RecordLog,
  ) {}

  register(valueType: ValueType, intent: string, processor: Processor): void {
    const id = `${valueType}:${intent}`;
    if (this.#processors.has(id)) throw new Error(`processor for ${id} registered twice`);
    this.#processors.set(id, processor);
  }

  /** Position of the last record written. */
  get position(): number {
    return this.#position;
  }

  /** After recovery: new records continue after `position`, the last one on the log. */
  resumeAt(position: number): void {
    this.#position = position;
  }

  /** Called after every committed batch with its records (replies, pushes, wake-ups hang off this). */
  onCommit(listener: (records: EngineRecord[]) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Processes one command and everything it causes, synchronously. Re-entrant calls (from a commit listener)
   * are refused: listeners must schedule new commands, not run them inline.
   */
  process(command: Command): BatchResult {
    if (this.#processing) throw new Error('ProcessingEngine.process is not re-entrant');
    this.#processing = true;
    const now = this.clock.now();
    const records: EngineRecord[] = [];
    let rejection: Rejection | undefined;
    let response: unknown;
    const queue: Command[] = [command];
    let first = true;
    let current: Command = command;
    try {
      let handled = 0;
      while (queue.length > 0) {
        if (++handled > MAX_FOLLOW_UPS) throw new Error('too many follow-up commands in one batch (a loop in the model?)');
        current = queue.shift()!;
        const isFirst = first;
        first = false;
        const commandRecord = this.#record('COMMAND', current.valueType, current.intent, current.key ?? '-1', current.value, now);
        records.push(commandRecord);
        const processor = this.#processors.get(`${current.valueType}:${current.intent}`);
        if (!processor) throw new Error(`no processor for ${current.valueType}:${current.intent}`);
        const ctx: ProcessingContext = {
          state: this.state,
          now,
          event: (valueType, intent, key, value) => {
            const record = this.#record('EVENT', valueType, intent, key, value as Record<string, unknown>, now);
            applyEvent(this.state, record);
            records.push(record);
          },
          followUp: (next) => queue.push(next),
          reject: (type, reason) => {
            throw new CommandRejected(type, reason);
          },
          respond: (value) => {
            if (isFirst) response = value;
          },
        };
        try {
          const instance = this.state.instanceOfCommand(current.valueType, current.key, current.value);
          if (instance && this.state.bannedInstances.has(instance)) {
            ctx.reject('PROCESSING_ERROR', `Expected to process a command for process instance '${instance}', but it is banned after a processing failure`);
          }
          processor(current, ctx);
        } catch (error) {
          if (!(error instanceof CommandRejected)) throw error;
          records.push({
            ...this.#record('COMMAND_REJECTION', current.valueType, current.intent, current.key ?? '-1', current.value, now),
            rejectionType: error.type,
            rejectionReason: error.reason,
          });
          if (isFirst) rejection = { type: error.type, reason: error.reason };
        }
      }
    } catch (error) {
      // An unexpected failure. The events written so far stay (state still matches the log), so the process
      // instance the failing command was about is banned, as Zeebe does: its commands are refused from now
      // on, and the rest of the engine carries on. The client gets PROCESSING_ERROR (13 INTERNAL).
      const reason = `processing failed: ${(error as Error).message}`;
      const instance = this.state.instanceOfCommand(current.valueType, current.key, current.value);
      try {
        const record = this.#record('EVENT', 'ERROR', 'CREATED', current.key ?? '-1', { processInstanceKey: instance, message: reason }, now);
        applyEvent(this.state, record);
        records.push(record);
      } catch {
        // Nothing more can be done for it.
      }
      rejection = { type: 'PROCESSING_ERROR', reason };
    } finally {
      this.#processing = false;
    }
    this.log.append(records);
    for (const listener of this.#listeners) {
      try {
        listener(records);
      } catch {
        // A listener's failure must not break processing.
      }
    }
    return rejection ? { rejection, records } : { response, records };
  }

  #record(
    recordType: EngineRecord['recordType'],
    valueType: ValueType,
    intent: string,
    key: string,
    value: Record<string, unknown>,
    timestamp: number,
  ): EngineRecord {
    return { position: ++this.#position, recordType, valueType, intent, key, timestamp, value };
  }
}
