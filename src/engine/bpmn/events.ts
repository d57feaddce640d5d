/**
 * Catch events: the subscriptions an element instance opens (message subscriptions, timers, signal
 * subscriptions) and what happens when one of them fires.
 *
 * An owner (element instance) opens catch events for one of:
 * - itself: an intermediate catch event or a receive task;
 * - its boundary events (message, timer, signal): an activity, or a multi-instance body;
 * - the catch events after it: an event-based gateway;
 * - the start events of its event subprocesses: a process instance or a subprocess.
 * A trigger completes the owner, activates a boundary event, completes the gateway towards the event, or
 * activates the event subprocess, interrupting or not.
 */
import { evaluateString, evaluateStringOrNumberAsString, evaluateTemporal } from '../feel/index.ts';
import type { ProcessingContext } from '../processing/engine.ts';
import type { SignalSubscriptionValue, SubscriptionValue, TimerValue } from '../state/appliers.ts';
import { correlationIndexKey, indexValues, type CatchTarget, type ElementInstance, type Timer } from '../state/state.ts';
import {
  addInterval,
  firstOfCycle,
  nextOfCycle,
  parseCycle,
  parseDateTime,
  parseInterval,
  type TimerSchedule,
} from '../time/timer-expressions.ts';
import { elementOf, eventSubprocessesOf, flowOf, type FlowNode, type ProcessModel, type TimerDefinition } from './model.ts';

/** Hooks into the element lifecycle (elements.ts), set once at registration, to keep imports one-way. */
export interface CatchEventHooks {
  /** Activates `elementId` in `scope` right away (its ACTIVATING is written now) and returns its key. */
  activateNow(ctx: ProcessingContext, scope: ElementInstance, elementId: string, extra: { interruptsFlowScope?: boolean }): string;
  terminate(ctx: ProcessingContext, instance: ElementInstance, quiet?: boolean): void;
  /** Completes an element that caught its event, with the event's variables. */
  completeWith(ctx: ProcessingContext, instance: ElementInstance, variables: Record<string, unknown>): void;
  /** An event-based gateway completes towards the catch event that fired. */
  completeGatewayTowards(ctx: ProcessingContext, gateway: ElementInstance, eventId: string, variables: Record<string, unknown>): void;
  /** Variables a catch event brings to an element (V8: merge out, or locals when it has output mappings). */
  applyEventVariables(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, variables: Record<string, unknown>): void;
  raiseIncident(ctx: ProcessingContext, instance: ElementInstance, node: FlowNode, errorType: string, message: string): void;
  modelOf(ctx: ProcessingContext, instance: ElementInstance): ProcessModel;
  nodeOf(ctx: ProcessingContext, instance: ElementInstance): FlowNode;
}

let hooks: CatchEventHooks | undefined;

export function setCatchEventHooks(h: CatchEventHooks): void {
  hooks = h;
}

function h(): CatchEventHooks {
  if (!hooks) throw new Error('catch event hooks are not registered');
  return hooks;
}

/* ---------- which catch events an element opens ---------- */

/** The catch elements an owner subscribes to, by the role it plays. */
export function catchElementsOf(model: ProcessModel, node: FlowNode, role: 'boundaries' | 'gateway' | 'eventSubprocesses'): FlowNode[] {
  switch (role) {
    case 'boundaries':
      return node.boundaries.map((id) => elementOf(model, id)).filter((b) => b.event !== 'error');
    case 'gateway':
      return node.outgoing.map((id) => elementOf(model, flowOf(model, id).target));
    case 'eventSubprocesses':
      return eventSubprocessesOf(model, node)
        .map((id) => elementOf(model, elementOf(model, id).startEvent!))
        .filter((start) => start.event !== 'error');
  }
}

interface PlannedSubscription {
  catchNode: FlowNode;
  interrupting: boolean;
  message?: { name: string; correlationKey: string };
  timer?: TimerSchedule;
  signal?: string;
}

