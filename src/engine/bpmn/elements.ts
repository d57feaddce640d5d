/**
 * The element lifecycle: one place per element kind for what happens when it is activated and completed.
 * Each step is a command (ACTIVATE_ELEMENT, COMPLETE_ELEMENT, TERMINATE_ELEMENT), so that an incident can stop
 * an element mid-way and ResolveIncident can run the failed step again.
 */
import {
  evaluateArray,
  evaluateBoolean,
  evaluateFeel,
  evaluateNumber,
  evaluateString,
} from '../feel/index.ts';
import { evaluateCalledDecision } from '../dmn/decisions.ts';
import type { ProcessingContext, ProcessingEngine } from '../processing/engine.ts';
import type { JobCreatedValue } from '../state/appliers.ts';
import type { Command } from '../state/records.ts';
import type { ElementInstance } from '../state/state.ts';
import {
  activateNow,
  afterChildEnded,
  applyInputMappings,
  applyOutputMappings,
  applyResultVariables,
  catchError,
  findErrorCatch,
  inclusiveJoinReady,
  isInnerInstance,
  isJoin,
  joinReady,
  mergeVariables,
  modelOf,
  nodeOf,
  queueActivation,
  raiseIncident,
  setLocalVariable,
  setLocalVariables,
  takeFlows,
  terminate,
  tokensInFlight,
  transition,
  type ActivateCommandValue,
} from './behaviours.ts';
import {
  catchElementsOf,
  closeCatchEvents,
  correlateMessage,
  fireTimer,
  openCatchEvents,
  rearm,
  setCatchEventHooks,
} from './events.ts';
import { createProcessInstance, onRootEnded } from './instances.ts';
import { BPMN_ELEMENT_TYPE, MULTI_INSTANCE_BODY, elementOf, flowOf, type FlowNode } from './model.ts';

export function registerElementProcessors(engine: ProcessingEngine): void {
  setCatchEventHooks({
    activateNow,
    terminate,
    completeWith: (ctx, instance, variables) => {
      applyResultVariables(ctx, instance, nodeOf(ctx, instance), variables);
      ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: instance.key, value: {} });
    },
    completeGatewayTowards: (ctx, gateway, eventId, variables) => {
      const node = nodeOf(ctx, gateway);
      const model = modelOf(ctx, gateway);
      const flow = node.outgoing.find((id) => flowOf(model, id).target === eventId);
      complete(ctx, gateway, node, flow ? [flow] : [], { eventVariables: variables });
    },
    applyEventVariables: applyResultVariables,
    raiseIncident,
    modelOf,
    nodeOf,
  });
  engine.register('PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', activateElement);
  engine.register('PROCESS_INSTANCE', 'COMPLETE_ELEMENT', completeElement);
  engine.register('PROCESS_INSTANCE', 'TERMINATE_ELEMENT', (command, ctx) => {
    const instance = ctx.state.elementInstances.get(command.key!);
    if (instance) terminate(ctx, instance);
  });
  engine.register('TIMER', 'TRIGGER', (command, ctx) => {
    const timer = ctx.state.timers.get(command.key!);
    if (!timer || timer.dueDate > ctx.now) {
      ctx.reject('NOT_FOUND', `Expected to trigger timer with key '${command.key}', but no such timer was found`);
      return;
    }
    if (timer.elementInstanceKey !== '-1') return fireTimer(ctx, timer);
    // A timer start event: a new instance of that process version; a cycle goes on.
    const { key: _k, ...value } = timer;
    ctx.event('TIMER', 'TRIGGERED', timer.key, value);
    const definition = ctx.state.process(timer.processDefinitionKey);
    if (!definition) return;
    rearm(ctx, timer);
    createProcessInstance(ctx, { definition, variables: {}, startElementId: timer.catchElementId });
  });
  engine.register('MESSAGE_SUBSCRIPTION', 'CORRELATE', (command, ctx) => {
    // A subscription that opened while a matching message waited in the buffer.
    const sub = ctx.state.subscriptions.get(command.key!);
    const message = ctx.state.messages.get(String(command.value.messageKey));
    if (!sub || !message || message.deadline <= ctx.now || message.correlatedProcesses.has(sub.bpmnProcessId)) return;
    correlateMessage(ctx, sub.key, message.key, message.variables);
  });
}

