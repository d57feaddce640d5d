/**
 * Shared behaviours of BPMN elements: variables and io mappings, incidents, sequence flows, scope
 * completion, termination, and error catching. The element lifecycle itself is in elements.ts.
 */
import { evaluateFeel } from '../feel/index.ts';
import type { ProcessingContext } from '../processing/engine.ts';
import type { ElementValue, IncidentValue } from '../state/appliers.ts';
import type { ElementInstance } from '../state/state.ts';
import { closeCatchEvents } from './events.ts';
import { onRootEnded } from './instances.ts';
import {
  BPMN_ELEMENT_TYPE,
  MULTI_INSTANCE_BODY,
  elementOf,
  emptyNode,
  eventSubprocessesOf,
  flowOf,
  type FlowNode,
  type Mapping,
  type ProcessModel,
} from './model.ts';

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
    bpmnElementType: instance.multiInstance ? MULTI_INSTANCE_BODY : BPMN_ELEMENT_TYPE[node.kind],
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

/**
 * Input mappings: each target becomes a local of the element. The sources are evaluated in the element's own
 * scope, as Zeebe does, so they see the locals it already has: a multi-instance inner instance's input element
 * and loopCounter (set before its activation), or a modification's variables for it. Returns false when an
 * incident was raised.
 */
export function applyInputMappings(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): boolean {
  if (node.inputs.length === 0) return true;
  const visible = ctx.state.visibleVariables(instance.key);
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
  if (isInnerInstance(ctx, instance)) setLocalVariables(ctx, instance.key, instance.processInstanceKey, result.variables);
  else mergeVariables(ctx, instance.flowScopeKey, instance.processInstanceKey, result.variables);
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

/** An inner instance of a multi-instance body. */
export function isInnerInstance(ctx: ProcessingContext, instance: ElementInstance): boolean {
  if (instance.flowScopeKey === undefined) return false;
  return ctx.state.elementInstances.get(instance.flowScopeKey)?.multiInstance !== undefined;
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
  /** Processes and subprocesses: elements to activate inside instead of the start event (start instructions). */
  startAt?: string[];
  /**
   * With `startAt`: the locals of the element instances activated on the way, by element id (a modification's
   * variable instructions for an element, or for a flow scope it creates).
   */
  startVariables?: Record<string, Record<string, unknown>>;
  /** Variables that become the element's locals (multi-instance inner instances: inputElement, loopCounter). */
  localVariables?: Record<string, unknown>;
  /** A multi-instance inner instance (its flow scope is the body). */
  inner?: boolean;
  /** A catch event after an event-based gateway that already fired, with the event's variables. */
  eventVariables?: Record<string, unknown>;
  /** An inclusive join re-checking whether it can fire: how often it was put back behind tokens in flight. */
  joinCheck?: number;
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

/** Parallel and inclusive gateways with more than one incoming flow: tokens wait there. */
export function isJoin(node: FlowNode): boolean {
  return (node.kind === 'parallelGateway' || node.kind === 'inclusiveGateway') && node.incoming.length > 1;
}

/** Takes the given outgoing flows of a completed element; waits at joins. */
export function takeFlows(ctx: ProcessingContext, scope: ElementInstance, flowIds: string[], extra: Partial<ActivateCommandValue> = {}): void {
  const model = modelOf(ctx, scope);
  for (const flowId of flowIds) {
    const flow = flowOf(model, flowId);
    const target = elementOf(model, flow.target);
    const join = isJoin(target);
    ctx.event('PROCESS_INSTANCE', 'SEQUENCE_FLOW_TAKEN', ctx.state.nextKey(), {
      elementId: flowId,
      bpmnElementType: 'SEQUENCE_FLOW',
      flowScopeKey: scope.key,
      processInstanceKey: scope.processInstanceKey,
      processDefinitionKey: scope.processDefinitionKey,
      bpmnProcessId: scope.bpmnProcessId,
      version: scope.version,
      joinTarget: join ? target.id : undefined,
    });
    if (!join) {
      queueActivation(ctx, scope, target.id, [flowId], extra);
    } else if (target.kind === 'inclusiveGateway') {
      queueActivation(ctx, scope, target.id, [], { joinCheck: 0 });
    } else if (joinReady(scope, target)) {
      queueActivation(ctx, scope, target.id, [...target.incoming]);
    }
  }
}

export function joinReady(scope: ElementInstance, gateway: FlowNode): boolean {
  const tokens = scope.joinTokens?.[gateway.id] ?? {};
  return gateway.incoming.every((flow) => (tokens[flow] ?? 0) > 0);
}

/** Tokens taken into the scope that no element has consumed yet and that wait at no join. */
export function tokensInFlight(scope: ElementInstance): number {
  let waiting = 0;
  for (const flows of Object.values(scope.joinTokens ?? {})) for (const n of Object.values(flows)) waiting += n;
  return scope.activeFlows - waiting;
}

/**
 * An inclusive join can fire when each incoming flow either holds a token or can no longer be reached from
 * anything alive in the scope (active elements, and tokens waiting at other joins).
 */
export function inclusiveJoinReady(ctx: ProcessingContext, scope: ElementInstance, gateway: FlowNode): boolean {
  const model = modelOf(ctx, scope);
  const tokens = scope.joinTokens?.[gateway.id] ?? {};
  const missing = gateway.incoming.filter((flow) => !((tokens[flow] ?? 0) > 0));
  if (missing.length === 0) return true;
  const alive = new Set<string>();
  for (const childKey of ctx.state.childrenOf(scope.key)) {
    const child = ctx.state.elementInstances.get(childKey);
    if (child) alive.add(child.elementId);
  }
  for (const [joinId, flows] of Object.entries(scope.joinTokens ?? {})) {
    if (joinId !== gateway.id && Object.values(flows).some((n) => n > 0)) alive.add(joinId);
  }
  const sources = new Set(missing.map((flow) => flowOf(model, flow).source));
  // Everything reachable from what is alive, not passing through the join itself.
  const seen = new Set<string>();
  const queue = [...alive];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id) || id === gateway.id) continue;
    seen.add(id);
    if (sources.has(id)) return false;
    const node = model.elements[id];
    if (!node) continue;
    for (const flow of node.outgoing) queue.push(flowOf(model, flow).target);
    for (const boundary of node.boundaries) queue.push(boundary);
  }
  return true;
}