/**
 * Opens the catch events of `owner` for `catchNodes`: evaluates names, correlation keys and timers first (a
 * failure raises an incident on `incidentOn` and opens nothing), then writes the subscriptions. Buffered
 * messages that match are correlated by a follow-up command. Returns false when an incident was raised.
 */
export function openCatchEvents(
  ctx: ProcessingContext,
  owner: ElementInstance,
  catchNodes: FlowNode[],
  incidentOn: { instance: ElementInstance; node: FlowNode },
): boolean {
  if (catchNodes.length === 0) return true;
  const vars = ctx.state.visibleVariables(owner.key);
  const planned: PlannedSubscription[] = [];
  for (const catchNode of catchNodes) {
    const interrupting = catchNode.kind === 'boundaryEvent' || catchNode.kind === 'startEvent' ? catchNode.interrupting !== false : true;
    const plan: PlannedSubscription = { catchNode, interrupting };
    if (catchNode.event === 'message' && catchNode.message) {
      const m = catchNode.message;
      let name = m.name;
      if (m.nameIsExpression) {
        const r = evaluateString(m.name, vars, ctx.now);
        if (!r.ok) return fail(ctx, incidentOn, r.message);
        name = r.value;
      }
      let correlationKey = m.correlationKey ?? '';
      if (m.correlationKeyIsExpression) {
        const r = evaluateStringOrNumberAsString(correlationKey, vars, ctx.now);
        if (!r.ok) return fail(ctx, incidentOn, r.message);
        correlationKey = r.value;
      }
      plan.message = { name, correlationKey };
    } else if (catchNode.event === 'timer' && catchNode.timer) {
      const schedule = scheduleTimer(catchNode.timer, vars, ctx.now);
      if (!schedule.ok) return fail(ctx, incidentOn, schedule.message);
      if (!schedule.value) continue; // a cycle with no firing left
      plan.timer = schedule.value;
    } else if (catchNode.event === 'signal' && catchNode.signal) {
      let name = catchNode.signal.name;
      if (catchNode.signal.nameIsExpression) {
        const r = evaluateString(name, vars, ctx.now);
        if (!r.ok) return fail(ctx, incidentOn, r.message);
        name = r.value;
      }
      plan.signal = name;
    } else {
      continue;
    }
    planned.push(plan);
  }
  for (const plan of planned) {
    const target: CatchTarget = {
      elementInstanceKey: owner.key,
      catchElementId: plan.catchNode.id,
      interrupting: plan.interrupting,
      processInstanceKey: owner.processInstanceKey,
      processDefinitionKey: owner.processDefinitionKey,
      bpmnProcessId: owner.bpmnProcessId,
    };
    const key = ctx.state.nextKey();
    if (plan.message) {
      const value: SubscriptionValue = { ...target, messageName: plan.message.name, correlationKey: plan.message.correlationKey };
      ctx.event('MESSAGE_SUBSCRIPTION', 'CREATED', key, value);
      const buffered = oldestBufferedFor(ctx, plan.message.name, plan.message.correlationKey, owner.bpmnProcessId);
      if (buffered) {
        ctx.followUp({ valueType: 'MESSAGE_SUBSCRIPTION', intent: 'CORRELATE', key, value: { messageKey: buffered } });
      }
    } else if (plan.timer) {
      const value: TimerValue = { ...target, ...plan.timer };
      ctx.event('TIMER', 'CREATED', key, value);
    } else if (plan.signal !== undefined) {
      const value: SignalSubscriptionValue = { ...target, signalName: plan.signal };
      ctx.event('SIGNAL_SUBSCRIPTION', 'CREATED', key, value);
    }
  }
  return true;
}

function fail(ctx: ProcessingContext, on: { instance: ElementInstance; node: FlowNode }, message: string): false {
  h().raiseIncident(ctx, on.instance, on.node, 'EXTRACT_VALUE_ERROR', message);
  return false;
}