function activateElement(command: Command, ctx: ProcessingContext): void {
  const value = command.value as unknown as ActivateCommandValue;
  const key = command.key!;
  let instance = ctx.state.elementInstances.get(key);
  if (!instance) {
    // A new token: the flow scope must still be active and the token still valid.
    const scope = value.flowScopeKey ? ctx.state.elementInstances.get(value.flowScopeKey) : undefined;
    if (!scope || scope.state !== 'ACTIVATED' || scope.flowEpoch !== value.epoch) return;
    const model = modelOf(ctx, scope);
    const node = elementOf(model, value.elementId);
    let viaFlows = value.viaFlows;
    if (node.kind === 'parallelGateway' && isJoin(node) && !joinReady(scope, node)) return;
    if (node.kind === 'inclusiveGateway' && isJoin(node)) {
      const tokens = scope.joinTokens?.[node.id];
      if (!tokens) return;
      const attempts = value.joinCheck ?? 0;
      if (tokensInFlight(scope) > 0 && attempts < 1000) {
        // Tokens still on their way (queued in this batch) may reach the join: check again after them.
        queueActivation(ctx, scope, node.id, [], { joinCheck: attempts + 1 });
        return;
      }
      if (!inclusiveJoinReady(ctx, scope, node)) return;
      viaFlows = node.incoming.filter((flow) => (tokens[flow] ?? 0) > 0);
    }
    const body = node.multiInstance !== undefined && !value.inner;
    ctx.event('PROCESS_INSTANCE', 'ELEMENT_ACTIVATING', key, {
      elementId: node.id,
      bpmnElementType: body ? MULTI_INSTANCE_BODY : BPMN_ELEMENT_TYPE[node.kind],
      flowScopeKey: scope.key,
      processInstanceKey: scope.processInstanceKey,
      processDefinitionKey: scope.processDefinitionKey,
      bpmnProcessId: scope.bpmnProcessId,
      version: scope.version,
      viaFlows,
    });
    instance = ctx.state.elementInstances.get(key)!;
    if (value.localVariables) setLocalVariables(ctx, key, instance.processInstanceKey, value.localVariables);
  } else if (instance.state !== 'ACTIVATING') {
    return;
  }
  const node = nodeOf(ctx, instance);
  if (instance.multiInstance) return activateBody(ctx, instance, node);
  if (!applyInputMappings(ctx, instance, node)) return;
  onActivate(ctx, instance, node, value);
}

/** The element's boundary events (none on inner instances: their body has them). */
function boundariesOf(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): FlowNode[] {
  if (node.boundaries.length === 0 || isInnerInstance(ctx, instance)) return [];
  return catchElementsOf(modelOf(ctx, instance), node, 'boundaries');
}

/** Opens the element's boundary events, and `also` (its own event, for a receive task), in one go. */
function openBoundaries(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, also: FlowNode[] = []): boolean {
  return openCatchEvents(ctx, instance, [...also, ...boundariesOf(ctx, instance, node)], { instance, node });
}

function openEventSubprocesses(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): boolean {
  return openCatchEvents(ctx, instance, catchElementsOf(modelOf(ctx, instance), node, 'eventSubprocesses'), { instance, node });
}

