/**
 * Processors for deployments, process instances, incidents, variables, messages and signals. Jobs are in
 * jobs.ts, the element lifecycle in ../bpmn/elements.ts. `registerProcessors` is the one table of them all.
 */
import { mergeVariables, setLocalVariables, terminate } from '../bpmn/behaviours.ts';
import { correlateMessage, triggerSignal } from '../bpmn/events.ts';
import { registerElementProcessors } from '../bpmn/elements.ts';
import { createProcessInstance, startByMessage, startBySignal, type NewInstance } from '../bpmn/instances.ts';
import type { FlowNode, ProcessModel } from '../bpmn/model.ts';
import type { MessageValue } from '../state/appliers.ts';
import { correlationIndexKey, indexValues, type ElementInstance, type ProcessDefinition } from '../state/state.ts';
import type { ProcessingContext, ProcessingEngine } from './engine.ts';
import { registerJobProcessors } from './jobs.ts';
import { registerModificationProcessor } from './modification.ts';
import { registerResourceProcessors } from './deployment.ts';
import { registerClockProcessors } from './clock.ts';

export const TENANT = '<default>';

export type { PreparedResource } from './resources.ts';

export function registerProcessors(engine: ProcessingEngine): void {
  registerElementProcessors(engine);
  registerJobProcessors(engine);

  registerResourceProcessors(engine); // deployments, decision evaluation, resource deletion: deployment.ts
  registerModificationProcessor(engine); // ModifyProcessInstance: modification.ts
  registerClockProcessors(engine); // CLOCK PIN / RESET: clock.ts

  engine.register('PROCESS_INSTANCE_CREATION', 'CREATE', (command, ctx) => {
    const v = command.value as {
      bpmnProcessId: string;
      version: number;
      processDefinitionKey: string;
      variables: Record<string, unknown>;
      startInstructions: string[];
      awaitResult?: boolean;
      fetchVariables?: string[];
    };
    const definition = findDefinition(ctx, v);
    const model = definition.model;
    const startAt = v.startInstructions;
    for (const elementId of startAt) {
      const problem = startInstructionProblem(model, elementId);
      if (problem) {
        ctx.reject('INVALID_ARGUMENT', `Expected to create instance of process with start instructions but ${problem}`);
      }
    }
    if (startAt.length === 0 && !model.noneStartEvent) {
      ctx.reject('INVALID_STATE', 'Expected to create instance of process with none start event, but there is no such event');
    }
    const spec: NewInstance = { definition, variables: v.variables, startElementId: undefined };
    if (startAt.length > 0) spec.startAt = startAt;
    if (v.awaitResult) spec.awaitingResult = { fetchVariables: v.fetchVariables ?? [] };
    const processInstanceKey = createProcessInstance(ctx, spec);
    ctx.event('PROCESS_INSTANCE_CREATION', 'CREATED', ctx.state.nextKey(), {
      bpmnProcessId: definition.bpmnProcessId,
      version: definition.version,
      processDefinitionKey: definition.key,
      processInstanceKey,
    });
    ctx.respond({
      processDefinitionKey: definition.key,
      bpmnProcessId: definition.bpmnProcessId,
      version: definition.version,
      processInstanceKey,
      tenantId: TENANT,
    });
  });

  engine.register('PROCESS_INSTANCE', 'CANCEL', (command, ctx) => {
    const instance = ctx.state.elementInstances.get(command.key!);
    if (!instance || instance.flowScopeKey !== undefined || instance.state === 'TERMINATING') {
      ctx.reject('NOT_FOUND', `Expected to cancel a process instance with key '${command.key}', but no such process was found`);
    }
    if (instance!.parentProcessInstanceKey) {
      ctx.reject(
        'INVALID_STATE',
        `Expected to cancel a process instance with key '${command.key}', but it is created by a parent process instance. Cancel the root process instance '${rootOf(ctx, instance!)}' instead.`,
      );
    }
    ctx.respond({});
    terminate(ctx, instance!);
  });

  engine.register('INCIDENT', 'RESOLVE', (command, ctx) => {
    const incident = ctx.state.incidents.get(command.key!);
    if (!incident) {
      ctx.reject('NOT_FOUND', `Expected to resolve incident with key '${command.key}', but no such incident was found`);
      return;
    }
    if (incident.jobKey) {
      const job = ctx.state.jobs.get(incident.jobKey);
      if (job && job.retries <= 0 && incident.errorType === 'JOB_NO_RETRIES') {
        ctx.reject('INVALID_STATE', `Expected to resolve incident with key '${incident.key}', but job with key '${job.key}' has no retries left; update the job's retries first`);
      }
    }
    const { key: _key, ...value } = incident;
    ctx.event('INCIDENT', 'RESOLVED', incident.key, value);
    ctx.respond({});
    if (incident.jobKey) return; // the applier made the job activatable again
    const instance = ctx.state.elementInstances.get(incident.elementInstanceKey);
    if (!instance) return;
    // Run the failed step again: a new incident appears if it fails again.
    if (instance.state === 'ACTIVATING') {
      ctx.followUp({
        valueType: 'PROCESS_INSTANCE',
        intent: 'ACTIVATE_ELEMENT',
        key: instance.key,
        value: { elementId: instance.elementId, flowScopeKey: instance.flowScopeKey, viaFlows: [], epoch: 0 },
      });
    } else if (instance.state === 'COMPLETING') {
      ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: instance.key, value: {} });
    }
  });

  engine.register('VARIABLE_DOCUMENT', 'UPDATE', (command, ctx) => {
    const scopeKey = String(command.value.scopeKey);
    const instance = ctx.state.elementInstances.get(scopeKey);
    if (!instance) {
      ctx.reject('NOT_FOUND', `Expected to update variables for element with key '${scopeKey}', but no such element was found`);
      return;
    }
    const variables = command.value.variables as Record<string, unknown>;
    const key = ctx.state.nextKey();
    if (command.value.local) setLocalVariables(ctx, scopeKey, instance.processInstanceKey, variables);
    else mergeVariables(ctx, scopeKey, instance.processInstanceKey, variables);
    ctx.event('VARIABLE_DOCUMENT', 'UPDATED', key, { scopeKey, local: Boolean(command.value.local) });
    ctx.respond({ key });
  });

  engine.register('MESSAGE', 'PUBLISH', (command, ctx) => {
    const v = command.value as unknown as MessageValue;
    const indexKey = correlationIndexKey(v.name, v.correlationKey);
    if (v.messageId) {
      for (const key of indexValues(ctx.state.messagesByCorrelation, indexKey)) {
        if (ctx.state.messages.get(key)?.messageId === v.messageId) {
          ctx.reject('ALREADY_EXISTS', `Expected to publish a new message with id '${v.messageId}', but a message with that id was already published`);
        }
      }
    }
    const key = ctx.state.nextKey();
    const value: MessageValue = { ...v, deadline: ctx.now + Math.max(0, v.timeToLive) };
    ctx.event('MESSAGE', 'PUBLISHED', key, value);
    ctx.respond({ key, tenantId: TENANT });
    const buffered = ctx.state.messages.get(key);
    // A message that is not buffered (TTL 0) is tracked here only for the rest of this command.
    const message = buffered ?? {
      key,
      name: v.name,
      correlationKey: v.correlationKey,
      messageId: v.messageId,
      deadline: value.deadline,
      variables: v.variables,
      correlatedProcesses: new Set<string>(),
    };
    // At most once per process: the oldest open subscription of each process gets it.
    const correlatedTo = new Set<string>();
    for (const subscriptionKey of [...indexValues(ctx.state.subscriptionsByCorrelation, indexKey)]) {
      const sub = ctx.state.subscriptions.get(subscriptionKey);
      if (!sub || correlatedTo.has(sub.bpmnProcessId)) continue;
      if (!correlateMessage(ctx, subscriptionKey, key, v.variables)) continue;
      correlatedTo.add(sub.bpmnProcessId);
      if (!buffered) message.correlatedProcesses.add(sub.bpmnProcessId);
    }
    for (const bpmnProcessId of ctx.state.latest.keys()) {
      if (correlatedTo.has(bpmnProcessId)) continue;
      if (startByMessage(ctx, bpmnProcessId, message) && !buffered) message.correlatedProcesses.add(bpmnProcessId);
    }
    if (v.timeToLive <= 0) ctx.event('MESSAGE', 'EXPIRED', key, value);
  });

  engine.register('MESSAGE', 'EXPIRE', (command, ctx) => {
    const message = ctx.state.messages.get(command.key!);
    if (!message || message.deadline > ctx.now) {
      ctx.reject('NOT_FOUND', `Expected to expire message with key '${command.key}', but it is not buffered or not due`);
      return;
    }
    ctx.event('MESSAGE', 'EXPIRED', message.key, { name: message.name, correlationKey: message.correlationKey, messageId: message.messageId });
  });

  engine.register('SIGNAL', 'BROADCAST', (command, ctx) => {
    const key = ctx.state.nextKey();
    const signalName = String(command.value.signalName);
    const variables = (command.value.variables ?? {}) as Record<string, unknown>;
    ctx.event('SIGNAL', 'BROADCASTED', key, { signalName, variables });
    ctx.respond({ key, tenantId: TENANT });
    // Every subscription open now, then one new instance per process with a matching signal start event.
    triggerSignal(ctx, signalName, variables);
    startBySignal(ctx, signalName, variables);
  });
}

