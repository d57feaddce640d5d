/**
 * ModifyProcessInstance: activate elements and terminate element instances of a running process instance,
 * to repair it (move a token past a stuck step, repeat a step). Every instruction is checked before anything
 * is written; then activations run (input mappings included), then terminations. A flow scope left with
 * nothing active by a termination is terminated as well, up to the process instance.
 */
import { activateNow, modelOf, setLocalVariables, terminate } from '../bpmn/behaviours.ts';
import { elementOf, type FlowNode, type ProcessModel } from '../bpmn/model.ts';
import type { ElementInstance } from '../state/state.ts';
import type { ProcessingContext, ProcessingEngine } from './engine.ts';

export interface ModificationValue {
  processInstanceKey: string;
  activateInstructions: {
    elementId: string;
    /** '-1' or '0' (or empty): the one active instance of the element's flow scope. */
    ancestorElementInstanceKey: string;
    variableInstructions: { variables: Record<string, unknown>; scopeId: string }[];
  }[];
  terminateInstructions: { elementInstanceKey: string }[];
}

/** Kinds that cannot be activated directly (as in Zeebe). */
const NOT_ACTIVATABLE = new Set(['startEvent', 'boundaryEvent']);

export function registerModificationProcessor(engine: ProcessingEngine): void {
  engine.register('PROCESS_INSTANCE_MODIFICATION', 'MODIFY', (command, ctx) => {
    const v = command.value as unknown as ModificationValue;
    const root = ctx.state.elementInstances.get(v.processInstanceKey);
    if (!root || root.flowScopeKey !== undefined || root.state !== 'ACTIVATED') {
      ctx.reject('NOT_FOUND', `Expected to modify process instance but no process instance found with key '${v.processInstanceKey}'`);
      return;
    }
    const model = modelOf(ctx, root);
    const reject = (reason: string) =>
      ctx.reject('INVALID_ARGUMENT', `Expected to modify instance of process '${root.bpmnProcessId}' but it contains one or more ${reason}`);

    // Check everything first: a rejection must leave nothing behind.
    const activations: { node: FlowNode; scope: ElementInstance; variables: { scope: string | undefined; vars: Record<string, unknown> }[] }[] = [];
    for (const instruction of v.activateInstructions) {
      const node = model.elements[instruction.elementId];
      if (!node) return reject(`activate instructions with an element that could not be found: '${instruction.elementId}'`);
      if (NOT_ACTIVATABLE.has(node.kind)) {
        return reject(`activate instructions with an element that is unsupported: '${instruction.elementId}' (${node.kind})`);
      }
      if (insideMultiInstance(model, node)) {
        ctx.reject('INVALID_STATE', `Expected to modify instance of process '${root.bpmnProcessId}' but it contains one or more activate instructions for an element inside a multi-instance: '${node.id}'`);
      }
      const scope = flowScopeFor(ctx, root, node, instruction.ancestorElementInstanceKey);
      if (typeof scope === 'string') return reject(scope);
      const variables: { scope: string | undefined; vars: Record<string, unknown> }[] = [];
      for (const vi of instruction.variableInstructions ?? []) {
        const scopeId = vi.scopeId ?? '';
        if (scopeId !== '' && scopeId !== node.id && !ancestorsOf(model, node).includes(scopeId)) {
          return reject(`variable instructions with a scope id that could not be found: '${scopeId}' (it must be the element or one of its flow scopes)`);
        }
        variables.push({ scope: scopeId, vars: vi.variables ?? {} });
      }
      activations.push({ node, scope, variables });
    }
    const terminations: ElementInstance[] = [];
    for (const instruction of v.terminateInstructions) {
      const instance = ctx.state.elementInstances.get(instruction.elementInstanceKey);
      if (!instance || instance.processInstanceKey !== root.key || instance.flowScopeKey === undefined || instance.state === 'TERMINATING') {
        return reject(`terminate instructions with an element instance that could not be found: '${instruction.elementInstanceKey}'`);
      }
      terminations.push(instance);
    }

    const activated = new Set<string>();
    for (const { node, scope, variables } of activations) {
      for (const { scope: scopeId, vars } of variables) {
        if (!scopeId || scopeId === root.elementId) setLocalVariables(ctx, root.key, root.key, vars);
        else if (scopeId !== node.id) setLocalVariables(ctx, scopeInstanceOf(ctx, scope, scopeId)?.key ?? root.key, root.key, vars);
      }
      const key = activateNow(ctx, scope, node.id);
      activated.add(key);
      for (const { scope: scopeId, vars } of variables) if (scopeId === node.id) setLocalVariables(ctx, key, root.key, vars);
    }
    const scopes = new Set<string>();
    for (const instance of terminations) {
      const current = ctx.state.elementInstances.get(instance.key);
      if (!current || current.state === 'TERMINATING') continue;
      if (current.flowScopeKey) scopes.add(current.flowScopeKey);
      terminate(ctx, current, true);
    }
    // Flow scopes left empty are terminated too (the process instance included).
    for (const scopeKey of scopes) terminateIfEmpty(ctx, scopeKey);
    ctx.event('PROCESS_INSTANCE_MODIFICATION', 'MODIFIED', root.key, { ...v });
    ctx.respond({});
  });
}

