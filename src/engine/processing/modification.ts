/**
 * ModifyProcessInstance: activate elements and terminate element instances of a running process instance,
 * to repair it (move a token past a stuck step, repeat a step). Every instruction is checked before anything
 * is written; then activations run (input mappings included), then terminations. A flow scope left with
 * nothing active by a termination is terminated as well, up to the process instance.
 *
 * An element whose flow scope has no active instance is activated in a new one, as Zeebe does: the missing
 * scopes are created below the nearest active one (or below the given ancestor), each entered at the element
 * instead of its start event. Instructions aimed into the same missing scope share one new instance of it.
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
    const activations: {
      node: FlowNode;
      scope: ElementInstance;
      /** The flow scopes to create in `scope`, the element's own first (none when it has an active instance). */
      missing: string[];
      variables: { scope: string | undefined; vars: Record<string, unknown> }[];
    }[] = [];
    for (const instruction of v.activateInstructions) {
      const node = model.elements[instruction.elementId];
      if (!node) return reject(`activate instructions with an element that could not be found: '${instruction.elementId}'`);
      if (NOT_ACTIVATABLE.has(node.kind)) {
        return reject(`activate instructions with an element that is unsupported: '${instruction.elementId}' (${node.kind})`);
      }
      if (insideMultiInstance(model, node)) {
        ctx.reject('INVALID_STATE', `Expected to modify instance of process '${root.bpmnProcessId}' but it contains one or more activate instructions for an element inside a multi-instance: '${node.id}'`);
        return;
      }
      const found = flowScopeFor(ctx, model, root, node, instruction.ancestorElementInstanceKey);
      if (typeof found === 'string') return reject(found);
      const variables: { scope: string | undefined; vars: Record<string, unknown> }[] = [];
      for (const vi of instruction.variableInstructions ?? []) {
        const scopeId = vi.scopeId ?? '';
        if (scopeId !== '' && scopeId !== node.id && !ancestorsOf(model, node).includes(scopeId)) {
          return reject(`variable instructions with a scope id that could not be found: '${scopeId}' (it must be the element or one of its flow scopes)`);
        }
        variables.push({ scope: scopeId, vars: vi.variables ?? {} });
      }
      activations.push({ node, scope: found.scope, missing: found.missing, variables });
    }
    const terminations: ElementInstance[] = [];
    for (const instruction of v.terminateInstructions) {
      const instance = ctx.state.elementInstances.get(instruction.elementInstanceKey);
      if (!instance || instance.processInstanceKey !== root.key || instance.flowScopeKey === undefined || instance.state === 'TERMINATING') {
        return reject(`terminate instructions with an element instance that could not be found: '${instruction.elementInstanceKey}'`);
      }
      terminations.push(instance);
    }

    // Elements in new flow scopes: one new instance of the topmost missing scope per existing scope, entered at
    // all the elements aimed into it; locals of the element and of created scopes go with the activation.
    const created = new Map<string, { scope: ElementInstance; create: string; targets: string[]; locals: Record<string, Record<string, unknown>> }>();
    for (const { node, scope, missing, variables } of activations) {
      for (const { scope: scopeId, vars } of variables) {
        if (!scopeId || scopeId === root.elementId) setLocalVariables(ctx, root.key, root.key, vars);
        else if (scopeId !== node.id && !missing.includes(scopeId)) setLocalVariables(ctx, scopeInstanceOf(ctx, scope, scopeId)?.key ?? root.key, root.key, vars);
      }
      const ownLocals = (id: string) => variables.filter((vi) => vi.scope === id).reduce<Record<string, unknown>>((all, vi) => ({ ...all, ...vi.vars }), {});
      const create = missing.at(-1);
      if (create === undefined) {
        const key = activateNow(ctx, scope, node.id);
        const locals = ownLocals(node.id);
        if (Object.keys(locals).length > 0) setLocalVariables(ctx, key, root.key, locals);
        continue;
      }
      const group = created.get(`${scope.key}/${create}`) ?? { scope, create, targets: [], locals: {} };
      created.set(`${scope.key}/${create}`, group);
      group.targets.push(node.id);
      for (const id of [node.id, ...missing]) {
        const locals = ownLocals(id);
        if (Object.keys(locals).length > 0) group.locals[id] = { ...group.locals[id], ...locals };
      }
    }
    for (const { scope, create, targets, locals } of created.values()) {
      const { [create]: topLocals, ...inner } = locals;
      const key = activateNow(ctx, scope, create, { startAt: targets, ...(Object.keys(inner).length > 0 ? { startVariables: inner } : {}) });
      if (topLocals) setLocalVariables(ctx, key, root.key, topLocals);
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

/**
 * Where the element is activated: an active instance of its flow scope, or of the nearest flow scope above it
 * that has one (the process instance at the top), with `missing` the scopes to create in it (the element's own first). With an
 * ancestor key, only instances at or below that ancestor count. A reason when there is no single answer.
 */
function flowScopeFor(
  ctx: ProcessingContext,
  model: ProcessModel,
  root: ElementInstance,
  node: FlowNode,
  ancestorKey: string,
): { scope: ElementInstance; missing: string[] } | string {
  const chain = ancestorsOf(model, node); // the element's flow scope first, the top-level one last
  const ancestorId = ancestorKey && ancestorKey !== '-1' && ancestorKey !== '0' ? ancestorKey : undefined;
  let ancestor: ElementInstance | undefined;
  if (ancestorId) {
    ancestor = ctx.state.elementInstances.get(ancestorId);
    const valid =
      ancestor !== undefined &&
      ancestor.processInstanceKey === root.key &&
      ancestor.state === 'ACTIVATED' &&
      (ancestor.key === root.key || chain.includes(ancestor.elementId));
    if (!valid) {
      return `activate instructions with an ancestor element instance that could not be found or is not a flow scope of '${node.id}': '${ancestorId}'`;
    }
  }
  for (let i = 0; i < chain.length; i++) {
    const candidates = [...ctx.state.elementInstances.values()].filter(
      (c) =>
        c.processInstanceKey === root.key &&
        c.elementId === chain[i] &&
        c.state === 'ACTIVATED' &&
        c.multiInstance === undefined &&
        (ancestor === undefined || c.key === ancestor.key || isDescendant(ctx, c, ancestor.key)),
    );
    if (candidates.length === 1) return { scope: candidates[0]!, missing: chain.slice(0, i) };
    if (candidates.length > 1) {
      return `activate instructions for an element that has a flow scope with more than one active instance: '${node.id}'. Can't decide in which instance of the flow scope the element should be activated. Please specify an ancestor element instance key for this activate instruction.`;
    }
  }
  return { scope: ancestor ?? root, missing: chain };
}

function isDescendant(ctx: ProcessingContext, instance: ElementInstance, ancestorKey: string): boolean {
  let current = instance.flowScopeKey;
  while (current) {
    if (current === ancestorKey) return true;
    current = ctx.state.elementInstances.get(current)?.flowScopeKey;
  }
  return false;
}
