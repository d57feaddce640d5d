/**
 * Time-driven work: job deadlines, retry backoffs and message TTLs. Each checker keeps one wake-up on the
 * engine clock at the earliest due date, pulled forward after a commit that adds an earlier one. When it
 * fires it writes commands (TIME_OUT, RECUR_AFTER_BACKOFF, EXPIRE) like any client would; the processors
 * re-check state, so a stale command is simply rejected. Work fires at or after its due date, never before.
 */
import type { ProcessingEngine } from '../processing/engine.ts';
import type { Command, EngineRecord } from '../state/records.ts';
import type { EngineState } from '../state/state.ts';
import type { Cancel, Clock } from './clock.ts';

interface Checker {
  /** Due entries: key → due date. */
  table(state: EngineState): Iterable<[string, number]>;
  command(key: string): Command;
  /** The due date a committed record introduces, if any. */
  dueIn(record: EngineRecord): number | undefined;
}

const CHECKERS: Checker[] = [
  {
    table: (state) => state.deadlines.entries(),
    command: (key) => ({ valueType: 'JOB', intent: 'TIME_OUT', key, value: {} }),
    dueIn: (r) =>
      r.recordType === 'EVENT' && r.valueType === 'JOB_BATCH' && r.intent === 'ACTIVATED'
        ? (r.value.deadline as number)
        : r.recordType === 'EVENT' && r.valueType === 'JOB' && r.intent === 'TIMEOUT_UPDATED'
          ? (r.value.deadline as number)
          : undefined,
  },
  {
    table: (state) => state.backoffs.entries(),
    command: (key) => ({ valueType: 'JOB', intent: 'RECUR_AFTER_BACKOFF', key, value: {} }),
    dueIn: (r) =>
      r.recordType === 'EVENT' && r.valueType === 'JOB' && r.intent === 'FAILED' && (r.value.recurAt as number) > 0
        ? (r.value.recurAt as number)
        : undefined,
  },
  {
    table: (state) => [...state.messages.values()].map((m) => [m.key, m.deadline] as [string, number]),
    command: (key) => ({ valueType: 'MESSAGE', intent: 'EXPIRE', key, value: {} }),
    dueIn: (r) =>
      r.recordType === 'EVENT' && r.valueType === 'MESSAGE' && r.intent === 'PUBLISHED' && (r.value.timeToLive as number) > 0
        ? (r.value.deadline as number)
        : undefined,
  },
  {
    table: (state) => [...state.timers.values()].map((t) => [t.key, t.dueDate] as [string, number]),
    command: (key) => ({ valueType: 'TIMER', intent: 'TRIGGER', key, value: {} }),
    dueIn: (r) => (r.recordType === 'EVENT' && r.valueType === 'TIMER' && r.intent === 'CREATED' ? (r.value.dueDate as number) : undefined),
  },
];

/** Timing of the deadline check: the deadline must have passed (deadline < now), as in Zeebe. */
const AFTER_DUE_MS = 1;
const BATCH_LIMIT = 1_000;

export class DueDateScheduler {
  readonly #wakes: { at: number; cancel: Cancel | undefined }[] = CHECKERS.map(() => ({ at: Infinity, cancel: undefined }));
  #stopped = false;

  constructor(
    private readonly engine: ProcessingEngine,
    private readonly clock: Clock,
  ) {
    engine.onCommit((records) => this.#afterCommit(records));
  }

  stop(): void {
    this.#stopped = true;
    for (const wake of this.#wakes) wake.cancel?.();
  }

  /**
   * After a recovery: scans every checker's table once, fires what is already due and arms the earliest
   * wake-up of the rest, so deadlines, backoffs, TTLs and timers carry on from the recovered state.
   */
  armAll(): void {
    CHECKERS.forEach((_checker, i) => this.#run(i));
  }

  #afterCommit(records: EngineRecord[]): void {
    CHECKERS.forEach((checker, i) => {
      let earliest = Infinity;
      for (const r of records) {
        const due = checker.dueIn(r);
        if (due !== undefined && due < earliest) earliest = due;
      }
      if (earliest < this.#wakes[i]!.at) this.#arm(i, earliest);
    });
  }

  #arm(i: number, at: number): void {
    if (this.#stopped) return;
    const wake = this.#wakes[i]!;
    wake.cancel?.();
    wake.at = at;
    wake.cancel = this.clock.schedule(at + AFTER_DUE_MS, () => {
      wake.at = Infinity;
      wake.cancel = undefined;
      // Run outside the clock's callback, so that processing never nests in another command's commit.
      setImmediate(() => this.#run(i));
    });
  }

  #run(i: number): void {
    if (this.#stopped) return;
    const checker = CHECKERS[i]!;
    const now = this.clock.now();
    const due: [string, number][] = [];
    let next = Infinity;
    for (const [key, at] of checker.table(this.engine.state)) {
      if (at < now) due.push([key, at]);
      else if (at < next) next = at;
    }
    due.sort((a, b) => a[1] - b[1]);
    for (const [key] of due.slice(0, BATCH_LIMIT)) this.engine.process(checker.command(key));
    if (due.length > BATCH_LIMIT) next = now;
    if (next < this.#wakes[i]!.at) this.#arm(i, next);
  }
}
