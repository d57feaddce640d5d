/**
 * Processors for resources: DEPLOYMENT:CREATE (processes, decisions with their requirements graphs, forms),
 * DECISION_EVALUATION:EVALUATE (the EvaluateDecision RPC) and RESOURCE_DELETION:DELETE.
 *
 * Versioning as Zeebe does it (zeebe-semantics.md D3–D5): versions are per id and never reused; a resource
 * whose name and checksum equal the latest version's is a duplicate and keeps that version and key, but only
 * when every resource of the deployment is a duplicate: as soon as one is new, all of them get new versions
 * ("all resources in a deployment are versioned together"). The answer lists processes, then decisions, then
 * decision requirements, then forms.
 */
import { closeCatchEvents } from '../bpmn/events.ts';
import { checkTimerStartEvents, onProcessBecameLatest } from '../bpmn/instances.ts';
import { evaluateDeployedDecision, findDecisionByKey, findLatestDecision } from '../dmn/decisions.ts';
import type { ProcessModel } from '../bpmn/model.ts';
import type { DecisionModel, DecisionRequirementsModel } from '../dmn/model.ts';
import type { ProcessCreatedValue } from '../state/appliers.ts';
import type { DecisionCreatedValue, DrgCreatedValue, FormCreatedValue } from '../state/resources.ts';
import type { EngineState } from '../state/state.ts';
import type { ProcessingContext, ProcessingEngine } from './engine.ts';
import { resourceKind, type PreparedResource } from './resources.ts';

const TENANT = '<default>';

/** A versioned thing of a deployment: new, or a duplicate of the latest version (`key`, `version` kept). */
interface Planned {
  duplicate: boolean;
  key: string;
  version: number;
}

interface PlannedProcess extends Planned {
  model: ProcessModel;
}

interface PlannedDecision extends Planned {
  model: DecisionModel;
}

interface PlannedDrg extends Planned {
  model: DecisionRequirementsModel;
  decisions: PlannedDecision[];
}

interface PlannedResource {
  resource: PreparedResource;
  processes: PlannedProcess[];
  drg?: PlannedDrg;
  form?: Planned & { id: string; schema: string };
}

