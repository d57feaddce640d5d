/**
 * Checks of the state that tests run after every scenario:
 * - every index entry points at a record in the right state, and every record is in the indexes it belongs to;
 * - replaying the log's events through the appliers rebuilds exactly the live state (so nothing but an
 *   applier changed it, and appliers depend only on their events).
 * Each returns a list of problems, empty when all is well.
 */
import { applyEvent } from './appliers.ts';
import type { EngineRecord } from './records.ts';
import { correlationIndexKey, EngineState, filedKeys, indexHas, indexSize, ownerIndexKey } from './state.ts';

export function checkIndexes(state: EngineState): string[] {
  const problems: string[] = [];
  const problem = (text: string) => problems.push(text);

  for (const [type, keys] of state.activatable) {
    for (const key of filedKeys(keys)) {
      const job = state.jobs.get(key);
      if (!job) problem(`activatable index of '${type}' holds job ${key}, which does not exist`);
      else if (job.state !== 'ACTIVATABLE' || job.type !== type) problem(`activatable index of '${type}' holds job ${key} in state ${job.state} of type '${job.type}'`);
    }
  }
  for (const [key, deadline] of state.deadlines) {
    const job = state.jobs.get(key);
    if (!job || job.state !== 'ACTIVATED' || job.deadline !== deadline) problem(`deadline index holds job ${key}, which is not activated with that deadline`);
  }
  for (const [key] of state.backoffs) {
    const job = state.jobs.get(key);
    if (!job || job.state !== 'FAILED' || job.retries <= 0) problem(`backoff index holds job ${key}, which is not waiting out a backoff`);
  }
  for (const job of state.jobs.values()) {
    if (job.state === 'ACTIVATABLE' && !indexHas(state.activatable, job.type, job.key)) problem(`activatable job ${job.key} is missing from its index`);
    if (job.state === 'ACTIVATED' && !state.deadlines.has(job.key)) problem(`activated job ${job.key} is missing from the deadline index`);
    const element = state.elementInstances.get(job.elementInstanceKey);
    if (!element) problem(`job ${job.key} belongs to element instance ${job.elementInstanceKey}, which does not exist`);
  }
  for (const instance of state.elementInstances.values()) {
    const children = indexSize(state.children, instance.key);
    if (children !== instance.activeChildren) problem(`element instance ${instance.key} counts ${instance.activeChildren} children but has ${children}`);
    if (instance.flowScopeKey !== undefined && !state.elementInstances.has(instance.flowScopeKey)) {
      problem(`element instance ${instance.key} has flow scope ${instance.flowScopeKey}, which does not exist`);
    }
    if (instance.activeFlows < 0) problem(`element instance ${instance.key} counts ${instance.activeFlows} active sequence flows`);
  }
  for (const [scope, keys] of state.children) {
    for (const key of filedKeys(keys)) if (state.elementInstances.get(key)?.flowScopeKey !== scope) problem(`child index of ${scope} holds ${key}, which is not its child`);
  }
  for (const [elementKey, incidentKey] of state.incidentByElement) {
    if (state.incidents.get(incidentKey)?.elementInstanceKey !== elementKey) problem(`incident index of ${elementKey} holds ${incidentKey}, which is not its incident`);
  }
  for (const [indexKey, keys] of state.messagesByCorrelation) {
    for (const key of filedKeys(keys)) {
      const message = state.messages.get(key);
      if (!message || correlationIndexKey(message.name, message.correlationKey) !== indexKey) problem(`message index holds ${key}, which is not buffered under that name and key`);
    }
  }
  for (const [indexKey, keys] of state.subscriptionsByCorrelation) {
    for (const key of filedKeys(keys)) {
      const sub = state.subscriptions.get(key);
      if (!sub || correlationIndexKey(sub.messageName, sub.correlationKey) !== indexKey) {
        problem(`subscription index holds ${key}, which is not an open subscription under that name and key`);
      }
    }
  }
  for (const sub of [...state.subscriptions.values(), ...state.timers.values(), ...state.signalSubscriptions.values()]) {
    if (sub.elementInstanceKey !== '-1' && !state.elementInstances.has(sub.elementInstanceKey)) {
      problem(`catch event ${sub.key} of ${sub.elementInstanceKey} outlived its element instance`);
    }
    if (!indexHas(state.catchEventsByOwner, ownerIndexKey(sub), sub.key)) problem(`catch event ${sub.key} is missing from its owner index`);
  }
  for (const [owner, keys] of state.catchEventsByOwner) {
    for (const key of filedKeys(keys)) {
      const sub = state.subscriptions.get(key) ?? state.timers.get(key) ?? state.signalSubscriptions.get(key);
      if (!sub || ownerIndexKey(sub) !== owner) problem(`owner index of ${owner} holds catch event ${key}, which is not its own`);
    }
  }
  for (const [name, keys] of state.signalSubscriptionsByName) {
    for (const key of filedKeys(keys)) if (state.signalSubscriptions.get(key)?.signalName !== name) problem(`signal index of '${name}' holds ${key}, which is not subscribed to it`);
  }
  return problems;
}

/**
 * Rebuilds state from `records` and compares it with `live`; `records` must start at the first record, or,
 * with `base` (a state loaded from a snapshot at `base.position`), reach back to the record after it.
 */
export function checkReplay(live: EngineState, records: readonly EngineRecord[], base?: { state: EngineState; position: number }): string[] {
  const from = base?.position ?? 0;
  const rest = from > 0 ? records.filter((r) => r.position > from) : records;
  if (rest.length > 0 && rest[0]!.position !== from + 1) return []; // the log was truncated: nothing to compare
  const replayed = base?.state ?? new EngineState();
  for (const record of rest) {
    if (record.recordType === 'EVENT') applyEvent(replayed, record);
  }
  const problems: string[] = [];
  const tables = Object.keys(live) as (keyof EngineState)[];
  for (const table of tables) {
    const a = canonical(live[table]);
    const b = canonical(replayed[table]);
    if (a !== b) problems.push(`replaying the log gives a different '${String(table)}' table`);
  }
  return problems;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Map) return { map: [...v.entries()] };
    if (v instanceof Set) return { set: [...v] };
    return v;
  });
}