function onActivate(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, value: ActivateCommandValue): void {
  if (value.eventVariables) {
    // A catch event after an event-based gateway whose event already fired.
    transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
    applyResultVariables(ctx, instance, node, value.eventVariables);
    return complete(ctx, instance, node);
  }
  switch (node.kind) {
    case 'process': {
      if (!openEventSubprocesses(ctx, instance, node)) return;
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      if (value.startAt?.length) return startWithin(ctx, instance, undefined, value.startAt, value.startVariables);
      const model = modelOf(ctx, instance);
      const start = value.startElementId ?? model.noneStartEvent;
      if (!start) throw new Error(`process '${model.bpmnProcessId}' has no start event to enter`);
      queueActivation(ctx, instance, start, []);
      return;
    }
    case 'subProcess':
    case 'eventSubProcess':
      if (!openBoundaries(ctx, instance, node)) return;
      if (!openEventSubprocesses(ctx, instance, node)) return;
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      if (value.startAt?.length) return startWithin(ctx, instance, node.id, value.startAt, value.startVariables);
      queueActivation(ctx, instance, node.startEvent!, []);
      return;
    case 'callActivity':
      if (!openBoundaries(ctx, instance, node)) return;
      return callProcess(ctx, instance, node);
    case 'serviceTask':
    case 'sendTask':
    case 'scriptTask':
    case 'businessRuleTask':
      if (!openBoundaries(ctx, instance, node)) return;
      if (node.script) return runScript(ctx, instance, node);
      if (node.calledDecision) return evaluateDecisionTask(ctx, instance, node);
      return createJob(ctx, instance, node);
    case 'receiveTask':
      if (!openBoundaries(ctx, instance, node, [node])) return;
      return transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
    case 'intermediateCatchEvent':
      if (!openCatchEvents(ctx, instance, [node], { instance, node })) return;
      return transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
    case 'eventBasedGateway':
      if (!openCatchEvents(ctx, instance, catchElementsOf(modelOf(ctx, instance), node, 'gateway'), { instance, node })) return;
      return transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
    case 'exclusiveGateway':
      return chooseFlows(ctx, instance, node, false);
    case 'inclusiveGateway':
      return chooseFlows(ctx, instance, node, true);
    case 'intermediateThrowEvent':
    case 'endEvent':
      if (node.event === 'error') return throwErrorEvent(ctx, instance, node);
      if (node.job) return createJob(ctx, instance, node);
      if (node.event === 'signal') return throwSignal(ctx, instance, node);
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      return complete(ctx, instance, node);
    case 'task':
    case 'manualTask':
      if (!openBoundaries(ctx, instance, node)) return;
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      return complete(ctx, instance, node);
    default:
      // Start events, parallel gateways, boundary events.
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      return complete(ctx, instance, node);
  }
}

/**
 * Start instructions: activates the targets that are direct children of this scope, and the subprocesses on
 * the way to the others (each started at its own targets instead of its start event).
 */
function startWithin(
  ctx: ProcessingContext,
  scope: ElementInstance,
  scopeId: string | undefined,
  targets: string[],
  variables?: Record<string, Record<string, unknown>>,
): void {
  const model = modelOf(ctx, scope);
  const nested = new Map<string, string[]>();
  const locals = (id: string): Partial<ActivateCommandValue> => (variables?.[id] ? { localVariables: variables[id] } : {});
  for (const target of targets) {
    let child = elementOf(model, target);
    while (child.scope !== scopeId && child.scope !== undefined) child = elementOf(model, child.scope);
    if (child.id === target) queueActivation(ctx, scope, target, [], locals(target));
    else nested.set(child.id, [...(nested.get(child.id) ?? []), target]);
  }
  for (const [subprocess, inner] of nested) {
    queueActivation(ctx, scope, subprocess, [], { startAt: inner, ...(variables ? { startVariables: variables } : {}), ...locals(subprocess) });
  }
}

function completeElement(command: Command, ctx: ProcessingContext): void {
  const instance = ctx.state.elementInstances.get(command.key!);
  if (!instance || (instance.state !== 'ACTIVATED' && instance.state !== 'COMPLETING')) return;
  // A scope completes only once nothing is left in it (a guard against a stale completion).
  if (instance.activeChildren > 0) return;
  complete(ctx, instance, nodeOf(ctx, instance));
}

/** Completes an element: output mappings, clean-up, then its outgoing flows (or the scope's completion). */
function complete(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, flows?: string[], extra: Partial<ActivateCommandValue> = {}): void {
  if (instance.state === 'ACTIVATED') transition(ctx, instance, node, 'ELEMENT_COMPLETING');
  if (instance.multiInstance) return completeBody(ctx, instance, node);
  if (!applyOutputMappings(ctx, instance, node)) return;
  closeCatchEvents(ctx, instance.key);
  const flowScopeKey = instance.flowScopeKey;
  if (flowScopeKey === undefined) {
    completeProcess(ctx, instance, node);
    return;
  }
  if (isInnerInstance(ctx, instance)) return completeInner(ctx, instance, node);
  const terminates = (node.kind === 'endEvent' && node.event === 'terminate');
  transition(ctx, instance, node, 'ELEMENT_COMPLETED', terminates ? { dropsFlowScopeTokens: true } : {});
  const scope = ctx.state.elementInstances.get(flowScopeKey);
  if (!scope) return;
  if (terminates) {
    for (const childKey of ctx.state.childrenOf(scope.key)) {
      const child = ctx.state.elementInstances.get(childKey);
      if (child) terminate(ctx, child);
    }
    afterChildEnded(ctx, scope.key);
    return;
  }
  const outgoing = flows ?? node.outgoing;
  if (outgoing.length > 0) takeFlows(ctx, scope, outgoing, extra);
  else afterChildEnded(ctx, scope.key);
}