/** After a child ended: completes the scope when nothing is left in it, or finishes its termination. */
export function afterChildEnded(ctx: ProcessingContext, scopeKey: string | undefined): void {
  if (scopeKey === undefined) return;
  const scope = ctx.state.elementInstances.get(scopeKey);
  if (!scope) return;
  if (scope.state === 'ACTIVATED') {
    // A token that ended elsewhere may be what an inclusive join was waiting for.
    const model = modelOf(ctx, scope);
    for (const joinId of Object.keys(scope.joinTokens ?? {})) {
      if (model.elements[joinId]?.kind === 'inclusiveGateway') queueActivation(ctx, scope, joinId, [], { joinCheck: 0 });
    }
  }
  if (scope.activeChildren > 0) return;
  if (scope.state === 'TERMINATING') {
    finishTermination(ctx, scope);
  } else if (scope.state === 'ACTIVATED' && scope.activeFlows <= 0) {
    ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: scope.key, value: {} });
  }
}

/* ---------- termination ---------- */

function cancelJob(ctx: ProcessingContext, instance: ElementInstance): void {
  if (!instance.jobKey) return;
  const job = ctx.state.jobs.get(instance.jobKey);
  if (job) ctx.event('JOB', 'CANCELED', job.key, { ...job, customHeaders: job.customHeaders });
}

/**
 * Terminates an element instance and everything in it (a call activity: the process instance it called).
 * With `quiet`, the flow scope is not checked for completion afterwards (the caller activates something in
 * its place, e.g. an error boundary event).
 */
export function terminate(ctx: ProcessingContext, instance: ElementInstance, quiet = false): void {
  if (instance.state === 'TERMINATING') return;
  const node = nodeOf(ctx, instance);
  transition(ctx, instance, node, 'ELEMENT_TERMINATING');
  cancelJob(ctx, instance);
  closeCatchEvents(ctx, instance.key);
  resolveIncidentsOf(ctx, instance);
  const called = instance.calledChildKey ? ctx.state.elementInstances.get(instance.calledChildKey) : undefined;
  const children = ctx.state.childrenOf(instance.key);
  if (children.length === 0 && !called) {
    finishTermination(ctx, instance, quiet);
    return;
  }
  for (const childKey of children) {
    const child = ctx.state.elementInstances.get(childKey);
    if (child) terminate(ctx, child);
  }
  if (called) terminate(ctx, called);
}

function finishTermination(ctx: ProcessingContext, instance: ElementInstance, quiet = false): void {
  const node = nodeOf(ctx, instance);
  const flowScopeKey = instance.flowScopeKey;
  const root = flowScopeKey === undefined ? { ...instance } : undefined;
  transition(ctx, instance, node, 'ELEMENT_TERMINATED');
  if (root) {
    onRootEnded(ctx, root);
    // A called process instance ended by its caller's termination: the call activity finishes terminating.
    const caller = root.parentElementInstanceKey ? ctx.state.elementInstances.get(root.parentElementInstanceKey) : undefined;
    if (caller?.state === 'TERMINATING' && caller.activeChildren === 0) finishTermination(ctx, caller);
    return;
  }
  if (!quiet) afterChildEnded(ctx, flowScopeKey);
}

/* ---------- errors ---------- */

export type CaughtError =
  | { kind: 'boundary'; boundary: FlowNode; activity: ElementInstance }
  | { kind: 'eventSubprocess'; eventSubprocess: FlowNode; scope: ElementInstance };

