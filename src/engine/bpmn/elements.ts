/**
 * The element lifecycle: one place per element kind for what happens when it is activated and completed.
 * Each step is a command (ACTIVATE_ELEMENT, COMPLETE_ELEMENT, TERMINATE_ELEMENT), so that an incident can stop
 * an element mid-way and ResolveIncident can run the failed step again.
 */
import {
  evaluateBoolean,
  evaluateFeel,
  evaluateNumber,
  evaluateString,
  evaluateStringOrNumberAsString,
} from '../feel/index.ts';
import type { ProcessingContext, ProcessingEngine } from '../processing/engine.ts';
import type { JobCreatedValue, SubscriptionValue } from '../state/appliers.ts';
import type { Command } from '../state/records.ts';
import { correlationIndexKey, type ElementInstance } from '../state/state.ts';
import {
  afterChildEnded,
  applyInputMappings,
  applyOutputMappings,
  applyResultVariables,
  catchError,
  closeSubscription,
  correlateSubscription,
  findErrorCatch,
  joinReady,
  modelOf,
  nodeOf,
  raiseIncident,
  setLocalVariables,
  takeFlows,
  terminate,
  transition,
  type ActivateCommandValue,
} from './behaviours.ts';
import { onRootEnded } from './instances.ts';
import { BPMN_ELEMENT_TYPE, elementOf, flowOf, type FlowNode } from './model.ts';