/** Why an element cannot be a start instruction (P2), or undefined when it can. */
function startInstructionProblem(model: ProcessModel, elementId: string): string | undefined {
  const node = model.elements[elementId];
  if (!node) return `no element found with id '${elementId}'`;
  if (node.kind === 'startEvent' || node.kind === 'boundaryEvent') {
    return `the element with id '${elementId}' is a ${node.kind === 'startEvent' ? 'start' : 'boundary'} event, which cannot be a start instruction`;
  }
  const inside: FlowNode[] = [];
  for (let scope = node.scope; scope; scope = model.elements[scope]?.scope) inside.push(model.elements[scope]!);
  if (inside.some((s) => s.multiInstance)) return `the element with id '${elementId}' is inside a multi-instance subprocess`;
  if (inside.some((s) => s.kind === 'eventSubProcess')) return `the element with id '${elementId}' is inside an event subprocess`;
  const afterGateway = node.incoming.some((flow) => model.elements[model.flows[flow]?.source ?? '']?.kind === 'eventBasedGateway');
  if (afterGateway) return `the element with id '${elementId}' belongs to an event-based gateway`;
  return undefined;
}

/** The outermost process instance of a chain of call activities. */
function rootOf(ctx: ProcessingContext, instance: ElementInstance): string {
  let current = instance;
  while (current.parentProcessInstanceKey) {
    const parent = ctx.state.elementInstances.get(current.parentProcessInstanceKey);
    if (!parent) return current.parentProcessInstanceKey;
    current = parent;
  }
  return current.key;
}

function findDefinition(
  ctx: ProcessingContext,
  v: { bpmnProcessId: string; version: number; processDefinitionKey: string },
): ProcessDefinition {
  if (v.bpmnProcessId) {
    if (v.version === -1) {
      const latest = ctx.state.latestProcess(v.bpmnProcessId);
      if (!latest) ctx.reject('NOT_FOUND', `Expected to find process definition with process ID '${v.bpmnProcessId}', but none found`);
      return latest!;
    }
    const key = ctx.state.versions.get(v.bpmnProcessId)?.get(v.version);
    const def = key ? ctx.state.process(key) : undefined;
    if (!def) {
      ctx.reject('NOT_FOUND', `Expected to find process definition with process ID '${v.bpmnProcessId}' and version '${v.version}', but none found`);
    }
    return def!;
  }
  if (v.processDefinitionKey && v.processDefinitionKey !== '0') {
    const def = ctx.state.process(v.processDefinitionKey);
    if (!def) ctx.reject('NOT_FOUND', `Expected to find process definition with key '${v.processDefinitionKey}', but none found`);
    return def!;
  }
  ctx.reject('INVALID_ARGUMENT', 'Expected at least a bpmnProcessId or a key greater than -1, but none given');
  throw new Error('unreachable');
}