export function registerResourceProcessors(engine: ProcessingEngine): void {
  engine.register('DEPLOYMENT', 'CREATE', (command, ctx) => deploy(command.value.resources as PreparedResource[], ctx));

  engine.register('DECISION_EVALUATION', 'EVALUATE', (command, ctx) => {
    const v = command.value as { decisionId?: string; decisionKey?: string; variables?: Record<string, unknown> };
    let found;
    if (v.decisionId) found = findLatestDecision(ctx.state, v.decisionId);
    else if (v.decisionKey && /^\d+$/.test(v.decisionKey) && v.decisionKey !== '0') found = findDecisionByKey(ctx.state, v.decisionKey);
    else {
      ctx.reject('INVALID_ARGUMENT', 'Expected either a decision id or a valid decision key, but none provided');
      return;
    }
    if (typeof found === 'string') {
      ctx.reject('NOT_FOUND', found);
      return;
    }
    const result = evaluateDeployedDecision(ctx.state, found, v.variables ?? {}, ctx.now);
    const key = ctx.state.nextKey();
    ctx.event('DECISION_EVALUATION', result.intent, key, result.evaluation);
    const e = result.evaluation;
    ctx.respond({
      decisionKey: e.decisionKey,
      decisionId: e.decisionId,
      decisionName: e.decisionName,
      decisionVersion: e.decisionVersion,
      decisionRequirementsId: e.decisionRequirementsId,
      decisionRequirementsKey: e.decisionRequirementsKey,
      decisionOutput: e.decisionOutput,
      evaluatedDecisions: e.evaluatedDecisions.map((d) => ({
        decisionKey: d.decisionKey,
        decisionId: d.decisionId,
        decisionName: d.decisionName,
        decisionVersion: d.decisionVersion,
        decisionType: d.decisionType,
        decisionOutput: d.decisionOutput,
        matchedRules: d.matchedRules,
        evaluatedInputs: d.evaluatedInputs,
        tenantId: d.tenantId,
      })),
      failedDecisionId: e.failedDecisionId,
      failureMessage: e.evaluationFailureMessage,
      tenantId: TENANT,
      decisionInstanceKey: key,
    });
  });

  engine.register('RESOURCE_DELETION', 'DELETE', (command, ctx) => {
    const resourceKey = String(command.value.resourceKey ?? '');
    const state = ctx.state;
    const process = state.processes.get(resourceKey);
    const drg = state.resources.drgs.get(resourceKey);
    const form = state.resources.forms.get(resourceKey);
    // Checked before anything is written: a rejection leaves no events behind.
    if (!process && !drg && !form) {
      ctx.reject('NOT_FOUND', `Expected to delete resource but no resource found with key \`${resourceKey}\``);
    }
    if (process && hasRunningInstances(state, process.key)) {
      ctx.reject('INVALID_STATE', `Expected to delete resource with key \`${resourceKey}\` but there are still running instances`);
    }
    const key = state.nextKey();
    ctx.event('RESOURCE_DELETION', 'DELETING', key, { resourceKey });
    if (process) {
      const { model: _model, ...described } = process;
      const wasLatest = state.latestProcess(process.bpmnProcessId)?.key === process.key;
      ctx.event('PROCESS', 'DELETING', state.nextKey(), { ...described, deletedKey: process.key });
      // The applier makes the previous version the latest again; message start events follow `latest`.
      ctx.event('PROCESS', 'DELETED', state.nextKey(), { ...described, deletedKey: process.key });
      closeCatchEvents(ctx, `definition:${process.key}`);
      // The version that is the latest again gets its timer start events back.
      const previous = wasLatest ? state.latestProcess(process.bpmnProcessId) : undefined;
      if (previous) onProcessBecameLatest(ctx, previous, undefined);
    } else if (drg) {
      for (const decisionKey of [...(state.resources.decisionsOfDrg.get(drg.key) ?? [])]) {
        const decision = state.resources.decisions.get(decisionKey);
        if (!decision) continue;
        ctx.event('DECISION', 'DELETED', state.nextKey(), { ...decision, deletedKey: decision.key });
      }
      const { model: _model, ...described } = drg;
      ctx.event('DECISION_REQUIREMENTS', 'DELETED', state.nextKey(), { ...described, deletedKey: drg.key });
    } else if (form) {
      const { schema: _schema, ...described } = form;
      ctx.event('FORM', 'DELETED', state.nextKey(), { ...described, deletedKey: form.key });
    }
    ctx.event('RESOURCE_DELETION', 'DELETED', key, { resourceKey });
    ctx.respond({});
  });
}

function hasRunningInstances(state: EngineState, processDefinitionKey: string): boolean {
  for (const instance of state.elementInstances.values()) {
    if (instance.processDefinitionKey === processDefinitionKey && !state.bannedInstances.has(instance.processInstanceKey)) return true;
  }
  return false;
}

