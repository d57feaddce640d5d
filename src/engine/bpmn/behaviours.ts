/**
 * Shared behaviours of BPMN elements: variables and io mappings, incidents, sequence flows, scope
 * completion, termination, and error catching. The element lifecycle itself is in elements.ts.
 */
import { evaluateFeel } from '../feel/index.ts';
import type { ProcessingContext } from '../processing/engine.ts';
import type { ElementValue, IncidentValue, SubscriptionValue } from '../state/appliers.ts';
import type { ElementInstance } from '../state/state.ts';
import { onRootEnded } from './instances.ts';
import { BPMN_ELEMENT_TYPE, elementOf, emptyNode, flowOf, type FlowNode, type Mapping, type ProcessModel } from './model.ts';

export function modelOf(ctx: ProcessingContext, instance: ElementInstance): ProcessModel {
  const def = ctx.state.process(instance.processDefinitionKey);
  if (!def) throw new Error(`process definition ${instance.processDefinitionKey} not found`);
  return def.model;
}

export function nodeOf(ctx: ProcessingContext, instance: ElementInstance): FlowNode {
  const model = modelOf(ctx, instance);
  if (instance.flowScopeKey === undefined) {
    // The process element itself.
    return emptyNode(model.bpmnProcessId, model.name, 'process');
  }
  return elementOf(model, instance.elementId);
}

export function elementValue(instance: ElementInstance, node: FlowNode, extra: Partial<ElementValue> = {}): ElementValue {
  return {
    elementId: instance.elementId,
    bpmnElementType: BPMN_ELEMENT_TYPE[node.kind],
    flowScopeKey: instance.flowScopeKey,
    processInstanceKey: instance.processInstanceKey,
    processDefinitionKey: instance.processDefinitionKey,
    bpmnProcessId: instance.bpmnProcessId,
    version: instance.version,
    ...extra,
  };
}

export function transition(
  ctx: ProcessingContext,
  instance: ElementInstance,
  node: FlowNode,
  intent: string,
  extra: Partial<ElementValue> = {},
): void {
  ctx.event('PROCESS_INSTANCE', intent, instance.key, elementValue(instance, node, extra));
}

/* ---------- variables ---------- */

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function setLocalVariable(ctx: ProcessingContext, scopeKey: string, processInstanceKey: string, name: string, value: unknown): void {
  const existing = ctx.state.variables.get(scopeKey);
  if (existing?.has(name)) {
    if (sameJson(existing.get(name), value)) return;
    ctx.event('VARIABLE', 'UPDATED', ctx.state.nextKey(), { scopeKey, name, value, processInstanceKey });
  } else {
    ctx.event('VARIABLE', 'CREATED', ctx.state.nextKey(), { scopeKey, name, value, processInstanceKey });
  }
}

export function setLocalVariables(ctx: ProcessingContext, scopeKey: string, processInstanceKey: string, vars: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(vars)) setLocalVariable(ctx, scopeKey, processInstanceKey, name, value);
}

/** Each variable updates the nearest scope from `scopeKey` outwards that has it, else the root. */
export function mergeVariables(ctx: ProcessingContext, scopeKey: string, processInstanceKey: string, vars: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(vars)) {
    setLocalVariable(ctx, ctx.state.scopeForMerge(scopeKey, name), processInstanceKey, name, value);
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const next = current[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[part] = {};
    else current[part] = { ...(next as Record<string, unknown>) };
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1]!] = value;
}

export type MappingResult = { ok: true; variables: Record<string, unknown> } | { ok: false; message: string };

/**
 * Evaluates mappings in order against `visible`; later mappings see earlier results. Targets may be paths.
 * `base` gives the current value of a path's root variable (for output paths into existing objects).
 */
export function evaluateMappings(
  mappings: Mapping[],
  visible: Record<string, unknown>,
  now: number,
  base: (name: string) => unknown = () => undefined,
): MappingResult {
  const result: Record<string, unknown> = {};
  for (const m of mappings) {
    const evaluated = evaluateFeel(m.source, { ...visible, ...result }, now);
    if (!evaluated.ok) return { ok: false, message: evaluated.message };
    const root = m.target.split('.')[0]!;
    if (m.target.includes('.') && !(root in result)) {
      const existing = base(root);
      if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
        result[root] = { ...(existing as Record<string, unknown>) };
      }
    }
    setPath(result, m.target, evaluated.value);
  }
  return { ok: true, variables: result };
}

/** Input mappings: each target becomes a local of the element. Returns false when an incident was raised. */
export function applyInputMappings(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): boolean {
  if (node.inputs.length === 0) return true;
  const visible = ctx.state.visibleVariables(instance.flowScopeKey ?? instance.key);
  const result = evaluateMappings(node.inputs, visible, ctx.now);
  if (!result.ok) {
    raiseIncident(ctx, instance, node, 'IO_MAPPING_ERROR', result.message);
    return false;
  }
  setLocalVariables(ctx, instance.key, instance.processInstanceKey, result.variables);
  return true;
}