function terminateIfEmpty(ctx: ProcessingContext, scopeKey: string): void {
  const scope = ctx.state.elementInstances.get(scopeKey);
  if (!scope || scope.state !== 'ACTIVATED' || scope.activeChildren > 0 || scope.activeFlows > 0) return;
  const parent = scope.flowScopeKey;
  terminate(ctx, scope, true);
  if (parent) terminateIfEmpty(ctx, parent);
}

function ancestorsOf(model: ProcessModel, node: FlowNode): string[] {
  const out: string[] = [];
  let scope = node.scope;
  while (scope) {
    out.push(scope);
    scope = elementOf(model, scope).scope;
  }
  return out;
}

function insideMultiInstance(model: ProcessModel, node: FlowNode): boolean {
  return ancestorsOf(model, node).some((id) => elementOf(model, id).multiInstance !== undefined);
}

/** The active instance of `scopeId` at or above `from`. */
function scopeInstanceOf(ctx: ProcessingContext, from: ElementInstance, scopeId: string): ElementInstance | undefined {
  let current: ElementInstance | undefined = from;
  while (current && current.elementId !== scopeId) current = current.flowScopeKey ? ctx.state.elementInstances.get(current.flowScopeKey) : undefined;
  return current;
}

/** The element instance the element is activated in, or why there is none. */
function flowScopeFor(ctx: ProcessingContext, root: ElementInstance, node: FlowNode, ancestorKey: string): ElementInstance | string {
  if (node.scope === undefined) return root;
  const candidates = [...ctx.state.elementInstances.values()].filter(
    (i) => i.processInstanceKey === root.key && i.elementId === node.scope && i.state === 'ACTIVATED' && i.multiInstance === undefined,
  );
  const ancestor = ancestorKey && ancestorKey !== '-1' && ancestorKey !== '0' ? ancestorKey : undefined;
  if (ancestor) {
    const within = candidates.filter((c) => c.key === ancestor || isDescendant(ctx, c, ancestor));
    if (within.length === 1) return within[0]!;
    return `activate instructions with an ancestor element instance that could not be found or is not a flow scope of '${node.id}': '${ancestor}'`;
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    return `activate instructions for an element whose flow scope '${node.scope}' is not active: '${node.id}' (forager's engine does not create flow scopes; activate '${node.scope}' instead)`;
  }
  return `activate instructions for an element that has a flow scope with more than one active instance: '${node.id}'. Can't decide in which instance of the flow scope the element should be activated. Please specify an ancestor element instance key for this activate instruction.`;
}

function isDescendant(ctx: ProcessingContext, instance: ElementInstance, ancestorKey: string): boolean {
  let current = instance.flowScopeKey;
  while (current) {
    if (current === ancestorKey) return true;
    current = ctx.state.elementInstances.get(current)?.flowScopeKey;
  }
  return false;
}
