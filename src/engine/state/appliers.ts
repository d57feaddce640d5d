/**
 * Appliers: the only code that changes {@link EngineState}. One per (value type, intent) of an event.
 * They are dumb on purpose: no clock, no key generation, no new records, no I/O. Everything they need was
 * decided by a processor and frozen into the event's value, so replaying the log rebuilds the same state.
 */
import type { EngineRecord, ValueType } from './records.ts';
import { resourceAppliers } from './resource-appliers.ts';
import {
  addToIndex,
  correlationIndexKey,
  ownerIndexKey,
  removeFromIndex,
  type CatchTarget,
  type EngineState,
  type ElementInstance,
  type Incident,
  type Job,
  type ProcessDefinition,
} from './state.ts';

type Applier = (state: EngineState, key: string, value: never, record: EngineRecord) => void;

/* Event values, as processors write them. */
export type ProcessCreatedValue = Omit<ProcessDefinition, 'key'>;

export interface ElementValue {
  elementId: string;
  bpmnElementType: string;
  flowScopeKey: string | undefined;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  /** ELEMENT_ACTIVATING: the sequence flows consumed to enter the element. */
  viaFlows?: string[];
  /** ELEMENT_ACTIVATING of a process started by a message. */
  startedByCorrelationKey?: string;
  /** ELEMENT_ACTIVATING of a process created by a request that awaits its result. */
  awaitingResult?: { fetchVariables: string[] };
  /** ELEMENT_COMPLETED of a terminate end event: the flow scope's pending tokens are dropped. */
  dropsFlowScopeTokens?: boolean;
  /** ELEMENT_ACTIVATING of an interrupting event subprocess: the flow scope's pending tokens are dropped. */
  interruptsFlowScope?: boolean;
  /** ELEMENT_ACTIVATED of a multi-instance body: the number of inner instances. */
  multiInstanceTotal?: number;
  /** ELEMENT_ACTIVATING of a process instance created by a call activity. */
  parentProcessInstanceKey?: string;
  parentElementInstanceKey?: string;
}

export interface FlowTakenValue extends ElementValue {
  /** The flow's target when it is a parallel join (tokens wait there). */
  joinTarget?: string;
}

export interface JobCreatedValue {
  type: string;
  retries: number;
  customHeaders: Record<string, string>;
  elementInstanceKey: string;
  elementId: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  tenantId: string;
}

export interface JobBatchValue {
  type: string;
  worker: string;
  timeout: number;
  deadline: number;
  jobKeys: string[];
}

export interface VariableValue {
  scopeKey: string;
  name: string;
  value: unknown;
  processInstanceKey: string;
}

/** An incident as recorded: the table row without its key. */
export type IncidentValue = Omit<Incident, 'key'>;

export interface MessageValue {
  name: string;
  correlationKey: string;
  timeToLive: number;
  deadline: number;
  messageId: string;
  variables: Record<string, unknown>;
}

export interface SubscriptionValue extends CatchTarget {
  messageName: string;
  correlationKey: string;
  messageKey?: string;
}

export interface TimerValue extends CatchTarget {
  dueDate: number;
  repetitions: number;
  interval?: string;
  cron?: string;
}

export interface SignalSubscriptionValue extends CatchTarget {
  signalName: string;
}

export interface StartCorrelationValue {
  bpmnProcessId: string;
  messageKey: string;
}

function setJobActivatable(state: EngineState, job: Job): void {
  job.state = 'ACTIVATABLE';
  job.worker = '';
  job.deadline = -1;
  state.deadlines.delete(job.key);
  state.backoffs.delete(job.key);
  addToIndex(state.activatable, job.type, job.key);
}

function leaveActivatable(state: EngineState, job: Job): void {
  removeFromIndex(state.activatable, job.type, job.key);
}

function removeJob(state: EngineState, key: string): void {
  const job = state.jobs.get(key);
  if (!job) return;
  leaveActivatable(state, job);
  state.deadlines.delete(key);
  state.backoffs.delete(key);
  state.jobs.delete(key);
  const element = state.elementInstances.get(job.elementInstanceKey);
  if (element && element.jobKey === key) element.jobKey = undefined;
}

function removeElement(state: EngineState, key: string): void {
  const instance = state.elementInstances.get(key);
  if (!instance) return;
  state.elementInstances.delete(key);
  state.variables.delete(key);
  state.children.delete(key);
  if (instance.flowScopeKey) {
    removeFromIndex(state.children, instance.flowScopeKey, key);
    const scope = state.elementInstances.get(instance.flowScopeKey);
    if (scope) scope.activeChildren -= 1;
  }
  if (instance.startedByCorrelationKey !== undefined) {
    state.messageStartedInstances.delete(`${instance.bpmnProcessId}\u0000${instance.startedByCorrelationKey}`);
  }
}

