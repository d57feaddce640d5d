/**
 * BPMN, DMN and forms checked before they are deployed: parse, validate, lint (Camunda's compatibility
 * rules) and what forager's own engine runs. Pure of any broker; used by the CLI (`deploy`, `check`).
 */
export { checkResource, formatProblem, lineOfId, resourceKind } from './validate.ts';
export type { CheckOptions, JobUse, Problem, ProcessSummary, ResourceCheckOptions, ResourceReport, Severity } from './validate.ts';
export { camundaVersions, DEFAULT_CAMUNDA_VERSION, lintDefinitions, LintTargetError, parseTarget } from './lint.ts';
export type { LintFinding, LintTarget } from './lint.ts';
export { ENGINE_FLOW_NODES, engineGaps } from './engine-support.ts';
export type { EngineGap } from './engine-support.ts';
