/**
 * The rules in one screen: what a handler did → the one broker command for its job.
 * - returned an object (or nothing)  → complete with it
 * - threw BpmnError                  → throw the modelled error (code, message, variables)
 * - threw a NonRetryableError        → fail with no retries left (an incident now)
 * - variables did not parse          → fail with no retries left (retrying cannot fix them)
 * - returned a non-object or non-JSON value → fail with no retries left (a bug in the handler)
 * - threw anything else              → fail with retries − 1, after the worker's backoff
 */
import type { BackoffPolicy } from '../policy/backoff.ts';
import { classifyHandlerError, failMessage, retriesAfterFailure } from '../policy/retry.ts';

export type JobOutcome =
  | { readonly kind: 'complete'; readonly variables: Readonly<Record<string, unknown>> }
  | { readonly kind: 'fail'; readonly retries: number; readonly errorMessage: string; readonly retryBackOffMs: number }
  | {
      readonly kind: 'throwError';
      readonly errorCode: string;
      readonly errorMessage: string;
      readonly variables: Readonly<Record<string, unknown>>;
    };

export type HandlerResult =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: unknown }
  | { readonly ok: false; readonly invalidVariables: string };

export interface OutcomeInput {
  readonly type: string;
  readonly retries: number;
  /** 1 for the first failure of this job seen by this worker, 2 for the second, … */
  readonly attempt: number;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
}

const MAX_MESSAGE = 500;

function line(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 1)}…` : one;
}

function incidentNow(errorMessage: string): JobOutcome {
  return { kind: 'fail', retries: 0, errorMessage: line(errorMessage), retryBackOffMs: 0 };
}

export function outcomeOf(input: OutcomeInput, result: HandlerResult): JobOutcome {
  if (result.ok) {
    const output = result.output;
    if (output === undefined || output === null) return { kind: 'complete', variables: {} };
    if (typeof output !== 'object' || Array.isArray(output)) {
      const got = Array.isArray(output) ? 'an array' : `a ${typeof output}`;
      return incidentNow(`${input.type}: the handler returned ${got}; return an object of output variables`);
    }
    try {
      JSON.stringify(output);
    } catch (error) {
      return incidentNow(`${input.type}: the handler's output is not JSON: ${(error as Error).message}`);
    }
    return { kind: 'complete', variables: output as Record<string, unknown> };
  }
  if ('invalidVariables' in result) return incidentNow(`${input.type}: invalid variables: ${result.invalidVariables}`);
  const classified = classifyHandlerError(result.error);
  switch (classified.kind) {
    case 'bpmn-error':
      return { kind: 'throwError', errorCode: classified.code, errorMessage: classified.message, variables: classified.variables };
    case 'non-retryable':
      return incidentNow(failMessage(input.type, result.error));
    case 'retryable': {
      const retries = retriesAfterFailure(input.retries);
      return {
        kind: 'fail',
        retries,
        errorMessage: failMessage(input.type, result.error),
        retryBackOffMs: retries > 0 ? input.backoff.delayMs(input.attempt, input.random) : 0,
      };
    }
  }
}
