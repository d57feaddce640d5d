/**
 * Creating process instances (by request or by a message start event), and what happens when one ends.
 */
import type { ProcessingContext } from '../processing/engine.ts';
import type { ElementValue, StartCorrelationValue, TimerValue } from '../state/appliers.ts';
import { correlationIndexKey, indexValues, type ElementInstance, type Message, type ProcessDefinition } from '../state/state.ts';
import { closeCatchEvents, scheduleTimer } from './events.ts';
import type { ProcessModel } from './model.ts';

export interface NewInstance {
  definition: ProcessDefinition;
  variables: Record<string, unknown>;
  /** The start event to enter; the none start event when undefined. */
  startElementId: string | undefined;
  startedByCorrelationKey?: string;
  awaitingResult?: { fetchVariables: string[] };
  /** Start instructions: the elements to activate instead of the none start event. */
  startAt?: string[];
  /** A process instance created by a call activity. */
  parent?: { processInstanceKey: string; elementInstanceKey: string };
}

/** Writes the process instance's activation and its root variables, and queues the rest. Returns its key. */
export function createProcessInstance(ctx: ProcessingContext, spec: NewInstance): string {
  const { definition } = spec;
  const key = ctx.state.nextKey();
  const value: ElementValue = {
    elementId: definition.bpmnProcessId,
    bpmnElementType: 'PROCESS',
    flowScopeKey: undefined,
    processInstanceKey: key,
    processDefinitionKey: definition.key,
    bpmnProcessId: definition.bpmnProcessId,
    version: definition.version,
  };
  if (spec.startedByCorrelationKey) value.startedByCorrelationKey = spec.startedByCorrelationKey;
  if (spec.awaitingResult) value.awaitingResult = spec.awaitingResult;
  if (spec.parent) {
    value.parentProcessInstanceKey = spec.parent.processInstanceKey;
    value.parentElementInstanceKey = spec.parent.elementInstanceKey;
  }
  ctx.event('PROCESS_INSTANCE', 'ELEMENT_ACTIVATING', key, value);
  for (const [name, v] of Object.entries(spec.variables)) {
    ctx.event('VARIABLE', 'CREATED', ctx.state.nextKey(), { scopeKey: key, name, value: v, processInstanceKey: key });
  }
  ctx.followUp({
    valueType: 'PROCESS_INSTANCE',
    intent: 'ACTIVATE_ELEMENT',
    key,
    value: {
      elementId: definition.bpmnProcessId,
      flowScopeKey: undefined,
      processInstanceKey: key,
      processDefinitionKey: definition.key,
      viaFlows: [],
      epoch: 0,
      startElementId: spec.startElementId,
      ...(spec.startAt ? { startAt: spec.startAt } : {}),
    },
  });
  return key;
}

/**
 * Starts an instance of the latest version of `bpmnProcessId` from a buffered or new message, if its
 * message start event subscribes to the message and no active instance holds the same correlation key.
 * Returns true when an instance was created.
 */
export function startByMessage(ctx: ProcessingContext, bpmnProcessId: string, message: Message): boolean {
  const definition = ctx.state.latestProcess(bpmnProcessId);
  if (!definition) return false;
  const start = definition.model.messageStartEvents.find((s) => s.messageName === message.name);
  if (!start) return false;
  if (message.correlatedProcesses.has(bpmnProcessId)) return false;
  if (message.correlationKey !== '' && ctx.state.messageStartedInstances.has(`${bpmnProcessId}\u0000${message.correlationKey}`)) {
    return false;
  }
  const correlation: StartCorrelationValue = { bpmnProcessId, messageKey: message.key };
  ctx.event('MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED', ctx.state.nextKey(), {
    ...correlation,
    processDefinitionKey: definition.key,
    messageName: message.name,
    correlationKey: message.correlationKey,
    startEventId: start.elementId,
  });
  const spec: NewInstance = { definition, variables: message.variables, startElementId: start.elementId };
  if (message.correlationKey !== '') spec.startedByCorrelationKey = message.correlationKey;
  createProcessInstance(ctx, spec);
  return true;
}

/**
 * A process instance ended. If a message started it with a correlation key, a message with that key waiting
 * in the buffer may now start the next instance (one active instance per correlation key).
 */
export function onRootEnded(ctx: ProcessingContext, root: ElementInstance): void {
  const correlationKey = root.startedByCorrelationKey;
  if (correlationKey === undefined) return;
  const definition = ctx.state.latestProcess(root.bpmnProcessId);
  if (!definition) return;
  for (const start of definition.model.messageStartEvents) {
    for (const messageKey of indexValues(ctx.state.messagesByCorrelation, correlationIndexKey(start.messageName, correlationKey))) {
      const message = ctx.state.messages.get(messageKey);
      if (message && message.deadline > ctx.now && startByMessage(ctx, root.bpmnProcessId, message)) return;
    }
  }
}

/** A problem text when a timer start event of `model` cannot be scheduled (checked before deploying). */
export function checkTimerStartEvents(model: ProcessModel, now: number): string | undefined {
  for (const start of model.timerStartEvents) {
    const schedule = scheduleTimer(start.timer, {}, now);
    if (!schedule.ok) return `- Element: ${start.elementId} (bpmn:StartEvent)\n    - ERROR: ${schedule.message}`;
  }
  return undefined;
}

/**
 * A process version became the latest (deployed, or the previous one again after a deletion): the timer
 * start events of the version it replaces are cancelled and its own are scheduled.
 */
export function onProcessBecameLatest(ctx: ProcessingContext, definition: ProcessDefinition, replaced: ProcessDefinition | undefined): void {
  if (replaced && replaced.key !== definition.key) closeCatchEvents(ctx, `definition:${replaced.key}`);
  const planned: TimerValue[] = [];
  for (const start of definition.model.timerStartEvents) {
    const schedule = scheduleTimer(start.timer, {}, ctx.now);
    if (!schedule.ok || !schedule.value) continue; // checked before the deployment was accepted
    planned.push({
      elementInstanceKey: '-1',
      catchElementId: start.elementId,
      interrupting: true,
      processInstanceKey: '-1',
      processDefinitionKey: definition.key,
      bpmnProcessId: definition.bpmnProcessId,
      ...schedule.value,
    });
  }
  for (const timer of planned) ctx.event('TIMER', 'CREATED', ctx.state.nextKey(), timer);
}

/** Starts an instance of the latest version of every process with a signal start event for `signalName`. */
export function startBySignal(ctx: ProcessingContext, signalName: string, variables: Record<string, unknown>): void {
  for (const key of ctx.state.latest.values()) {
    const definition = ctx.state.process(key);
    const start = definition?.model.signalStartEvents.find((s) => s.signalName === signalName);
    if (definition && start) createProcessInstance(ctx, { definition, variables, startElementId: start.elementId });
  }
}