/**
 * Finds the catch event for `code`, scope by scope from the throwing element outwards: the error event
 * subprocesses of each enclosing scope and the error boundary events of each enclosing activity, into the
 * calling process instance through call activities. In one place an exact code beats the catch-all.
 */
export function findErrorCatch(ctx: ProcessingContext, thrower: ElementInstance, code: string): CaughtError | undefined {
  let current: ElementInstance | undefined = thrower;
  let cameFromEventSubprocess = false;
  while (current) {
    const model = modelOf(ctx, current);
    const node = nodeOf(ctx, current);
    const inner = isInnerInstance(ctx, current);
    if (current !== thrower && !cameFromEventSubprocess) {
      const starts = eventSubprocessesOf(model, node)
        .map((id) => elementOf(model, id))
        .map((esp) => ({ esp, start: esp.startEvent ? elementOf(model, esp.startEvent) : undefined }))
        .filter((e) => e.start?.event === 'error');
      const match = starts.find((e) => e.start!.errorCode === code) ?? starts.find((e) => e.start!.errorCode === undefined);
      if (match) return { kind: 'eventSubprocess', eventSubprocess: match.esp, scope: current };
    }
    if (current.flowScopeKey !== undefined && !inner) {
      const boundaries = node.boundaries.map((id) => elementOf(model, id)).filter((b) => b.event === 'error');
      const match = boundaries.find((b) => b.errorCode === code) ?? boundaries.find((b) => b.errorCode === undefined);
      if (match) return { kind: 'boundary', boundary: match, activity: current };
    }
    cameFromEventSubprocess = node.kind === 'eventSubProcess';
    current =
      current.flowScopeKey !== undefined
        ? ctx.state.elementInstances.get(current.flowScopeKey)
        : current.parentElementInstanceKey
          ? ctx.state.elementInstances.get(current.parentElementInstanceKey)
          : undefined;
  }
  return undefined;
}

/** Activates an element in `scope` now (its ACTIVATING is written at once); the rest follows as a command. */
export function activateNow(
  ctx: ProcessingContext,
  scope: ElementInstance,
  elementId: string,
  extra: { interruptsFlowScope?: boolean; startAt?: string[]; startVariables?: Record<string, Record<string, unknown>> } = {},
): string {
  const model = modelOf(ctx, scope);
  const node = elementOf(model, elementId);
  const key = ctx.state.nextKey();
  const value: ElementValue = {
    elementId,
    bpmnElementType: BPMN_ELEMENT_TYPE[node.kind],
    flowScopeKey: scope.key,
    processInstanceKey: scope.processInstanceKey,
    processDefinitionKey: scope.processDefinitionKey,
    bpmnProcessId: scope.bpmnProcessId,
    version: scope.version,
    viaFlows: [],
  };
  if (extra.interruptsFlowScope) value.interruptsFlowScope = true;
  ctx.event('PROCESS_INSTANCE', 'ELEMENT_ACTIVATING', key, value);
  ctx.followUp({
    valueType: 'PROCESS_INSTANCE',
    intent: 'ACTIVATE_ELEMENT',
    key,
    value: {
      elementId,
      flowScopeKey: scope.key,
      processInstanceKey: scope.processInstanceKey,
      processDefinitionKey: scope.processDefinitionKey,
      viaFlows: [],
      epoch: scope.flowEpoch,
      ...(extra.startAt ? { startAt: extra.startAt } : {}),
      ...(extra.startVariables ? { startVariables: extra.startVariables } : {}),
    },
  });
  return key;
}

/**
 * Error boundary: terminates the activity and activates the boundary event with the thrown variables as its
 * locals. Error event subprocess: takes over its scope (interrupting), with the variables as its locals.
 */
export function catchError(ctx: ProcessingContext, caught: CaughtError, variables: Record<string, unknown>): void {
  if (caught.kind === 'boundary') {
    const scope = ctx.state.elementInstances.get(caught.activity.flowScopeKey!);
    if (!scope) return;
    const key = activateNow(ctx, scope, caught.boundary.id);
    setLocalVariables(ctx, key, scope.processInstanceKey, variables);
    terminate(ctx, caught.activity, true);
    return;
  }
  const { scope, eventSubprocess } = caught;
  const model = modelOf(ctx, scope);
  const inScope = new Set(eventSubprocessesOf(model, nodeOf(ctx, scope)));
  closeCatchEvents(ctx, scope.key, (id) => inScope.has(elementOf(model, id).scope ?? ''));
  const key = activateNow(ctx, scope, eventSubprocess.id, { interruptsFlowScope: true });
  setLocalVariables(ctx, key, scope.processInstanceKey, variables);
  for (const childKey of ctx.state.childrenOf(scope.key)) {
    const child = ctx.state.elementInstances.get(childKey);
    if (child && child.key !== key) terminate(ctx, child);
  }
}
