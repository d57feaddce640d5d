/**
 * The engine's state: a few typed tables, each with the indexes it owns. Only appliers (appliers.ts) change
 * it; processors read it. Keys are decimal strings.
 */
import type { ProcessModel } from '../bpmn/model.ts';
import { PARTITION_KEY_BASE } from './records.ts';
import { ResourceTables } from './resources.ts';

export interface ProcessDefinition {
  key: string;
  bpmnProcessId: string;
  version: number;
  resourceName: string;
  checksum: string;
  deploymentKey: string;
  model: ProcessModel;
}

export type ElementState = 'ACTIVATING' | 'ACTIVATED' | 'COMPLETING' | 'TERMINATING';

export interface ElementInstance {
  key: string;
  elementId: string;
  state: ElementState;
  /** Undefined for the process instance itself. */
  flowScopeKey: string | undefined;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  /** Child element instances that are alive. */
  activeChildren: number;
  /** Sequence flows taken into this scope whose target has not been activated yet (join tokens included). */
  activeFlows: number;
  /** Joins: tokens waiting per gateway id and incoming flow id; absent while none wait (most elements never have any). */
  joinTokens?: Record<string, Record<string, number>>;
  /** Bumped when a terminate end event voids the tokens in this scope. */
  flowEpoch: number;
  jobKey: string | undefined;
  /** Process instances created with a request that awaits the result. */
  awaitingResult?: { fetchVariables: string[] };
  /** Process instances started by a message: its correlation key (for one-active-instance-per-key). */
  startedByCorrelationKey?: string;
  startedAt: number;
  /** A multi-instance body: how many inner instances it has, and how they ended. */
  multiInstance?: { total: number; completed: number; terminated: number };
  /** The root of a process instance created by a call activity: the call activity's element instance. */
  parentElementInstanceKey?: string;
  parentProcessInstanceKey?: string;
  /** A call activity: the process instance it created. */
  calledChildKey?: string;
}

export type JobState = 'ACTIVATABLE' | 'ACTIVATED' | 'FAILED' | 'ERROR_THROWN';

export interface Job {
  key: string;
  type: string;
  state: JobState;
  retries: number;
  worker: string;
  deadline: number;
  /** FAILED with retries > 0: when the backoff ends. */
  recurAt: number;
  errorMessage: string;
  customHeaders: Record<string, string>;
  elementInstanceKey: string;
  elementId: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  tenantId: string;
}

export interface Incident {
  key: string;
  errorType: string;
  errorMessage: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  elementInstanceKey: string;
  jobKey: string | undefined;
  variableScopeKey: string;
  creationTime: number;
}

export interface Message {
  key: string;
  name: string;
  correlationKey: string;
  messageId: string;
  deadline: number;
  variables: Record<string, unknown>;
  /** bpmnProcessIds this message already correlated to (at most once per process). */
  correlatedProcesses: Set<string>;
}

/**
 * What a catch event subscription belongs to: the element instance that owns it (a catch event, a receive
 * task, an activity with boundary events, an event-based gateway, or a scope with event subprocesses), and the
 * element that a trigger activates or completes.
 */
export interface CatchTarget {
  /** The owning element instance. */
  elementInstanceKey: string;
  /** The element triggered: the owner itself, a boundary event, a catch event after a gateway, an event subprocess's start. */
  catchElementId: string;
  /** False for non-interrupting boundaries and event subprocess starts: the subscription stays open. */
  interrupting: boolean;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
}

export interface MessageSubscription extends CatchTarget {
  key: string;
  messageName: string;
  correlationKey: string;
}

export interface Timer extends CatchTarget {
  key: string;
  dueDate: number;
  /** Firings left after this one: 0 none, -1 forever. */
  repetitions: number;
  interval?: string;
  cron?: string;
}

export interface SignalSubscription extends CatchTarget {
  key: string;
  signalName: string;
}

export class EngineState {
  #lastKey = PARTITION_KEY_BASE;

  readonly processes = new Map<string, ProcessDefinition>();
  /** bpmnProcessId → version → definition key. */
  readonly versions = new Map<string, Map<number, string>>();
  /** bpmnProcessId → latest definition key. */
  readonly latest = new Map<string, string>();

  readonly elementInstances = new Map<string, ElementInstance>();
  /** flow scope key → child element instance keys. */
  readonly children: KeyIndex = new Map();
  /** scope key → variables. */
  readonly variables = new Map<string, Map<string, unknown>>();

  readonly jobs = new Map<string, Job>();
  /** job type → activatable job keys, in the order they became activatable. */
  readonly activatable: KeyIndex = new Map();
  /** activated job key → deadline. */
  readonly deadlines = new Map<string, number>();
  /** failed job key → end of backoff. */
  readonly backoffs = new Map<string, number>();

