/**
 * Unit tests of src/errors.ts: the public error classes, their codes, the `is…` guards (which also
 * recognise another copy's errors by name) and their agreement with src/policy/retry.ts's classification.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BpmnError,
  IdempotencyConflictError,
  NonRetryableError,
  isBpmnError,
  isIdempotencyConflictError,
  isNonRetryableError,
} from '../../src/errors.ts';
import { classifyHandlerError } from '../../src/policy/retry.ts';

/** Stand-ins for the same classes from a second copy of forager: same names, other identities. */
class OtherBpmnError extends Error {
  override readonly name = 'BpmnError';
  readonly code = 'BPMN_ERROR';
  readonly variables = {};
  constructor(readonly errorCode: string) {
    super(`BPMN error ${errorCode}`);
  }
}
class OtherNonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
  readonly code = 'NON_RETRYABLE';
}
class OtherIdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  readonly code = 'IDEMPOTENCY_CONFLICT';
  constructor(readonly key: string) {
    super(key);
  }
}

describe('BpmnError', () => {
  it('carries the BPMN error code, message and variables', () => {
    const error = new BpmnError('CREDIT_REJECTED', 'credit check failed', { reason: 'score' });
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'BpmnError');
    assert.equal(error.code, 'BPMN_ERROR');
    assert.equal(error.errorCode, 'CREDIT_REJECTED');
    assert.equal(error.message, 'credit check failed');
    assert.deepEqual(error.variables, { reason: 'score' });
    assert.match(String(error), /^BpmnError: credit check failed$/);
    assert.ok(error.stack?.includes('BpmnError'));
  });

  it('has a default message and no variables', () => {
    const error = new BpmnError('NO_STOCK');
    assert.equal(error.message, 'BPMN error NO_STOCK');
    assert.deepEqual(error.variables, {});
  });

  const invalid: Array<[string, () => unknown, RegExp]> = [
    ['an empty code', () => new BpmnError(''), /errorCode must be a non-empty string, got ""/],
    ['a blank code', () => new BpmnError('  '), /errorCode must be a non-empty string/],
    ['a non-string code', () => new BpmnError(42 as unknown as string), /errorCode must be a non-empty string, got 42/],
    ['an undefined code', () => new BpmnError(undefined as unknown as string), /got undefined/],
    ['array variables', () => new BpmnError('X', 'm', [] as unknown as Record<string, unknown>), /variables must be a plain object/],
    ['null variables', () => new BpmnError('X', 'm', null as unknown as Record<string, unknown>), /variables must be a plain object/],
  ];
  for (const [name, make, pattern] of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(make, (error: unknown) => error instanceof TypeError && pattern.test(error.message));
    });
  }
});

describe('NonRetryableError', () => {
  it('has its code and keeps a cause', () => {
    const cause = new Error('card declined');
    const error = new NonRetryableError('charge rejected', { cause });
    assert.equal(error.name, 'NonRetryableError');
    assert.equal(error.code, 'NON_RETRYABLE');
    assert.equal(error.message, 'charge rejected');
    assert.equal(error.cause, cause);
    assert.equal(new NonRetryableError('x').cause, undefined);
  });
});

describe('IdempotencyConflictError', () => {
  it('names the key and is retryable', () => {
    const error = new IdempotencyConflictError('1/2/charge');
    assert.equal(error.name, 'IdempotencyConflictError');
    assert.equal(error.code, 'IDEMPOTENCY_CONFLICT');
    assert.equal(error.key, '1/2/charge');
    assert.equal(error.retryable, true);
    assert.match(error.message, /'1\/2\/charge'.*another delivery/);
  });
});

describe('the is… guards', () => {
  const values: Array<[string, unknown, 'bpmn' | 'nonRetryable' | 'conflict' | 'none']> = [
    ['BpmnError', new BpmnError('X'), 'bpmn'],
    ["another copy's BpmnError", new OtherBpmnError('X'), 'bpmn'],
    ['a plain object named BpmnError with errorCode', { name: 'BpmnError', errorCode: 'X' }, 'bpmn'],
    ['an object named BpmnError without errorCode', { name: 'BpmnError' }, 'none'],
    ['NonRetryableError', new NonRetryableError('x'), 'nonRetryable'],
    ["another copy's NonRetryableError", new OtherNonRetryableError('x'), 'nonRetryable'],
    ['IdempotencyConflictError', new IdempotencyConflictError('k'), 'conflict'],
    ["another copy's IdempotencyConflictError", new OtherIdempotencyConflictError('k'), 'conflict'],
    ['an Error', new Error('x'), 'none'],
    ['a string', 'BpmnError', 'none'],
    ['null', null, 'none'],
    ['undefined', undefined, 'none'],
  ];
  for (const [name, value, expected] of values) {
    it(`${name} → ${expected}`, () => {
      assert.equal(isBpmnError(value), expected === 'bpmn');
      assert.equal(isNonRetryableError(value), expected === 'nonRetryable');
      assert.equal(isIdempotencyConflictError(value), expected === 'conflict');
    });
  }

  it('agree with classifyHandlerError', () => {
    for (const [, value, expected] of values) {
      const kind = classifyHandlerError(value).kind;
      assert.equal(kind === 'bpmn-error', expected === 'bpmn');
      assert.equal(kind === 'non-retryable', expected === 'nonRetryable');
    }
  });
});