function dropTokens(scope: ElementInstance): void {
  scope.activeFlows = 0;
  delete scope.joinTokens;
  scope.flowEpoch += 1;
}

function setVariable(state: EngineState, v: VariableValue): void {
  let scope = state.variables.get(v.scopeKey);
  if (!scope) state.variables.set(v.scopeKey, (scope = new Map()));
  scope.set(v.name, v.value);
}

function element(state: EngineState, key: string): ElementInstance | undefined {
  return state.elementInstances.get(key);
}

const appliers: Record<string, Applier> = {
  'PROCESS:CREATED': (state, key, v: ProcessCreatedValue) => {
    state.processes.set(key, { key, ...v });
    let versions = state.versions.get(v.bpmnProcessId);
    if (!versions) state.versions.set(v.bpmnProcessId, (versions = new Map()));
    versions.set(v.version, key);
    state.latest.set(v.bpmnProcessId, key);
  },

  'PROCESS_INSTANCE:ELEMENT_ACTIVATING': (state, key, v: ElementValue, record) => {
    if (v.interruptsFlowScope && v.flowScopeKey) {
      const scope = element(state, v.flowScopeKey);
      if (scope) dropTokens(scope);
    }
    const instance: ElementInstance = {
      key,
      elementId: v.elementId,
      state: 'ACTIVATING',
      flowScopeKey: v.flowScopeKey,
      processInstanceKey: v.processInstanceKey,
      processDefinitionKey: v.processDefinitionKey,
      bpmnProcessId: v.bpmnProcessId,
      version: v.version,
      activeChildren: 0,
      activeFlows: 0,
      flowEpoch: 0,
      jobKey: undefined,
      startedAt: record.timestamp,
    };
    if (v.awaitingResult) instance.awaitingResult = v.awaitingResult;
    if (v.bpmnElementType === 'MULTI_INSTANCE_BODY') instance.multiInstance = { total: 0, completed: 0, terminated: 0 };
    if (v.parentElementInstanceKey) {
      instance.parentElementInstanceKey = v.parentElementInstanceKey;
      instance.parentProcessInstanceKey = v.parentProcessInstanceKey;
      const caller = element(state, v.parentElementInstanceKey);
      if (caller) caller.calledChildKey = key;
    }
    if (v.startedByCorrelationKey !== undefined) {
      instance.startedByCorrelationKey = v.startedByCorrelationKey;
      state.messageStartedInstances.set(`${v.bpmnProcessId}\u0000${v.startedByCorrelationKey}`, key);
    }
    state.elementInstances.set(key, instance);
    if (v.flowScopeKey) {
      addToIndex(state.children, v.flowScopeKey, key);
      const scope = element(state, v.flowScopeKey);
      if (scope) {
        scope.activeChildren += 1;
        const via = v.viaFlows ?? [];
        scope.activeFlows -= via.length;
        const tokens = scope.joinTokens?.[v.elementId];
        if (tokens) {
          for (const flow of via) {
            const left = (tokens[flow] ?? 0) - 1;
            if (left > 0) tokens[flow] = left;
            else delete tokens[flow];
          }
          if (Object.keys(tokens).length === 0) delete scope.joinTokens![v.elementId];
          if (Object.keys(scope.joinTokens!).length === 0) delete scope.joinTokens;
        }
      }
    }
  },
  'PROCESS_INSTANCE:ELEMENT_ACTIVATED': (state, key, v: ElementValue) => {
    const instance = element(state, key);
    if (!instance) return;
    instance.state = 'ACTIVATED';
    if (v.multiInstanceTotal !== undefined) instance.multiInstance = { total: v.multiInstanceTotal, completed: 0, terminated: 0 };
  },
  'PROCESS_INSTANCE:ELEMENT_COMPLETING': (state, key) => {
    const instance = element(state, key);
    if (instance) instance.state = 'COMPLETING';
  },
  'PROCESS_INSTANCE:ELEMENT_COMPLETED': (state, key, v: ElementValue) => {
    const scope = v.flowScopeKey ? element(state, v.flowScopeKey) : undefined;
    if (v.dropsFlowScopeTokens && scope) dropTokens(scope);
    if (scope?.multiInstance) scope.multiInstance.completed += 1;
    if (!v.flowScopeKey) state.counters.processInstancesCompleted += 1;
    removeElement(state, key);
  },
  'PROCESS_INSTANCE:ELEMENT_TERMINATING': (state, key) => {
    const instance = element(state, key);
    if (instance) instance.state = 'TERMINATING';
  },
  'PROCESS_INSTANCE:ELEMENT_TERMINATED': (state, key, v: ElementValue) => {
    const scope = v.flowScopeKey ? element(state, v.flowScopeKey) : undefined;
    if (scope?.multiInstance) scope.multiInstance.terminated += 1;
    removeElement(state, key);
  },
  'PROCESS_INSTANCE:SEQUENCE_FLOW_TAKEN': (state, _key, v: FlowTakenValue) => {
    if (!v.flowScopeKey) return;
    const scope = element(state, v.flowScopeKey);
    if (!scope) return;
    scope.activeFlows += 1;
    if (v.joinTarget) {
      const tokens = ((scope.joinTokens ??= {})[v.joinTarget] ??= {});
      tokens[v.elementId] = (tokens[v.elementId] ?? 0) + 1;
    }
  },

  'VARIABLE:CREATED': (state, _key, v: VariableValue) => setVariable(state, v),
  'VARIABLE:UPDATED': (state, _key, v: VariableValue) => setVariable(state, v),

  'JOB:CREATED': (state, key, v: JobCreatedValue) => {
    const job: Job = {
      key,
      type: v.type,
      state: 'ACTIVATABLE',
      retries: v.retries,
      worker: '',
      deadline: -1,
      recurAt: -1,
      errorMessage: '',
      customHeaders: v.customHeaders,
      elementInstanceKey: v.elementInstanceKey,
      elementId: v.elementId,
      processInstanceKey: v.processInstanceKey,
      processDefinitionKey: v.processDefinitionKey,
      bpmnProcessId: v.bpmnProcessId,
      version: v.version,
      tenantId: v.tenantId,
    };
    state.jobs.set(key, job);
    addToIndex(state.activatable, job.type, key);
    const instance = element(state, v.elementInstanceKey);
    if (instance) instance.jobKey = key;
  },
  'JOB_BATCH:ACTIVATED': (state, _key, v: JobBatchValue) => {
    for (const jobKey of v.jobKeys) {
      const job = state.jobs.get(jobKey);
      if (!job) continue;
      leaveActivatable(state, job);
      job.state = 'ACTIVATED';
      job.worker = v.worker;
      job.deadline = v.deadline;
      state.deadlines.set(jobKey, v.deadline);
    }
  },
  'JOB:COMPLETED': (state, key) => {
    state.counters.jobsCompleted += 1;
    removeJob(state, key);
  },
  'JOB:CANCELED': (state, key) => removeJob(state, key),
  'JOB:FAILED': (state, key, v: { retries: number; errorMessage: string; recurAt: number }) => {
    const job = state.jobs.get(key);
    if (!job) return;
    job.retries = v.retries;
    job.errorMessage = v.errorMessage;
    state.deadlines.delete(key);
    leaveActivatable(state, job);
    if (v.retries > 0 && v.recurAt < 0) {
      setJobActivatable(state, job);
    } else {
      job.state = 'FAILED';
      job.worker = '';
      job.deadline = -1;
      job.recurAt = v.retries > 0 ? v.recurAt : -1;
      if (v.retries > 0) state.backoffs.set(key, v.recurAt);
    }
  },
  'JOB:RECURRED_AFTER_BACKOFF': (state, key) => {
    const job = state.jobs.get(key);
    if (job) setJobActivatable(state, job);
  },
  'JOB:TIMED_OUT': (state, key) => {
    const job = state.jobs.get(key);
    if (job) setJobActivatable(state, job);
  },
  'JOB:YIELDED': (state, key) => {
    const job = state.jobs.get(key);
    if (job) setJobActivatable(state, job);
  },
  'JOB:RETRIES_UPDATED': (state, key, v: { retries: number }) => {
    const job = state.jobs.get(key);
    if (job) job.retries = v.retries;
  },
  'JOB:TIMEOUT_UPDATED': (state, key, v: { deadline: number }) => {
    const job = state.jobs.get(key);
    if (!job) return;
    job.deadline = v.deadline;
    state.deadlines.set(key, v.deadline);
  },
  'JOB:ERROR_THROWN': (state, key, v: { errorMessage: string; caught: boolean }) => {
    const job = state.jobs.get(key);
    if (!job) return;
    if (v.caught) {
      removeJob(state, key);
      return;
    }
    leaveActivatable(state, job);
    state.deadlines.delete(key);
    job.state = 'ERROR_THROWN';
    job.errorMessage = v.errorMessage;
    job.worker = '';
    job.deadline = -1;
  },

  'INCIDENT:CREATED': (state, key, v: IncidentValue) => {
    state.incidents.set(key, { key, ...v });
    state.incidentByElement.set(v.elementInstanceKey, key);
  },
  'INCIDENT:RESOLVED': (state, key, v: IncidentValue) => {
    state.incidents.delete(key);
    if (state.incidentByElement.get(v.elementInstanceKey) === key) state.incidentByElement.delete(v.elementInstanceKey);
    if (v.jobKey) {
      const job = state.jobs.get(v.jobKey);
      if (job && (job.state === 'FAILED' || job.state === 'ERROR_THROWN')) setJobActivatable(state, job);
    }
  },

  'MESSAGE:PUBLISHED': (state, key, v: MessageValue) => {
    if (v.timeToLive <= 0) return;
    state.messages.set(key, {
      key,
      name: v.name,
      correlationKey: v.correlationKey,
      messageId: v.messageId,
      deadline: v.deadline,
      variables: v.variables,
      correlatedProcesses: new Set(),
    });
    addToIndex(state.messagesByCorrelation, correlationIndexKey(v.name, v.correlationKey), key);
  },
  'MESSAGE:EXPIRED': (state, key) => {
    const message = state.messages.get(key);
    if (!message) return;
    state.messages.delete(key);
    removeFromIndex(state.messagesByCorrelation, correlationIndexKey(message.name, message.correlationKey), key);
  },
  'MESSAGE_SUBSCRIPTION:CREATED': (state, key, v: SubscriptionValue) => {
    const { messageKey: _m, ...rest } = v;
    state.subscriptions.set(key, { key, ...rest });
    addToIndex(state.subscriptionsByCorrelation, correlationIndexKey(v.messageName, v.correlationKey), key);
    addToIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'MESSAGE_SUBSCRIPTION:CORRELATED': (state, _key, v: SubscriptionValue) => {
    if (v.messageKey) state.messages.get(v.messageKey)?.correlatedProcesses.add(v.bpmnProcessId);
  },
  'MESSAGE_SUBSCRIPTION:DELETED': (state, key, v: SubscriptionValue) => {
    state.subscriptions.delete(key);
    removeFromIndex(state.subscriptionsByCorrelation, correlationIndexKey(v.messageName, v.correlationKey), key);
    removeFromIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'TIMER:CREATED': (state, key, v: TimerValue) => {
    state.timers.set(key, { key, ...v });
    addToIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'TIMER:TRIGGERED': (state, key, v: TimerValue) => {
    state.timers.delete(key);
    removeFromIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'TIMER:CANCELED': (state, key, v: TimerValue) => {
    state.timers.delete(key);
    removeFromIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'SIGNAL_SUBSCRIPTION:CREATED': (state, key, v: SignalSubscriptionValue) => {
    state.signalSubscriptions.set(key, { key, ...v });
    addToIndex(state.signalSubscriptionsByName, v.signalName, key);
    addToIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'SIGNAL_SUBSCRIPTION:DELETED': (state, key, v: SignalSubscriptionValue) => {
    state.signalSubscriptions.delete(key);
    removeFromIndex(state.signalSubscriptionsByName, v.signalName, key);
    removeFromIndex(state.catchEventsByOwner, ownerIndexKey(v), key);
  },
  'MESSAGE_START_EVENT_SUBSCRIPTION:CORRELATED': (state, _key, v: StartCorrelationValue) => {
    state.messages.get(v.messageKey)?.correlatedProcesses.add(v.bpmnProcessId);
  },
};

const errorAppliers: Record<string, Applier> = {
  'ERROR:CREATED': (state, _key, v: { processInstanceKey?: string }) => {
    if (v.processInstanceKey) state.bannedInstances.add(v.processInstanceKey);
  },
};
Object.assign(appliers, errorAppliers);

const clockAppliers: Record<string, Applier> = {
  'CLOCK:PINNED': (state, _key, v: { time: number }) => {
    state.clock.pinnedAt = v.time;
    state.clock.resetAt = undefined;
  },
  'CLOCK:RESETTED': (state, _key, v: { time: number }) => {
    state.clock.pinnedAt = undefined;
    state.clock.resetAt = v.time;
  },
};
Object.assign(appliers, clockAppliers);
Object.assign(appliers, resourceAppliers);

/** Events that change no state (they document what happened). */
const STATELESS = new Set([
  'DEPLOYMENT:CREATED',
  'PROCESS_INSTANCE_RESULT:COMPLETED',
  'PROCESS_INSTANCE_CREATION:CREATED',
  'VARIABLE_DOCUMENT:UPDATED',
  'SIGNAL:BROADCASTED',
  'SIGNAL_SUBSCRIPTION:TRIGGERED',
  'PROCESS_INSTANCE_MODIFICATION:MODIFIED',
]);

export function applyEvent(state: EngineState, record: EngineRecord): void {
  const id = `${record.valueType}:${record.intent}`;
  state.observeKey(record.key);
  const applier = appliers[id];
  if (applier) {
    applier(state, record.key, record.value as never, record);
    return;
  }
  if (!STATELESS.has(id)) throw new Error(`no applier for event ${id}`);
}

export function isKnownEvent(valueType: ValueType, intent: string): boolean {
  const id = `${valueType}:${intent}`;
  return id in appliers || STATELESS.has(id);
}