  readonly incidents = new Map<string, Incident>();
  /** element instance key → incident key. */
  readonly incidentByElement = new Map<string, string>();

  readonly messages = new Map<string, Message>();
  /** name + correlation key → buffered message keys, oldest first. */
  readonly messagesByCorrelation: KeyIndex = new Map();
  /** Open message subscriptions by subscription key. */
  readonly subscriptions = new Map<string, MessageSubscription>();
  /** name + correlation key → open subscription keys, oldest first. */
  readonly subscriptionsByCorrelation: KeyIndex = new Map();
  /** Timers by key (start event timers have the element instance key '-1'). */
  readonly timers = new Map<string, Timer>();
  readonly signalSubscriptions = new Map<string, SignalSubscription>();
  /** signal name → open signal subscription keys. */
  readonly signalSubscriptionsByName: KeyIndex = new Map();
  /** owning element instance key → its message subscription, timer and signal subscription keys. */
  readonly catchEventsByOwner: KeyIndex = new Map();
  /** bpmnProcessId + correlation key → active process instance started by a message with that key. */
  readonly messageStartedInstances = new Map<string, string>();

  /** Deployed decisions, decision requirements graphs and forms (resources.ts). */
  readonly resources = new ResourceTables();

  /** Process instances whose processing failed unexpectedly: their commands are refused from then on. */
  readonly bannedInstances = new Set<string>();

  /**
   * The engine clock as the log left it (CLOCK PINNED / RESETTED): pinned at `pinnedAt`, or on wall time never
   * earlier than `resetAt`. A restart sets the clock from it.
   */
  readonly clock: { pinnedAt: number | undefined; resetAt: number | undefined } = { pinnedAt: undefined, resetAt: undefined };

  /** Counters for monitoring and tests. */
  readonly counters = { processInstancesCompleted: 0, jobsCompleted: 0 };

  nextKey(): string {
    this.#lastKey += 1n;
    return this.#lastKey.toString();
  }

  /** The last key handed out (snapshots save it). */
  get lastKey(): bigint {
    return this.#lastKey;
  }

