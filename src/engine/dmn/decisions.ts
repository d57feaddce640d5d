/**
 * Decisions as deployed: finding one in state and evaluating it into the value of a DECISION_EVALUATION
 * event (EVALUATED or FAILED), for the EvaluateDecision RPC and for business rule tasks with
 * `zeebe:calledDecision`. Messages are Zeebe's.
 *
 * @example
 * // in a processor, when a business rule task activates:
 * const result = evaluateCalledDecision(ctx.state, 'dish', variables, ctx.now);
 * ctx.event('DECISION_EVALUATION', result.intent ?? 'FAILED', ctx.state.nextKey(), { ...result.evaluation, processInstanceKey });
 * if (result.ok) setResultVariable(result.output);
 * else raiseIncident(result.errorType, result.message);
 */
import type { DecisionDefinition } from '../state/resources.ts';
import type { EngineState } from '../state/state.ts';
import { evaluateDrg, type EvaluatedDecision } from './evaluate.ts';

const TENANT = '<default>';

/** An evaluated decision as recorded and answered: with the key and version of the deployed decision. */
export interface EvaluatedDecisionValue extends EvaluatedDecision {
  decisionKey: string;
  decisionVersion: number;
  tenantId: string;
}

/** The value of a DECISION_EVALUATION event (EVALUATED or FAILED). */
export interface DecisionEvaluationValue {
  decisionKey: string;
  decisionId: string;
  decisionName: string;
  decisionVersion: number;
  decisionRequirementsId: string;
  decisionRequirementsKey: string;
  /** JSON of the result; "null" when the evaluation failed. */
  decisionOutput: string;
  /** The variables it was evaluated with, as JSON. */
  variables: string;
  evaluatedDecisions: EvaluatedDecisionValue[];
  /** Empty when it succeeded. */
  failedDecisionId: string;
  /** Empty when it succeeded. */
  evaluationFailureMessage: string;
  tenantId: string;
}

export type DecisionEvaluation =
  | { ok: true; intent: 'EVALUATED'; output: unknown; evaluation: DecisionEvaluationValue }
  | { ok: false; intent: 'FAILED'; message: string; failedDecisionId: string; evaluation: DecisionEvaluationValue };

/**
 * What a business rule task gets: the evaluation, or why there is none. `errorType` is the incident type:
 * CALLED_DECISION_ERROR when no decision has the id (no event is written then), DECISION_EVALUATION_ERROR
 * when the evaluation failed (write `evaluation` as a FAILED event, then raise the incident).
 */
export type CalledDecisionResult =
  | { ok: true; intent: 'EVALUATED'; output: unknown; evaluation: DecisionEvaluationValue }
  | { ok: false; errorType: 'CALLED_DECISION_ERROR'; message: string }
  | {
      ok: false;
      errorType: 'DECISION_EVALUATION_ERROR';
      intent: 'FAILED';
      message: string;
      failedDecisionId: string;
      evaluation: DecisionEvaluationValue;
    };

/** The latest version of a decision, or Zeebe's NOT_FOUND message. */
export function findLatestDecision(state: EngineState, decisionId: string): DecisionDefinition | string {
  return state.resources.latestDecision(decisionId) ?? `Expected to evaluate decision '${decisionId}', but no decision found for id '${decisionId}'`;
}

/** A decision by key, or Zeebe's NOT_FOUND message. */
export function findDecisionByKey(state: EngineState, decisionKey: string): DecisionDefinition | string {
  return state.resources.decisions.get(decisionKey) ?? `Expected to evaluate decision '${decisionKey}', but no decision found for key '${decisionKey}'`;
}

/** Evaluates a deployed decision (with its required decisions) against `variables`. */
export function evaluateDeployedDecision(
  state: EngineState,
  decision: DecisionDefinition,
  variables: Record<string, unknown>,
  now: number,
): DecisionEvaluation {
  const base = {
    decisionKey: decision.key,
    decisionId: decision.decisionId,
    decisionName: decision.decisionName,
    decisionVersion: decision.version,
    decisionRequirementsId: decision.decisionRequirementsId,
    decisionRequirementsKey: decision.decisionRequirementsKey,
    variables: JSON.stringify(variables),
    tenantId: TENANT,
  };
  const drg = state.resources.drgs.get(decision.decisionRequirementsKey);
  if (!drg) {
    const message = `Expected to evaluate decision '${decision.decisionId}', but no drg found for id '${decision.decisionRequirementsId}'`;
    const evaluation = { ...base, decisionOutput: 'null', evaluatedDecisions: [], failedDecisionId: decision.decisionId, evaluationFailureMessage: message };
    return { ok: false, intent: 'FAILED', message, failedDecisionId: decision.decisionId, evaluation };
  }
  // Keys and versions of the decisions of the same DRG, for the decisions evaluated on the way.
  const siblings = new Map<string, DecisionDefinition>();
  for (const key of state.resources.decisionsOfDrg.get(drg.key) ?? []) {
    const sibling = state.resources.decisions.get(key);
    if (sibling) siblings.set(sibling.decisionId, sibling);
  }
  const result = evaluateDrg(drg.model, decision.decisionId, variables, now);
  const evaluatedDecisions = result.evaluatedDecisions.map((d) => ({
    ...d,
    decisionKey: siblings.get(d.decisionId)?.key ?? '-1',
    decisionVersion: siblings.get(d.decisionId)?.version ?? -1,
    tenantId: TENANT,
  }));
  if (!result.ok) {
    const evaluation: DecisionEvaluationValue = {
      ...base,
      decisionOutput: 'null',
      evaluatedDecisions,
      failedDecisionId: result.failedDecisionId,
      evaluationFailureMessage: result.failureMessage,
    };
    return { ok: false, intent: 'FAILED', message: result.failureMessage, failedDecisionId: result.failedDecisionId, evaluation };
  }
  const evaluation: DecisionEvaluationValue = {
    ...base,
    decisionOutput: JSON.stringify(result.output ?? null),
    evaluatedDecisions,
    failedDecisionId: '',
    evaluationFailureMessage: '',
  };
  return { ok: true, intent: 'EVALUATED', output: result.output ?? null, evaluation };
}

/**
 * For a business rule task with `zeebe:calledDecision decisionId="…"` (binding "latest"): evaluates the
 * latest version of the decision with the variables visible from the task. Pure: the caller writes the
 * DECISION_EVALUATION event (`intent`, `evaluation`, with a new key) and sets the result variable or raises
 * the incident (`errorType`, `message`).
 */
export function evaluateCalledDecision(
  state: EngineState,
  decisionId: string,
  variables: Record<string, unknown>,
  now: number,
): CalledDecisionResult {
  const decision = findLatestDecision(state, decisionId);
  if (typeof decision === 'string') return { ok: false, errorType: 'CALLED_DECISION_ERROR', message: decision };
  const result = evaluateDeployedDecision(state, decision, variables, now);
  if (result.ok) return result;
  return {
    ok: false,
    errorType: 'DECISION_EVALUATION_ERROR',
    intent: 'FAILED',
    message: result.message,
    failedDecisionId: result.failedDecisionId,
    evaluation: result.evaluation,
  };
}