export function registerElementProcessors(engine: ProcessingEngine): void {
  engine.register('PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', activateElement);
  engine.register('PROCESS_INSTANCE', 'COMPLETE_ELEMENT', completeElement);
  engine.register('PROCESS_INSTANCE', 'TERMINATE_ELEMENT', (command, ctx) => {
    const instance = ctx.state.elementInstances.get(command.key!);
    if (instance) terminate(ctx, instance);
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
    if (node.kind === 'parallelGateway' && node.incoming.length > 1 && !joinReady(scope, node)) return;
    ctx.event('PROCESS_INSTANCE', 'ELEMENT_ACTIVATING', key, {
      elementId: node.id,
      bpmnElementType: BPMN_ELEMENT_TYPE[node.kind],
      flowScopeKey: scope.key,
      processInstanceKey: scope.processInstanceKey,
      processDefinitionKey: scope.processDefinitionKey,
      bpmnProcessId: scope.bpmnProcessId,
      version: scope.version,
      viaFlows: value.viaFlows,
    });
    instance = ctx.state.elementInstances.get(key)!;
    if (value.localVariables) setLocalVariables(ctx, key, instance.processInstanceKey, value.localVariables);
  } else if (instance.state !== 'ACTIVATING') {
    return;
  }
  const node = nodeOf(ctx, instance);
  if (!applyInputMappings(ctx, instance, node)) return;
  onActivate(ctx, instance, node, value);
}

function onActivate(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, value: ActivateCommandValue): void {
  switch (node.kind) {
    case 'process': {
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      const model = modelOf(ctx, instance);
      const start = value.startElementId ?? model.noneStartEvent;
      if (!start) throw new Error(`process '${model.bpmnProcessId}' has no start event to enter`);
      ctx.followUp({
        valueType: 'PROCESS_INSTANCE',
        intent: 'ACTIVATE_ELEMENT',
        key: ctx.state.nextKey(),
        value: { ...activation(instance, start) },
      });
      return;
    }
    case 'serviceTask':
    case 'sendTask':
    case 'scriptTask':
    case 'businessRuleTask':
      if (node.script) return runScript(ctx, instance, node);
      return createJob(ctx, instance, node);
    case 'receiveTask':
    case 'intermediateCatchEvent':
      return openSubscription(ctx, instance, node);
    case 'exclusiveGateway':
      return chooseFlow(ctx, instance, node);
    case 'endEvent':
      if (node.event === 'error') return throwErrorEvent(ctx, instance, node);
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      return complete(ctx, instance, node);
    default:
      // Start events, parallel gateways, none throw events, undefined and manual tasks, boundary events.
      transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
      return complete(ctx, instance, node);
  }
}

function activation(scope: ElementInstance, elementId: string): ActivateCommandValue {
  return {
    elementId,
    flowScopeKey: scope.key,
    processInstanceKey: scope.processInstanceKey,
    processDefinitionKey: scope.processDefinitionKey,
    viaFlows: [],
    epoch: scope.flowEpoch,
  };
}

function completeElement(command: Command, ctx: ProcessingContext): void {
  const instance = ctx.state.elementInstances.get(command.key!);
  if (!instance || (instance.state !== 'ACTIVATED' && instance.state !== 'COMPLETING')) return;
  const node = nodeOf(ctx, instance);
  complete(ctx, instance, node);
}

/** Completes an element: output mappings, clean-up, then its outgoing flows (or the scope's completion). */
function complete(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, flows?: string[]): void {
  if (instance.state === 'ACTIVATED') transition(ctx, instance, node, 'ELEMENT_COMPLETING');
  if (!applyOutputMappings(ctx, instance, node)) return;
  closeSubscription(ctx, instance);
  const flowScopeKey = instance.flowScopeKey;
  if (flowScopeKey === undefined) {
    completeProcess(ctx, instance, node);
    return;
  }
  const terminates = node.kind === 'endEvent' && node.event === 'terminate';
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
  if (outgoing.length > 0) takeFlows(ctx, scope, outgoing);
  else afterChildEnded(ctx, scope.key);
}

function completeProcess(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const root = { ...instance };
  if (instance.awaitingResult) {
    const all = ctx.state.visibleVariables(instance.key);
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

function openSubscription(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const message = node.message!;
  const vars = ctx.state.visibleVariables(instance.key);
  let name = message.name;
  if (message.nameIsExpression) {
    const result = evaluateString(message.name, vars, ctx.now);
    if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
    name = result.value;
  }
  let correlationKey = message.correlationKey ?? '';
  if (message.correlationKeyIsExpression) {
    const result = evaluateStringOrNumberAsString(correlationKey, vars, ctx.now);
    if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
    correlationKey = result.value;
  }
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  const sub: SubscriptionValue = {
    elementInstanceKey: instance.key,
    processInstanceKey: instance.processInstanceKey,
    bpmnProcessId: instance.bpmnProcessId,
    messageName: name,
    correlationKey,
  };
  ctx.event('MESSAGE_SUBSCRIPTION', 'CREATED', ctx.state.nextKey(), sub);
  // The oldest buffered message that has not yet correlated to this process.
  for (const messageKey of ctx.state.messagesByCorrelation.get(correlationIndexKey(name, correlationKey)) ?? []) {
    const buffered = ctx.state.messages.get(messageKey);
    if (!buffered || buffered.deadline <= ctx.now || buffered.correlatedProcesses.has(instance.bpmnProcessId)) continue;
    correlateSubscription(ctx, instance.key, buffered.key, buffered.variables);
    return;
  }
}

const NO_CONDITION_MATCHED = 'Expected at least one condition to evaluate to true, or to have a default flow';

function chooseFlow(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode): void {
  const model = modelOf(ctx, instance);
  let chosen: string | undefined;
  if (node.outgoing.length === 1 && !flowOf(model, node.outgoing[0]!).condition) {
    chosen = node.outgoing[0];
  } else if (node.outgoing.length > 0) {
    const vars = ctx.state.visibleVariables(instance.key);
    for (const flowId of node.outgoing) {
      if (flowId === node.defaultFlow) continue;
      const condition = flowOf(model, flowId).condition;
      if (!condition) continue;
      const result = evaluateBoolean(condition, vars, ctx.now);
      if (!result.ok) return raiseIncident(ctx, instance, node, 'EXTRACT_VALUE_ERROR', result.message);
      if (result.value) {
        chosen = flowId;
        break;
      }
    }
    chosen ??= node.defaultFlow;
    if (!chosen) return raiseIncident(ctx, instance, node, 'CONDITION_ERROR', NO_CONDITION_MATCHED);
  }
  transition(ctx, instance, node, 'ELEMENT_ACTIVATED');
  complete(ctx, instance, node, chosen ? [chosen] : []);
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