function deploy(resources: PreparedResource[], ctx: ProcessingContext): void {
  const state = ctx.state;
  if (resources.length === 0) ctx.reject('INVALID_ARGUMENT', 'Expected to deploy at least one resource, but none given');
  const problems = resources
    .filter((r) => r.errors.length > 0)
    .map((r) =>
      (r.kind ?? resourceKind(r.name)) === 'bpmn' || (r.kind ?? resourceKind(r.name)) === 'unknown'
        ? `'${r.name}':\n${r.errors.join('\n')}`
        : `'${r.name}': ${r.errors.join('\n')}`,
    );
  problems.push(...duplicateIds(resources));
  for (const r of resources) {
    for (const model of r.processes ?? []) {
      const timerProblem = checkTimerStartEvents(model, ctx.now);
      if (timerProblem) problems.push(`'${r.name}':\n${timerProblem}`);
    }
  }
  if (problems.length > 0) {
    ctx.reject('INVALID_ARGUMENT', `Expected to deploy new resources, but encountered the following errors:\n${problems.join('\n')}`);
  }

  const deploymentKey = state.nextKey();
  const plan = planVersions(state, resources);
  const all = allPlanned(plan);
  const duplicatesOnly = all.every((p) => p.duplicate);
  if (!duplicatesOnly) {
    // All resources of a deployment are versioned together: duplicates get a new version too.
    for (const p of plan) {
      for (const process of p.processes) renew(state, process, () => nextProcessVersion(state, process.model.bpmnProcessId));
      if (p.drg) {
        const drg = p.drg;
        renew(state, drg, () => state.resources.nextVersion('drg', drg.model.id));
        for (const decision of drg.decisions) renew(state, decision, () => state.resources.nextVersion('decision', decision.model.id));
      }
      if (p.form) {
        const form = p.form;
        renew(state, form, () => state.resources.nextVersion('form', form.id));
      }
    }
    for (const { resource, processes, drg, form } of plan) {
      for (const process of processes) {
        const created: ProcessCreatedValue = {
          bpmnProcessId: process.model.bpmnProcessId,
          version: process.version,
          resourceName: resource.name,
          checksum: resource.checksum,
          deploymentKey,
          model: process.model,
        };
        const replaced = state.latestProcess(process.model.bpmnProcessId);
        ctx.event('PROCESS', 'CREATED', process.key, created);
        onProcessBecameLatest(ctx, state.process(process.key)!, replaced);
      }
      if (drg) {
        const created: DrgCreatedValue = {
          decisionRequirementsId: drg.model.id,
          decisionRequirementsName: drg.model.name,
          version: drg.version,
          namespace: drg.model.namespace,
          resourceName: resource.name,
          checksum: resource.checksum,
          deploymentKey,
          model: drg.model,
        };
        ctx.event('DECISION_REQUIREMENTS', 'CREATED', drg.key, created);
        for (const decision of drg.decisions) {
          const value: DecisionCreatedValue = {
            decisionId: decision.model.id,
            decisionName: decision.model.name,
            version: decision.version,
            decisionRequirementsId: drg.model.id,
            decisionRequirementsKey: drg.key,
            deploymentKey,
          };
          ctx.event('DECISION', 'CREATED', decision.key, value);
        }
      }
      if (form) {
        const created: FormCreatedValue = {
          formId: form.id,
          version: form.version,
          resourceName: resource.name,
          checksum: resource.checksum,
          deploymentKey,
          schema: form.schema,
        };
        ctx.event('FORM', 'CREATED', form.key, created);
      }
    }
  }

  // The answer: processes, then decisions, then decision requirements, then forms.
  const processes = plan.flatMap((p) =>
    p.processes.map((process) => ({
      bpmnProcessId: process.model.bpmnProcessId,
      version: process.version,
      processDefinitionKey: process.key,
      resourceName: p.resource.name,
      tenantId: TENANT,
    })),
  );
  const decisions = plan.flatMap((p) =>
    (p.drg?.decisions ?? []).map((decision) => ({
      dmnDecisionId: decision.model.id,
      dmnDecisionName: decision.model.name,
      version: decision.version,
      decisionKey: decision.key,
      dmnDecisionRequirementsId: p.drg!.model.id,
      decisionRequirementsKey: p.drg!.key,
      tenantId: TENANT,
    })),
  );
  const drgs = plan.flatMap((p) =>
    p.drg
      ? [
          {
            dmnDecisionRequirementsId: p.drg.model.id,
            dmnDecisionRequirementsName: p.drg.model.name,
            version: p.drg.version,
            decisionRequirementsKey: p.drg.key,
            resourceName: p.resource.name,
            tenantId: TENANT,
          },
        ]
      : [],
  );
  const forms = plan.flatMap((p) =>
    p.form ? [{ formId: p.form.id, version: p.form.version, formKey: p.form.key, resourceName: p.resource.name, tenantId: TENANT }] : [],
  );
  ctx.event('DEPLOYMENT', 'CREATED', deploymentKey, {
    resources: resources.map((r) => ({ name: r.name, checksum: r.checksum })),
    processes,
    decisions,
    decisionRequirements: drgs,
    forms,
    duplicatesOnly,
  });
  ctx.respond({
    key: deploymentKey,
    deployments: [
      ...processes.map((process) => ({ process })),
      ...decisions.map((decision) => ({ decision })),
      ...drgs.map((decisionRequirements) => ({ decisionRequirements })),
      ...forms.map((form) => ({ form })),
    ],
    tenantId: TENANT,
  });
}