/** Output mappings: evaluated in the element's scope, merged from its flow scope outwards. */
export function applyOutputMappings(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): boolean {
  if (node.outputs.length === 0 || instance.flowScopeKey === undefined) return true;
  const visible = ctx.state.visibleVariables(instance.key);
  const scopeVisible = ctx.state.visibleVariables(instance.flowScopeKey);
  const result = evaluateMappings(node.outputs, visible, ctx.now, (name) => scopeVisible[name]);
  if (!result.ok) {
    raiseIncident(ctx, instance, node, 'IO_MAPPING_ERROR', result.message);
    return false;
  }
  mergeVariables(ctx, instance.flowScopeKey, instance.processInstanceKey, result.variables);
  return true;
}

/**
 * Variables a job completion or a message brings to an element: without output mappings they merge from the
 * element's own scope outwards; with output mappings they become locals and the mappings decide what leaves.
 */
export function applyResultVariables(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, vars: Record<string, unknown>): void {
  if (Object.keys(vars).length === 0) return;
  if (node.outputs.length > 0) setLocalVariables(ctx, instance.key, instance.processInstanceKey, vars);
  else mergeVariables(ctx, instance.key, instance.processInstanceKey, vars);
}

/* ---------- incidents ---------- */

export function raiseIncident(
  ctx: ProcessingContext,
  instance: ElementInstance,
  node: FlowNode,
  errorType: string,
  errorMessage: string,
  jobKey?: string,
): void {
  const value: IncidentValue = {
    errorType,
    errorMessage,
    processInstanceKey: instance.processInstanceKey,
    processDefinitionKey: instance.processDefinitionKey,
    bpmnProcessId: instance.bpmnProcessId,
    elementId: node.id,
    elementInstanceKey: instance.key,
    jobKey,
    variableScopeKey: instance.key,
    creationTime: ctx.now,
  };
  ctx.event('INCIDENT', 'CREATED', ctx.state.nextKey(), value);
}

export function resolveIncidentsOf(ctx: ProcessingContext, instance: ElementInstance): void {
  const key = ctx.state.incidentByElement.get(instance.key);
  if (!key) return;
  const incident = ctx.state.incidents.get(key);
  if (incident) {
    const { key: _k, ...value } = incident;
    ctx.event('INCIDENT', 'RESOLVED', key, value);
  }
}

/* ---------- sequence flows and scopes ---------- */

export interface ActivateCommandValue {
  elementId: string;
  flowScopeKey: string | undefined;
  processInstanceKey: string;
  processDefinitionKey: string;
  viaFlows: string[];
  /** The flow scope's token epoch when the flow was taken; a terminate end event makes older tokens void. */
  epoch: number;
  /** Process element only: the start event to enter. */
  startElementId?: string;
  /** Boundary events: variables that become the event's locals. */
  localVariables?: Record<string, unknown>;
}

export function queueActivation(ctx: ProcessingContext, scope: ElementInstance, elementId: string, viaFlows: string[], extra: Partial<ActivateCommandValue> = {}): void {
  const value: ActivateCommandValue = {
    elementId,
    flowScopeKey: scope.key,
    processInstanceKey: scope.processInstanceKey,
    processDefinitionKey: scope.processDefinitionKey,
    viaFlows,
    epoch: scope.flowEpoch,
    ...extra,
  };
  ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'ACTIVATE_ELEMENT', key: ctx.state.nextKey(), value: { ...value } });
}

/** Takes the given outgoing flows of a completed element; waits at parallel joins. */
export function takeFlows(ctx: ProcessingContext, scope: ElementInstance, flowIds: string[]): void {
  const model = modelOf(ctx, scope);
  for (const flowId of flowIds) {
    const flow = flowOf(model, flowId);
    const target = elementOf(model, flow.target);
    const isJoin = target.kind === 'parallelGateway' && target.incoming.length > 1;
    ctx.event('PROCESS_INSTANCE', 'SEQUENCE_FLOW_TAKEN', ctx.state.nextKey(), {
      elementId: flowId,
      bpmnElementType: 'SEQUENCE_FLOW',
      flowScopeKey: scope.key,
      processInstanceKey: scope.processInstanceKey,
      processDefinitionKey: scope.processDefinitionKey,
      bpmnProcessId: scope.bpmnProcessId,
      version: scope.version,
      joinTarget: isJoin ? target.id : undefined,
    });
    if (!isJoin) {
      queueActivation(ctx, scope, target.id, [flowId]);
    } else if (joinReady(scope, target)) {
      queueActivation(ctx, scope, target.id, [...target.incoming]);
    }
  }
}

export function joinReady(scope: ElementInstance, gateway: FlowNode): boolean {
  const tokens = scope.joinTokens[gateway.id] ?? {};
  return gateway.incoming.every((flow) => (tokens[flow] ?? 0) > 0);
}