function completeProcess(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const root = { ...instance };
  const all = ctx.state.visibleVariables(instance.key);
  if (instance.awaitingResult) {
    const names = instance.awaitingResult.fetchVariables;
    const variables = names.length === 0 ? all : Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]]));
    ctx.event('PROCESS_INSTANCE_RESULT', 'COMPLETED', instance.key, {
      processInstanceKey: instance.key,
      processDefinitionKey: instance.processDefinitionKey,
      bpmnProcessId: instance.bpmnProcessId,
      version: instance.version,
      variables,
    });
  }
  transition(ctx, instance, node, 'ELEMENT_COMPLETED');
  onRootEnded(ctx, root);
  // A called process instance completed: its call activity takes the variables and completes.
  const caller = root.parentElementInstanceKey ? ctx.state.elementInstances.get(root.parentElementInstanceKey) : undefined;
  if (caller?.state !== 'ACTIVATED') return;
  const callerNode = nodeOf(ctx, caller);
  // Without propagateAllChildVariables, the output mappings still read the child's variables: only what they map leaves.
  if (callerNode.calledElement?.propagateAllChildVariables !== false || callerNode.outputs.length > 0) applyResultVariables(ctx, caller, callerNode, all);
  ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: caller.key, value: {} });
}

/* ---------- multi-instance ---------- */

function activateBody(ctx: ProcessingContext, body: ElementInstance, node: FlowNode): void {
  const mi = node.multiInstance!;
  const collection = evaluateArray(mi.inputCollection, ctx.state.visibleVariables(body.key), ctx.now);
  if (!collection.ok) return raiseIncident(ctx, body, node, 'EXTRACT_VALUE_ERROR', collection.message);
  if (!openBoundaries(ctx, body, node)) return;
  const items = collection.value;
  transition(ctx, body, node, 'ELEMENT_ACTIVATED', { multiInstanceTotal: items.length });
  if (mi.outputCollection) setLocalVariable(ctx, body.key, body.processInstanceKey, mi.outputCollection, items.map(() => null));
  if (items.length === 0) return complete(ctx, body, node);
  const count = mi.sequential ? 1 : items.length;
  for (let i = 0; i < count; i++) queueInner(ctx, body, node, i, items[i]);
}

function queueInner(ctx: ProcessingContext, body: ElementInstance, node: FlowNode, index: number, item: unknown): void {
  const mi = node.multiInstance!;
  const locals: Record<string, unknown> = {};
  if (mi.inputElement) locals[mi.inputElement] = item;
  locals.loopCounter = index + 1;
  // An output element that is a plain variable is made local, so a result of that name stays in the instance.
  if (mi.outputElement && /^[A-Za-z_]\w*$/.test(mi.outputElement) && !(mi.outputElement in locals)) locals[mi.outputElement] = null;
  queueActivation(ctx, body, node.id, [], { inner: true, localVariables: locals });
}