/** Ids that two resources of one deployment both define (Zeebe's messages). */
function duplicateIds(resources: PreparedResource[]): string[] {
  const problems: string[] = [];
  const processes = new Map<string, string>();
  const drgs = new Map<string, string>();
  const decisions = new Map<string, string>();
  const forms = new Map<string, string>();
  for (const r of resources) {
    for (const p of r.processes) {
      const other = processes.get(p.bpmnProcessId);
      if (other) problems.push(`Duplicated process id in resources '${other}' and '${r.name}'`);
      processes.set(p.bpmnProcessId, r.name);
    }
    if (r.drg) {
      const other = drgs.get(r.drg.id);
      if (other) {
        problems.push(
          `Expected the decision requirements ids to be unique within a deployment but found a duplicated id '${r.drg.id}' in the resources '${other}' and '${r.name}'.`,
        );
      } else {
        const duplicated = r.drg.decisions.find((d) => decisions.has(d.id));
        if (duplicated) {
          problems.push(
            `Expected the decision ids to be unique within a deployment but found a duplicated id '${duplicated.id}' in the resources '${decisions.get(duplicated.id)}' and '${r.name}'.`,
          );
        }
      }
      drgs.set(r.drg.id, r.name);
      for (const d of r.drg.decisions) if (!decisions.has(d.id)) decisions.set(d.id, r.name);
    }
    if (r.form) {
      const other = forms.get(r.form.id);
      if (other) {
        problems.push(`Expected the form ids to be unique within a deployment but found a duplicated id '${r.form.id}' in the resources '${other}' and '${r.name}'.`);
      }
      forms.set(r.form.id, r.name);
    }
  }
  return problems;
}

/** Decides, resource by resource, what is a duplicate of its latest version and gives the new ones keys. */
function planVersions(state: EngineState, resources: PreparedResource[]): PlannedResource[] {
  const tables = state.resources;
  return resources.map((resource) => {
    const sameBytes = (latest: { checksum: string; resourceName: string } | undefined) =>
      latest !== undefined && latest.checksum === resource.checksum && latest.resourceName === resource.name;
    const processes = resource.processes.map((model): PlannedProcess => {
      const latest = state.latestProcess(model.bpmnProcessId);
      if (latest && sameBytes(latest)) return { model, duplicate: true, key: latest.key, version: latest.version };
      return { model, duplicate: false, key: state.nextKey(), version: nextProcessVersion(state, model.bpmnProcessId) };
    });
    const planned: PlannedResource = { resource, processes };
    if (resource.drg) {
      const model = resource.drg;
      const latest = tables.latestDrg(model.id);
      const duplicate =
        latest !== undefined &&
        sameBytes(latest) &&
        model.decisions.every((d) => tables.latestDecision(d.id)?.decisionRequirementsKey === latest.key);
      const drg: PlannedDrg = duplicate
        ? { model, duplicate: true, key: latest.key, version: latest.version, decisions: [] }
        : { model, duplicate: false, key: state.nextKey(), version: tables.nextVersion('drg', model.id), decisions: [] };
      drg.decisions = model.decisions.map((d): PlannedDecision => {
        const latestDecision = tables.latestDecision(d.id);
        if (duplicate && latestDecision) return { model: d, duplicate: true, key: latestDecision.key, version: latestDecision.version };
        return { model: d, duplicate: false, key: state.nextKey(), version: tables.nextVersion('decision', d.id) };
      });
      planned.drg = drg;
    }
    if (resource.form) {
      const { id, schema } = resource.form;
      const latest = tables.latestForm(id);
      planned.form =
        latest && sameBytes(latest)
          ? { id, schema, duplicate: true, key: latest.key, version: latest.version }
          : { id, schema, duplicate: false, key: state.nextKey(), version: tables.nextVersion('form', id) };
    }
    return planned;
  });
}

function allPlanned(plan: PlannedResource[]): Planned[] {
  return plan.flatMap((p) => [...p.processes, ...(p.drg ? [p.drg, ...p.drg.decisions] : []), ...(p.form ? [p.form] : [])]);
}

/** A duplicate in a deployment with something new: it becomes a new version too. */
function renew(state: EngineState, planned: Planned, version: () => number): void {
  if (!planned.duplicate) return;
  planned.duplicate = false;
  planned.key = state.nextKey();
  planned.version = version();
}

/** Versions of a process are never reused, not even after the latest was deleted. */
function nextProcessVersion(state: EngineState, bpmnProcessId: string): number {
  const versions = state.versions.get(bpmnProcessId);
  const live = versions && versions.size > 0 ? Math.max(...versions.keys()) : 0;
  return Math.max(live, state.resources.nextVersion('process', bpmnProcessId) - 1) + 1;
}
