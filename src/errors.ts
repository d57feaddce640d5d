/**
 * forager's public error classes: what a handler throws to choose its job's outcome, and what forager throws
 * when a side effect guarded by `once` is being run by another delivery.
 *
 * Each class has a stable `name` and `code`. Decide with the `is…` guards, not with `instanceof` alone: the
 * guards also recognise an error made by another copy of forager (two versions in one `node_modules`, a
 * bundled worker), by `name`. This module imports nothing, so every layer may use it.
 *
 * How the worker turns them into broker commands is decided in one place, `src/policy/retry.ts`:
 * - `BpmnError` → throw a BPMN error (caught by an error boundary event, matched on `errorCode`);
 * - `NonRetryableError` → fail the job with retries 0 now (an incident in Operate);
 * - anything else, including `IdempotencyConflictError` → fail with retries − 1 and a backoff.
 */

/** A plain object (not an array, not null): what job variables are. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasName(value: unknown, name: string): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === name;
}

/**
 * Throw it from a handler to throw a modelled BPMN error: the broker looks for an error boundary (or event
 * sub-process) catching `errorCode`; without one, the job gets an incident.
 *
 * `code` is forager's code for the class (`'BPMN_ERROR'`), the same on every instance; the BPMN error code
 * you pass is `errorCode`.
 *
 * @example
 * ```ts
 * if (!customer.creditOk) {
 *   throw new BpmnError('CREDIT_REJECTED', 'credit check failed', { reason: customer.reason });
 * }
 * ```
 */
export class BpmnError extends Error {
  override readonly name = 'BpmnError';
  readonly code = 'BPMN_ERROR';
  /** The BPMN error code an error catch event matches on, e.g. `'CREDIT_REJECTED'`. */
  readonly errorCode: string;
  /** Variables set on the catching scope when the error is caught. */
  readonly variables: Record<string, unknown>;

  /**
   * @param errorCode the BPMN error code (non-empty), as modelled in the process
   * @param message the error message the broker records (defaults to `BPMN error <errorCode>`)
   * @param variables variables for the catching scope (a plain object)
   */
  constructor(errorCode: string, message?: string, variables?: Record<string, unknown>) {
    if (typeof errorCode !== 'string' || errorCode.trim() === '') {
      throw new TypeError(`BpmnError: errorCode must be a non-empty string, got ${JSON.stringify(errorCode) ?? String(errorCode)}`);
    }
    if (variables !== undefined && !isRecord(variables)) {
      throw new TypeError('BpmnError: variables must be a plain object');
    }
    super(message ?? `BPMN error ${errorCode}`);
    this.errorCode = errorCode;
    this.variables = variables ?? {};
  }
}

/**
 * Throw it from a handler when retrying cannot help (bad input, a rejected request): the job fails with
 * retries 0 at once and Operate shows an incident with this message.
 *
 * @example
 * ```ts
 * if (!isValidIban(vars.iban)) throw new NonRetryableError(`invalid IBAN ${vars.iban}`);
 * try { await api.charge(order) } catch (cause) { throw new NonRetryableError('charge rejected', { cause }) }
 * ```
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
  readonly code = 'NON_RETRYABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The side effect for `key` is being run right now by another delivery of the same job (its lease has not
 * run out). forager throws it from `once(key, fn)`; it is retryable: the job fails with retries − 1 and a
 * backoff, comes back, and then finds the stored result.
 */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  readonly code = 'IDEMPOTENCY_CONFLICT';
  /** Always true: retrying later is the way out. */
  readonly retryable = true;

  constructor(
    /** The idempotency key that is held by another delivery. */
    readonly key: string,
  ) {
    super(`the side effect for key '${key}' is being run by another delivery right now; retry later`);
  }
}

/**
 * Whether `error` is a {@link BpmnError}, from this copy of forager or any other (checked by `name` and an
 * `errorCode` string).
 */
export function isBpmnError(error: unknown): error is BpmnError {
  return error instanceof BpmnError || (hasName(error, 'BpmnError') && typeof error.errorCode === 'string');
}

/** Whether `error` is a {@link NonRetryableError}, from this copy of forager or any other. */
export function isNonRetryableError(error: unknown): error is NonRetryableError {
  return error instanceof NonRetryableError || hasName(error, 'NonRetryableError');
}

/** Whether `error` is an {@link IdempotencyConflictError}, from this copy of forager or any other. */
export function isIdempotencyConflictError(error: unknown): error is IdempotencyConflictError {
  return error instanceof IdempotencyConflictError || (hasName(error, 'IdempotencyConflictError') && typeof error.key === 'string');
}