function completeInner(ctx: ProcessingContext, inner: ElementInstance, node: FlowNode): void {
  const mi = node.multiInstance!;
  const body = ctx.state.elementInstances.get(inner.flowScopeKey!)!;
  const vars = ctx.state.visibleVariables(inner.key);
  const loopCounter = Number(ctx.state.variables.get(inner.key)?.get('loopCounter') ?? 1);
  if (mi.outputCollection && mi.outputElement) {
    const element = evaluateFeel(mi.outputElement, vars, ctx.now);
    if (!element.ok) return raiseIncident(ctx, inner, node, 'EXTRACT_VALUE_ERROR', element.message);
    const current = ctx.state.variables.get(body.key)?.get(mi.outputCollection);
    const collection = Array.isArray(current) ? [...(current as unknown[])] : [];
    collection[loopCounter - 1] = element.value;
    setLocalVariable(ctx, body.key, body.processInstanceKey, mi.outputCollection, collection);
  }
  let done = false;
  if (mi.completionCondition) {
    const counts = body.multiInstance!;
    const condition = evaluateBoolean(
      mi.completionCondition,
      {
        ...vars,
        numberOfInstances: counts.total,
        numberOfActiveInstances: body.activeChildren - 1,
        numberOfCompletedInstances: counts.completed + 1,
        numberOfTerminatedInstances: counts.terminated,
      },
      ctx.now,
    );
    if (!condition.ok) return raiseIncident(ctx, inner, node, 'EXTRACT_VALUE_ERROR', condition.message);
    done = condition.value;
  }
  transition(ctx, inner, node, 'ELEMENT_COMPLETED');
  if (done) {
    const others = ctx.state.childrenOf(body.key);
    for (const key of others) {
      const other = ctx.state.elementInstances.get(key);
      if (other) terminate(ctx, other);
    }
    if (others.length === 0) afterChildEnded(ctx, body.key);
    return;
  }
  if (mi.sequential && loopCounter < body.multiInstance!.total) {
    const collection = evaluateArray(mi.inputCollection, ctx.state.visibleVariables(body.key), ctx.now);
    if (!collection.ok) return raiseIncident(ctx, body, node, 'EXTRACT_VALUE_ERROR', collection.message);
    return queueInner(ctx, body, node, loopCounter, collection.value[loopCounter]);
  }
  afterChildEnded(ctx, body.key);
}

function completeBody(ctx: ProcessingContext, body: ElementInstance, node: FlowNode): void {
  closeCatchEvents(ctx, body.key);
  const mi = node.multiInstance!;
  if (mi.outputCollection && body.flowScopeKey) {
    const collection = ctx.state.variables.get(body.key)?.get(mi.outputCollection) ?? [];
    mergeVariables(ctx, body.flowScopeKey, body.processInstanceKey, { [mi.outputCollection]: collection });
  }
  transition(ctx, body, node, 'ELEMENT_COMPLETED');
  const scope = body.flowScopeKey ? ctx.state.elementInstances.get(body.flowScopeKey) : undefined;
  if (!scope) return;
  if (node.outgoing.length > 0) takeFlows(ctx, scope, node.outgoing);
  else afterChildEnded(ctx, scope.key);
}

/* ---------- element kinds ---------- */

function createJob(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const job = node.job!;
  const vars = () => ctx.state.visibleVariables(instance.key);
  let type = job.type;
  if (job.typeIsExpression) {
    const result = evaluateString(job.type, vars(), ctx.now);
    if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
    type = result.value;
  }
  let retries: number;
  if (job.retriesIsExpression) {
    const result = evaluateNumber(job.retries, vars(), ctx.now);
    if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
    retries = Math.trunc(result.value);
  } else {
    retries = Number.parseInt(job.retries, 10);
  }
  const value: JobCreatedValue = {
    type,
    retries,
    customHeaders: job.headers,
    elementInstanceKey: instance.key,
    elementId: node.id,
    processInstanceKey: instance.processInstanceKey,
    processDefinitionKey: instance.processDefinitionKey,
    bpmnProcessId: instance.bpmnProcessId,
    version: instance.version,
    tenantId: '<default>',
  };
  ctx.event('JOB', 'CREATED', ctx.state.nextKey(), value);
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
}

function runScript(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const script = node.script!;
  const result = evaluateFeel(script.expression, ctx.state.visibleVariables(instance.key), ctx.now);
  if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  applyResultVariables(ctx, instance, node, { [script.resultVariable]: result.value });
  complete(ctx, instance, node);
}