function oldestBufferedFor(ctx: ProcessingContext, name: string, correlationKey: string, bpmnProcessId: string): string | undefined {
  for (const messageKey of indexValues(ctx.state.messagesByCorrelation, correlationIndexKey(name, correlationKey))) {
    const message = ctx.state.messages.get(messageKey);
    if (message && message.deadline > ctx.now && !message.correlatedProcesses.has(bpmnProcessId)) return messageKey;
  }
  return undefined;
}

/** Evaluates a timer definition at `now`: its first due date and how it repeats. */
export function scheduleTimer(
  timer: TimerDefinition,
  vars: Record<string, unknown>,
  now: number,
): { ok: true; value: TimerSchedule | undefined } | { ok: false; message: string } {
  let text = timer.expression;
  if (timer.isExpression) {
    const accepted = timer.type === 'date' ? (['DATE_TIME', 'STRING'] as const) : timer.type === 'duration' ? (['DURATION', 'PERIOD', 'STRING'] as const) : (['STRING', 'DURATION', 'PERIOD'] as const);
    const r = evaluateTemporal(timer.expression, vars, now, accepted);
    if (!r.ok) return r;
    if (r.value === null) return { ok: false, message: `Expected result of the expression '${timer.expression}' to be a timer value, but was 'NULL'.` };
    text = r.value;
    if (timer.type === 'cycle' && (r.type === 'DURATION' || r.type === 'PERIOD')) text = `R/${text}`;
  }
  if (timer.type === 'date') {
    const r = parseDateTime(text);
    return r.ok ? { ok: true, value: { dueDate: r.value, repetitions: 0 } } : r;
  }
  if (timer.type === 'duration') {
    const r = parseInterval(text);
    return r.ok ? { ok: true, value: { dueDate: addInterval(now, r.value), repetitions: 0 } } : r;
  }
  const r = parseCycle(text);
  if (!r.ok) return r;
  return { ok: true, value: firstOfCycle(r.value, now) };
}

/* ---------- closing ---------- */

/**
 * Closes catch events of `owner`: all of them, or those whose catch element passes `which` (for example only
 * the event subprocess starts of a scope that an interrupting event subprocess took over).
 */
export function closeCatchEvents(ctx: ProcessingContext, ownerKey: string, which?: (catchElementId: string) => boolean): void {
  const keys = [...indexValues(ctx.state.catchEventsByOwner, ownerKey)];
  if (keys.length === 0) return;
  // Each kind of catch event, with the event that closes it.
  const kinds = [
    ['MESSAGE_SUBSCRIPTION', 'DELETED', ctx.state.subscriptions],
    ['TIMER', 'CANCELED', ctx.state.timers],
    ['SIGNAL_SUBSCRIPTION', 'DELETED', ctx.state.signalSubscriptions],
  ] as const;
  for (const key of keys) {
    for (const [valueType, intent, table] of kinds) {
      const row: (CatchTarget & { key: string }) | undefined = table.get(key);
      if (!row) continue;
      if (!which || which(row.catchElementId)) {
        const { key: _k, ...value } = row;
        ctx.event(valueType, intent, key, value);
      }
      break;
    }
  }
}

/* ---------- firing ---------- */

/**
 * A catch event fired for `target` with `variables`. Closes what the trigger ends and moves the owner on.
 * Returns false when the owner is gone or no longer waiting (a stale trigger).
 */