/** After a child ended: completes the scope when nothing is left in it, or finishes its termination. */
export function afterChildEnded(ctx: ProcessingContext, scopeKey: string | undefined): void {
  if (scopeKey === undefined) return;
  const scope = ctx.state.elementInstances.get(scopeKey);
  if (!scope || scope.activeChildren > 0) return;
  if (scope.state === 'TERMINATING') {
    finishTermination(ctx, scope);
  } else if (scope.state === 'ACTIVATED' && scope.activeFlows <= 0) {
    ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: scope.key, value: {} });
  }
}

/* ---------- termination ---------- */

export function closeSubscription(ctx: ProcessingContext, instance: ElementInstance): void {
  const sub = ctx.state.subscriptions.get(instance.key);
  if (!sub) return;
  const value: SubscriptionValue = {
    elementInstanceKey: sub.elementInstanceKey,
    processInstanceKey: sub.processInstanceKey,
    bpmnProcessId: sub.bpmnProcessId,
    messageName: sub.messageName,
    correlationKey: sub.correlationKey,
  };
  ctx.event('MESSAGE_SUBSCRIPTION', 'DELETED', ctx.state.nextKey(), value);
}

function cancelJob(ctx: ProcessingContext, instance: ElementInstance): void {
  if (!instance.jobKey) return;
  const job = ctx.state.jobs.get(instance.jobKey);
  if (job) ctx.event('JOB', 'CANCELED', job.key, { ...job, customHeaders: job.customHeaders });
}

/**
 * Terminates an element instance and everything in it. With `quiet`, the flow scope is not checked for
 * completion afterwards (the caller activates something in its place, e.g. an error boundary event).
 */
export function terminate(ctx: ProcessingContext, instance: ElementInstance, quiet = false): void {
  if (instance.state === 'TERMINATING') return;
  const node = nodeOf(ctx, instance);
  transition(ctx, instance, node, 'ELEMENT_TERMINATING');
  cancelJob(ctx, instance);
  closeSubscription(ctx, instance);
  resolveIncidentsOf(ctx, instance);
  const children = ctx.state.childrenOf(instance.key);
  if (children.length === 0) {
    finishTermination(ctx, instance, quiet);
    return;
  }
  for (const childKey of children) {
    const child = ctx.state.elementInstances.get(childKey);
    if (child) terminate(ctx, child);
  }
}

function finishTermination(ctx: ProcessingContext, instance: ElementInstance, quiet = false): void {
  const node = nodeOf(ctx, instance);
  const flowScopeKey = instance.flowScopeKey;
  const root = flowScopeKey === undefined ? { ...instance } : undefined;
  transition(ctx, instance, node, 'ELEMENT_TERMINATED');
  if (root) onRootEnded(ctx, root);
  if (!quiet) afterChildEnded(ctx, flowScopeKey);
}

/* ---------- errors ---------- */

export interface CaughtError {
  boundary: FlowNode;
  activity: ElementInstance;
}

/** Finds the catch event for `code`, from the throwing element outwards. An exact code beats the catch-all. */
export function findErrorCatch(ctx: ProcessingContext, thrower: ElementInstance, code: string): CaughtError | undefined {
  const model = modelOf(ctx, thrower);
  let current: ElementInstance | undefined = thrower;
  while (current && current.flowScopeKey !== undefined) {
    const node = model.elements[current.elementId];
    if (node) {
      const boundaries = node.boundaries.map((id) => elementOf(model, id)).filter((b) => b.event === 'error');
      const match = boundaries.find((b) => b.errorCode === code) ?? boundaries.find((b) => b.errorCode === undefined);
      if (match) return { boundary: match, activity: current };
    }
    current = ctx.state.elementInstances.get(current.flowScopeKey);
  }
  return undefined;
}

/** Terminates the activity and activates the boundary event with the thrown variables as its locals. */
export function catchError(ctx: ProcessingContext, caught: CaughtError, variables: Record<string, unknown>): void {
  const scope = ctx.state.elementInstances.get(caught.activity.flowScopeKey!);
  terminate(ctx, caught.activity, true);
  if (!scope) return;
  queueActivation(ctx, scope, caught.boundary.id, [], { localVariables: variables });
}

/* ---------- messages ---------- */

/** Correlates a message to an open subscription: the element gets the variables and completes. */
export function correlateSubscription(
  ctx: ProcessingContext,
  elementInstanceKey: string,
  messageKey: string,
  variables: Record<string, unknown>,
): void {
  const sub = ctx.state.subscriptions.get(elementInstanceKey);
  const instance = ctx.state.elementInstances.get(elementInstanceKey);
  if (!sub || !instance || sub.correlating) return;
  const value: SubscriptionValue = {
    elementInstanceKey,
    processInstanceKey: sub.processInstanceKey,
    bpmnProcessId: sub.bpmnProcessId,
    messageName: sub.messageName,
    correlationKey: sub.correlationKey,
    messageKey,
  };
  ctx.event('MESSAGE_SUBSCRIPTION', 'CORRELATED', ctx.state.nextKey(), { ...value, variables });
  applyResultVariables(ctx, instance, nodeOf(ctx, instance), variables);
  ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: elementInstanceKey, value: {} });
}