/** A business rule task with `zeebe:calledDecision`: the latest version of the decision, its result in `resultVariable`. */
function evaluateDecisionTask(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const called = node.calledDecision!;
  const variables = ctx.state.visibleVariables(instance.key);
  let decisionId = called.decisionId;
  if (called.decisionIdIsExpression) {
    const id = evaluateString(decisionId, variables, ctx.now);
    if (!id.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', id.message);
    decisionId = id.value;
  }
  const result = evaluateCalledDecision(ctx.state, decisionId, variables, ctx.now);
  if (!result.ok && result.errorType === 'CALLED_DECISION_ERROR') return raiseIncident(ctx, instance, node, result.errorType, result.message);
  ctx.event('DECISION_EVALUATION', result.intent, ctx.state.nextKey(), {
    ...result.evaluation,
    bpmnProcessId: instance.bpmnProcessId,
    processDefinitionKey: instance.processDefinitionKey,
    processInstanceKey: instance.processInstanceKey,
    elementId: instance.elementId,
    elementInstanceKey: instance.key,
  });
  if (!result.ok) return raiseIncident(ctx, instance, node, result.errorType, result.message);
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  applyResultVariables(ctx, instance, node, { [called.resultVariable]: result.output });
  complete(ctx, instance, node);
}

function callProcess(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const called = node.calledElement!;
  let processId = called.processId;
  if (called.processIdIsExpression) {
    const result = evaluateString(processId, ctx.state.visibleVariables(instance.key), ctx.now);
    if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
    processId = result.value;
  }
  const definition = ctx.state.latestProcess(processId);
  if (!definition) {
    return raiseIncident(ctx, instance, node, 'CALLED_ELEMENT_ERROR', `Expected process with BPMN process id '${processId}' to be deployed, but not found.`);
  }
  if (!definition.model.noneStartEvent) {
    return raiseIncident(ctx, instance, node, 'CALLED_ELEMENT_ERROR', `Expected process with BPMN process id '${processId}' to have a none start event, but not found.`);
  }
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  const variables = called.propagateAllParentVariables
    ? ctx.state.visibleVariables(instance.key)
    : Object.fromEntries(ctx.state.variables.get(instance.key) ?? []);
  createProcessInstance(ctx, {
    definition,
    variables,
    startElementId: undefined,
    parent: { processInstanceKey: instance.processInstanceKey, elementInstanceKey: instance.key },
  });
}

const NO_CONDITION_MATCHED = 'Expected at least one condition to evaluate to true, or to have a default flow';

/** Exclusive gateways take the first flow whose condition holds; inclusive ones every such flow. */
function chooseFlows(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, inclusive: boolean): void {
  const model = modelOf(ctx, instance);
  const chosen: string[] = [];
  if (node.outgoing.length === 1 && !flowOf(model, node.outgoing[0]!).condition) {
    chosen.push(node.outgoing[0]!);
  } else if (node.outgoing.length > 0) {
    const vars = ctx.state.visibleVariables(instance.key);
    for (const flowId of node.outgoing) {
      if (flowId === node.defaultFlow) continue;
      const condition = flowOf(model, flowId).condition;
      if (!condition) continue;
      const result = evaluateBoolean(condition, vars, ctx.now);
      if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
      if (result.value) {
        chosen.push(flowId);
        if (!inclusive) break;
      }
    }
    if (chosen.length === 0 && node.defaultFlow) chosen.push(node.defaultFlow);
    if (chosen.length === 0) return raiseIncident(ctx, instance, node, 'CONDITION_ERROR', NO_CONDITION_MATCHED);
  }
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  complete(ctx, instance, node, chosen);
}

function throwSignal(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  let name = node.signal!.name;
  if (node.signal!.nameIsExpression) {
    const result = evaluateString(name, ctx.state.visibleVariables(instance.key), ctx.now);
    if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
    name = result.value;
  }
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  // The signal carries the event's local variables (set by its input mappings).
  const variables = Object.fromEntries(ctx.state.variables.get(instance.key) ?? []);
  ctx.followUp({ valueType: 'SIGNAL', intent: 'BROADCAST', value: { signalName: name, variables } });
  complete(ctx, instance, node);
}

function throwErrorEvent(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const code = node.errorCode ?? '';
  const caught = findErrorCatch(ctx, instance, code);
  if (!caught) {
    return raiseIncident(ctx, instance, node, 'UNHANDLED_ERROR_EVENT', unhandledErrorMessage(code, ''));
  }
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  catchError(ctx, caught, {});
}

export function unhandledErrorMessage(code: string, message: string): string {
  const withMessage = message ? ` with message '${message}'` : '';
  return `Expected to throw an error event with the code '${code}'${withMessage}, but it was not caught. No error events are available in the scope.`;
}