export function triggerCatch(ctx: ProcessingContext, target: CatchTarget, variables: Record<string, unknown>): boolean {
  const owner = ctx.state.elementInstances.get(target.elementInstanceKey);
  if (!owner || owner.state !== 'ACTIVATED') return false;
  const hk = h();
  const model = hk.modelOf(ctx, owner);
  const ownerNode = hk.nodeOf(ctx, owner);
  const catchNode = elementOf(model, target.catchElementId);

  if (target.catchElementId === owner.elementId && owner.multiInstance === undefined) {
    // An intermediate catch event or a receive task caught its own event.
    closeCatchEvents(ctx, owner.key);
    hk.completeWith(ctx, owner, variables);
    return true;
  }
  if (ownerNode.kind === 'eventBasedGateway') {
    closeCatchEvents(ctx, owner.key);
    hk.completeGatewayTowards(ctx, owner, catchNode.id, variables);
    return true;
  }
  if (catchNode.kind === 'boundaryEvent') {
    const scope = owner.flowScopeKey ? ctx.state.elementInstances.get(owner.flowScopeKey) : undefined;
    if (!scope) return false;
    if (target.interrupting) closeCatchEvents(ctx, owner.key);
    const key = hk.activateNow(ctx, scope, catchNode.id, {});
    const boundary = ctx.state.elementInstances.get(key)!;
    hk.applyEventVariables(ctx, boundary, catchNode, variables);
    if (target.interrupting) hk.terminate(ctx, owner, true);
    return true;
  }
  // The start event of an event subprocess of the owner's scope.
  const eventSubprocessId = catchNode.scope!;
  const eventSubprocessNode = elementOf(model, eventSubprocessId);
  if (target.interrupting) {
    const inScope = new Set(eventSubprocessesOf(model, ownerNode));
    closeCatchEvents(ctx, owner.key, (id) => inScope.has(elementOf(model, id).scope ?? ''));
  }
  const key = hk.activateNow(ctx, owner, eventSubprocessId, { interruptsFlowScope: target.interrupting });
  const started = ctx.state.elementInstances.get(key)!;
  hk.applyEventVariables(ctx, started, eventSubprocessNode, variables);
  if (target.interrupting) {
    for (const childKey of ctx.state.childrenOf(owner.key)) {
      const child = ctx.state.elementInstances.get(childKey);
      if (child && child.key !== key) hk.terminate(ctx, child);
    }
  }
  return true;
}

/** A message correlates to an open subscription: recorded, then the catch event fires. */
export function correlateMessage(ctx: ProcessingContext, subscriptionKey: string, messageKey: string, variables: Record<string, unknown>): boolean {
  const sub = ctx.state.subscriptions.get(subscriptionKey);
  if (!sub) return false;
  const owner = ctx.state.elementInstances.get(sub.elementInstanceKey);
  if (!owner || owner.state !== 'ACTIVATED') return false;
  const { key: _k, ...value } = sub;
  ctx.event('MESSAGE_SUBSCRIPTION', 'CORRELATED', subscriptionKey, { ...value, messageKey, variables });
  return triggerCatch(ctx, sub, variables);
}

/** A timer is due: it fires, and a cycle that goes on (non-interrupting boundary or event subprocess) is re-armed. */
export function fireTimer(ctx: ProcessingContext, timer: Timer): void {
  const { key: _k, ...value } = timer;
  ctx.event('TIMER', 'TRIGGERED', timer.key, value);
  if (!timer.interrupting) rearm(ctx, timer);
  triggerCatch(ctx, timer, {});
}

/** Re-arms a cycle for its next firing, if it has one. */
export function rearm(ctx: ProcessingContext, timer: Timer): void {
  const next = nextOfCycle({ dueDate: timer.dueDate, repetitions: timer.repetitions, ...(timer.interval ? { interval: timer.interval } : {}), ...(timer.cron ? { cron: timer.cron } : {}) });
  if (!next) return;
  const { key: _k, dueDate: _d, repetitions: _r, interval: _i, cron: _c, ...target } = timer;
  const value: TimerValue = { ...target, ...next };
  ctx.event('TIMER', 'CREATED', ctx.state.nextKey(), value);
}

/** A signal was broadcast: every open subscription with its name fires. */
export function triggerSignal(ctx: ProcessingContext, signalName: string, variables: Record<string, unknown>): void {
  for (const key of [...indexValues(ctx.state.signalSubscriptionsByName, signalName)]) {
    const sub = ctx.state.signalSubscriptions.get(key);
    if (!sub) continue; // closed by an earlier trigger of this broadcast
    triggerCatch(ctx, sub, variables);
  }
}
