/**
 * Appliers of the resource tables (decisions, decision requirements graphs, forms, process deletion),
 * registered into the appliers table by appliers.ts. Apart from resources.ts so that the tables do not
 * depend on the state that holds them.
 */
import type { EngineRecord } from './records.ts';
import type { DecisionCreatedValue, DeletedValue, DrgCreatedValue, FormCreatedValue, ResourceTables, Versions } from './resources.ts';
import type { EngineState } from './state.ts';

export function addVersion(index: Map<string, Versions>, id: string, version: number, key: string): void {
  let versions = index.get(id);
  if (!versions) index.set(id, (versions = new Map()));
  versions.set(version, key);
}

function removeVersion(index: Map<string, Versions>, id: string, version: number): void {
  const versions = index.get(id);
  if (!versions) return;
  versions.delete(version);
  if (versions.size === 0) index.delete(id);
}

function raiseHighest(tables: ResourceTables, kind: string, id: string, version: number): void {
  const name = `${kind}:${id}`;
  if ((tables.highestVersion.get(name) ?? 0) < version) tables.highestVersion.set(name, version);
}

type Applier = (state: EngineState, key: string, value: never, record: EngineRecord) => void;

/** Registered into the appliers table by appliers.ts. */
export const resourceAppliers: Record<string, Applier> = {
  'DECISION_REQUIREMENTS:CREATED': (state, key, v: DrgCreatedValue) => {
    const t = state.resources;
    t.drgs.set(key, { key, ...v });
    addVersion(t.drgVersions, v.decisionRequirementsId, v.version, key);
    raiseHighest(t, 'drg', v.decisionRequirementsId, v.version);
  },
  'DECISION:CREATED': (state, key, v: DecisionCreatedValue) => {
    const t = state.resources;
    t.decisions.set(key, { key, ...v });
    addVersion(t.decisionVersions, v.decisionId, v.version, key);
    raiseHighest(t, 'decision', v.decisionId, v.version);
    let keys = t.decisionsOfDrg.get(v.decisionRequirementsKey);
    if (!keys) t.decisionsOfDrg.set(v.decisionRequirementsKey, (keys = new Set()));
    keys.add(key);
  },
  'FORM:CREATED': (state, key, v: FormCreatedValue) => {
    const t = state.resources;
    t.forms.set(key, { key, ...v });
    addVersion(t.formVersions, v.formId, v.version, key);
    raiseHighest(t, 'form', v.formId, v.version);
  },
  'DECISION:DELETED': (state, _key, v: DeletedValue) => {
    const t = state.resources;
    const decision = t.decisions.get(v.deletedKey);
    if (!decision) return;
    t.decisions.delete(decision.key);
    removeVersion(t.decisionVersions, decision.decisionId, decision.version);
    const keys = t.decisionsOfDrg.get(decision.decisionRequirementsKey);
    keys?.delete(decision.key);
    if (keys?.size === 0) t.decisionsOfDrg.delete(decision.decisionRequirementsKey);
  },
  'DECISION_REQUIREMENTS:DELETED': (state, _key, v: DeletedValue) => {
    const t = state.resources;
    const drg = t.drgs.get(v.deletedKey);
    if (!drg) return;
    t.drgs.delete(drg.key);
    removeVersion(t.drgVersions, drg.decisionRequirementsId, drg.version);
  },
  'FORM:DELETED': (state, _key, v: DeletedValue) => {
    const t = state.resources;
    const form = t.forms.get(v.deletedKey);
    if (!form) return;
    t.forms.delete(form.key);
    removeVersion(t.formVersions, form.formId, form.version);
  },
  'PROCESS:DELETED': (state, _key, v: DeletedValue) => {
    const process = state.processes.get(v.deletedKey);
    if (!process) return;
    raiseHighest(state.resources, 'process', process.bpmnProcessId, process.version);
    state.processes.delete(process.key);
    const versions = state.versions.get(process.bpmnProcessId);
    versions?.delete(process.version);
    if (versions && versions.size > 0) {
      // The previous version (the highest one left) is the latest again.
      state.latest.set(process.bpmnProcessId, versions.get(Math.max(...versions.keys()))!);
    } else {
      state.versions.delete(process.bpmnProcessId);
      state.latest.delete(process.bpmnProcessId);
    }
  },
  // Events that document what happened and change no state.
  'PROCESS:DELETING': () => undefined,
  'DECISION_EVALUATION:EVALUATED': () => undefined,
  'DECISION_EVALUATION:FAILED': () => undefined,
  'RESOURCE_DELETION:DELETING': () => undefined,
  'RESOURCE_DELETION:DELETED': () => undefined,
};
