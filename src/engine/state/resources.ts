/**
 * Deployed decisions, decision requirements graphs (DRGs) and forms: their tables, indexes and appliers,
 * plus the applier of a process definition's deletion. Versions are per id, start at 1 and are never
 * reused, deletions included (the highest version ever given is kept per id).
 */
import type { DecisionRequirementsModel } from '../dmn/model.ts';

export interface DecisionRequirementsDefinition {
  key: string;
  decisionRequirementsId: string;
  decisionRequirementsName: string;
  version: number;
  namespace: string;
  resourceName: string;
  checksum: string;
  deploymentKey: string;
  model: DecisionRequirementsModel;
}

export interface DecisionDefinition {
  key: string;
  decisionId: string;
  decisionName: string;
  version: number;
  decisionRequirementsId: string;
  decisionRequirementsKey: string;
  deploymentKey: string;
}

export interface FormDefinition {
  key: string;
  formId: string;
  version: number;
  resourceName: string;
  checksum: string;
  deploymentKey: string;
  /** The form's JSON, as deployed. */
  schema: string;
}

export type DrgCreatedValue = Omit<DecisionRequirementsDefinition, 'key'>;
export type DecisionCreatedValue = Omit<DecisionDefinition, 'key'>;
export type FormCreatedValue = Omit<FormDefinition, 'key'>;
/** PROCESS:DELETED, DECISION:DELETED, DECISION_REQUIREMENTS:DELETED, FORM:DELETED name the deleted key. */
export interface DeletedValue {
  deletedKey: string;
}

/** Versions of one id: version → key, the versions not deleted. */
export type Versions = Map<number, string>;

export class ResourceTables {
  readonly drgs = new Map<string, DecisionRequirementsDefinition>();
  /** decisionRequirementsId → versions. */
  readonly drgVersions = new Map<string, Versions>();
  readonly decisions = new Map<string, DecisionDefinition>();
  /** decisionId → versions. */
  readonly decisionVersions = new Map<string, Versions>();
  /** DRG key → its decisions' keys. */
  readonly decisionsOfDrg = new Map<string, Set<string>>();
  readonly forms = new Map<string, FormDefinition>();
  /** formId → versions. */
  readonly formVersions = new Map<string, Versions>();
  /** `<kind>:<id>` → the highest version ever given (kind: process, drg, decision, form). */
  readonly highestVersion = new Map<string, number>();

  latestDrg(id: string): DecisionRequirementsDefinition | undefined {
    const key = latestKey(this.drgVersions.get(id));
    return key ? this.drgs.get(key) : undefined;
  }

  latestDecision(id: string): DecisionDefinition | undefined {
    const key = latestKey(this.decisionVersions.get(id));
    return key ? this.decisions.get(key) : undefined;
  }

  latestForm(id: string): FormDefinition | undefined {
    const key = latestKey(this.formVersions.get(id));
    return key ? this.forms.get(key) : undefined;
  }

  /** The version the next deployment of `kind:id` gets. */
  nextVersion(kind: 'process' | 'drg' | 'decision' | 'form', id: string): number {
    return (this.highestVersion.get(`${kind}:${id}`) ?? 0) + 1;
  }
}

function latestKey(versions: Versions | undefined): string | undefined {
  if (!versions || versions.size === 0) return undefined;
  return versions.get(Math.max(...versions.keys()));
}

