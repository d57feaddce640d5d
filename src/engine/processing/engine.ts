/**
 * The processing loop: one command in → a processor validates it against state → events (applied at once by
 * their appliers) or one rejection → follow-up commands processed in the same batch → the batch is appended
 * to the log → side effects (replies, pushes, timers) run after the commit.
 */
import type { Clock } from '../time/clock.ts';
import { applyEvent } from '../state/appliers.ts';
import type { Command, EngineRecord, Rejection, RejectionType, ValueType } from '../state/records.ts';
import { EngineState, replaceTables } from '../state/state.ts';
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

/** Where replaying `records` can start: a state at `position` (a snapshot's), or undefined when none fits. */
export type ReplayBase = (records: readonly EngineRecord[]) => { state: EngineState; position: number } | undefined;

export class ProcessingEngine {
  readonly state = new EngineState();
  readonly #processors = new Map<string, Processor>();
  readonly #listeners: ((records: EngineRecord[]) => void)[] = [];
  #position = 0;
  #processing = false;
  #replayBase: ReplayBase | undefined;

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

  /**
   * With a data directory, whose log may start after a snapshot: where a rollback's replay starts. Without it,
   * a rollback replays the log from its first record, which the log must still hold.
   */
  useReplayBase(replayBase: ReplayBase): void {
    this.#replayBase = replayBase;
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
    const startPosition = this.#position;
    const lastKeyBefore = this.state.lastKey;
    let records: EngineRecord[] = [];
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
      const reason = `processing failed: ${(error as Error)?.message ?? String(error)}`;
      records = this.#failed(reason, command, current, records, { startPosition, lastKeyBefore, now });
      rejection = { type: 'PROCESSING_ERROR', reason };
    } finally {
      this.#processing = false;
    }
    this.log.append(records);
    for (const listener of this.#listeners) {
      try {
        listener(records);
      } catch (error) {
        // A listener's failure must not break processing (the batch is committed), but it is a bug: say so, as
        // the engine says what goes wrong (a process warning on stderr).
        process.emitWarning(`forager engine: a commit listener threw: ${(error as Error)?.stack ?? String(error)}`);
      }
    }
    return rejection ? { rejection, records } : { response, records };
  }

  /**
   * An unexpected failure. As in Zeebe, the batch is all or nothing: the state goes back to what the log says
   * (the batch's events are replayed away, positions and keys rewound), and what is written instead is the
   * command, its PROCESSING_ERROR rejection and an ERROR event that bans the process instance the command was
   * about (when it exists): its commands are refused from now on, and the rest of the engine carries on.
   * The client gets PROCESSING_ERROR (13 INTERNAL).
   *
   * When the log no longer reaches back far enough to rebuild the state (an in-memory log past its capacity),
   * the batch cannot be undone: its records are kept (so state and log still agree) and the instance of the
   * failing command is banned.
   */
  #failed(
    reason: string,
    command: Command,
    current: Command,
    records: EngineRecord[],
    batch: { startPosition: number; lastKeyBefore: bigint; now: number },
  ): EngineRecord[] {
    let failing = current;
    let kept = records;
    const rebuilt = this.#rebuild(batch.startPosition);
    if (rebuilt) {
      replaceTables(this.state, rebuilt);
      this.state.rewindLastKey(batch.lastKeyBefore);
      this.#position = batch.startPosition + 1;
      failing = command;
      kept = [
        records[0]!,
        {
          ...this.#record('COMMAND_REJECTION', command.valueType, command.intent, command.key ?? '-1', command.value, batch.now),
          rejectionType: 'PROCESSING_ERROR',
          rejectionReason: reason,
        },
      ];
    }
    const instance = this.state.instanceOfCommand(failing.valueType, failing.key, failing.value);
    const banned = instance !== undefined && this.state.elementInstances.has(instance) ? instance : undefined;
    try {
      const record = this.#record('EVENT', 'ERROR', 'CREATED', failing.key ?? '-1', { processInstanceKey: banned, message: reason }, batch.now);
      applyEvent(this.state, record);
      kept.push(record);
    } catch {
      // Nothing more can be done for it.
    }
    return kept;
  }

  /** The state replayed from the log, which ends at `position` (the failed batch is not on it); undefined when it cannot be. */
  #rebuild(position: number): EngineState | undefined {
    if (position === 0) return new EngineState();
    try {
      const records = this.log.records();
      if (records.at(-1)?.position !== position) return undefined;
      const base = this.#replayBase?.(records) ?? (records[0]?.position === 1 ? { state: new EngineState(), position: 0 } : undefined);
      if (!base) return undefined;
      for (const record of records) {
        if (record.position > base.position && record.recordType === 'EVENT') applyEvent(base.state, record);
      }
      return base.state;
    } catch {
      return undefined;
    }
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