  /** After loading a snapshot: keys up to `key` are never handed out again. */
  restoreLastKey(key: bigint): void {
    if (key > this.#lastKey) this.#lastKey = key;
  }

  /**
   * After a failed batch is rolled back: the key generator goes back to where it was before the batch (keys
   * handed out by it reached neither the log nor a client).
   */
  rewindLastKey(key: bigint): void {
    this.#lastKey = key;
  }

  /** Makes sure replayed keys are never handed out again. */
  observeKey(key: string): void {
    if (!/^\d+$/.test(key)) return;
    const k = BigInt(key);
    if (k > this.#lastKey) this.#lastKey = k;
  }

  /** The process instance a command is about, when it is about one. */
  instanceOfCommand(valueType: string, key: string | undefined, value: Record<string, unknown>): string | undefined {
    if (typeof value.processInstanceKey === 'string') return value.processInstanceKey;
    if (key === undefined) return undefined;
    switch (valueType) {
      case 'PROCESS_INSTANCE':
        return this.elementInstances.get(key)?.processInstanceKey;
      case 'JOB':
        return this.jobs.get(key)?.processInstanceKey;
      case 'INCIDENT':
        return this.incidents.get(key)?.processInstanceKey;
      case 'TIMER':
        return this.timers.get(key)?.processInstanceKey;
      case 'MESSAGE_SUBSCRIPTION':
        return this.subscriptions.get(key)?.processInstanceKey;
      default:
        return undefined;
    }
  }

  process(key: string): ProcessDefinition | undefined {
    return this.processes.get(key);
  }

  latestProcess(bpmnProcessId: string): ProcessDefinition | undefined {
    const key = this.latest.get(bpmnProcessId);
    return key ? this.processes.get(key) : undefined;
  }

  /** Indexes restored from a snapshot written before they kept one key as a string (see KeyIndex). */
  compactIndexes(): void {
    for (const index of [this.children, this.activatable, this.messagesByCorrelation, this.subscriptionsByCorrelation, this.signalSubscriptionsByName, this.catchEventsByOwner]) {
      compactIndex(index);
    }
  }

  childrenOf(scopeKey: string): string[] {
    return [...indexValues(this.children, scopeKey)];
  }

  /** Variables visible from a scope: the scope's own, then each enclosing scope's, nearest winning. */
  visibleVariables(scopeKey: string): Record<string, unknown> {
    const chain: string[] = [];
    let current: string | undefined = scopeKey;
    while (current) {
      chain.push(current);
      current = this.elementInstances.get(current)?.flowScopeKey;
    }
    const out: Record<string, unknown> = {};
    for (let i = chain.length - 1; i >= 0; i--) {
      const vars = this.variables.get(chain[i]!);
      if (vars) for (const [name, value] of vars) out[name] = value;
    }
    return out;
  }

  /** The nearest scope, from `scopeKey` outwards, that has `name`; else the root scope. */
  scopeForMerge(scopeKey: string, name: string): string {
    let current: string | undefined = scopeKey;
    let root = scopeKey;
    while (current) {
      if (this.variables.get(current)?.has(name)) return current;
      root = current;
      current = this.elementInstances.get(current)?.flowScopeKey;
    }
    return root;
  }
}

/**
 * Makes `live` hold exactly the tables of `rebuilt` (a state replayed from the log), in place, so that whoever
 * holds `live` or one of its tables keeps a valid reference. The rollback of a failed batch; `rebuilt` is
 * dropped after (its rows now belong to `live`). The key generator is left alone (see `rewindLastKey`).
 */
export function replaceTables(live: object, rebuilt: object): void {
  const into = live as Record<string, unknown>;
  const from = rebuilt as Record<string, unknown>;
  for (const name of Object.keys(into)) {
    const target = into[name];
    const source = from[name];
    if (target instanceof Map && source instanceof Map) {
      target.clear();
      for (const [key, value] of source) target.set(key, value);
    } else if (target instanceof Set && source instanceof Set) {
      target.clear();
      for (const value of source) target.add(value);
    } else if (typeof target === 'object' && target !== null && typeof source === 'object' && source !== null) {
      if (Object.getPrototypeOf(target) === Object.prototype) {
        for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
        Object.assign(target, source);
      } else {
        replaceTables(target, source); // a group of tables (ResourceTables)
      }
    } else {
      throw new Error(`cannot restore the state's '${name}' table in place`);
    }
  }
}

/** The key a catch event is indexed under in `catchEventsByOwner` (start event timers: per process definition). */
export function ownerIndexKey(target: Pick<CatchTarget, 'elementInstanceKey' | 'processDefinitionKey'>): string {
  return target.elementInstanceKey === '-1' ? `definition:${target.processDefinitionKey}` : target.elementInstanceKey;
}

export function correlationIndexKey(name: string, correlationKey: string): string {
  return `${name}\u0000${correlationKey}`;
}

/**
 * An index from a key to the keys filed under it, in the order they were filed. Most keys file one (a scope's
 * only child, a catch event's owner), so one is kept as the string itself and only two or more as a Set: a
 * Set and its table cost ~150 bytes, which was a third of the heap of an instance waiting on a timer.
 */
export type KeyIndex<K = string> = Map<K, string | Set<string>>;

const NONE: readonly string[] = [];

export function addToIndex<K>(index: KeyIndex<K>, key: K, value: string): void {
  const filed = index.get(key);
  if (filed === undefined) index.set(key, value);
  else if (typeof filed === 'string') {
    if (filed !== value) index.set(key, new Set([filed, value]));
  } else filed.add(value);
}

export function removeFromIndex<K>(index: KeyIndex<K>, key: K, value: string): void {
  const filed = index.get(key);
  if (filed === undefined) return;
  if (typeof filed === 'string') {
    if (filed === value) index.delete(key);
    return;
  }
  filed.delete(value);
  // Back to the one-string form, so that an index is the same however it got its contents (the replay check).
  if (filed.size <= 1) {
    const [last] = filed;
    if (last === undefined) index.delete(key);
    else index.set(key, last);
  }
}

/** What an index entry holds, oldest first. */
export function filedKeys(filed: string | Set<string> | undefined): Iterable<string> {
  return filed === undefined ? NONE : typeof filed === 'string' ? [filed] : filed;
}

/** The keys filed under `key`, oldest first. */
export function indexValues<K>(index: KeyIndex<K>, key: K): Iterable<string> {
  return filedKeys(index.get(key));
}

export function indexHas<K>(index: KeyIndex<K>, key: K, value: string): boolean {
  const filed = index.get(key);
  return filed === value || (typeof filed === 'object' && filed.has(value));
}

export function indexSize<K>(index: KeyIndex<K>, key: K): number {
  const filed = index.get(key);
  return filed === undefined ? 0 : typeof filed === 'string' ? 1 : filed.size;
}

/** Brings an index restored from an older snapshot (a Set under every key) to the one-string form. */
export function compactIndex<K>(index: KeyIndex<K>): void {
  for (const [key, filed] of index) {
    if (typeof filed === 'string' || filed.size > 1) continue;
    const [only] = filed;
    if (only === undefined) index.delete(key);
    else index.set(key, only);
  }
}
