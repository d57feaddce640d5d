/**
 * Unit tests of src/policy/retry.ts: classification of thrown values, the one-line fail message (masking,
 * cutting), retries after a failure and the retryable broker statuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpmnError, IdempotencyConflictError, NonRetryableError } from '../../src/errors.ts';
import {
  MAX_FAIL_MESSAGE_LENGTH,
  classifyHandlerError,
  describeError,
  failMessage,
  maskSecrets,
  retriesAfterFailure,
  type HandlerErrorClass,
} from '../../src/policy/retry.ts';

class PaymentError extends Error {}
class NamedError extends Error {
  override name = 'GatewayError';
}

describe('classifyHandlerError', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const cases: Array<[string, unknown, HandlerErrorClass]> = [
    [
      'a BpmnError',
      new BpmnError('NO_STOCK', 'out of stock', { sku: 'A1' }),
      { kind: 'bpmn-error', code: 'NO_STOCK', message: 'out of stock', variables: { sku: 'A1' } },
    ],
    ['a BpmnError without message or variables', new BpmnError('NO_STOCK'), { kind: 'bpmn-error', code: 'NO_STOCK', message: 'BPMN error NO_STOCK', variables: {} }],
    [
      "another forager copy's BpmnError (by name)",
      Object.assign(new Error('late'), { name: 'BpmnError', errorCode: 'LATE', variables: { days: 3 } }),
      { kind: 'bpmn-error', code: 'LATE', message: 'late', variables: { days: 3 } },
    ],
    [
      'a plain object shaped like a BpmnError',
      { name: 'BpmnError', errorCode: 'X', message: 42, variables: [1, 2] },
      { kind: 'bpmn-error', code: 'X', message: '', variables: {} },
    ],
    ["an error named BpmnError without an errorCode is not one", Object.assign(new Error('m'), { name: 'BpmnError' }), { kind: 'retryable', message: 'BpmnError: m' }],
    ['a NonRetryableError', new NonRetryableError('invalid IBAN'), { kind: 'non-retryable', message: 'NonRetryableError: invalid IBAN' }],
    [
      'a NonRetryableError with a cause',
      new NonRetryableError('charge rejected', { cause: new Error('card declined') }),
      { kind: 'non-retryable', message: 'NonRetryableError: charge rejected (cause: Error: card declined)' },
    ],
    [
      "another forager copy's NonRetryableError (by name)",
      Object.assign(new Error('nope'), { name: 'NonRetryableError' }),
      { kind: 'non-retryable', message: 'NonRetryableError: nope' },
    ],
    [
      'an IdempotencyConflictError is retryable',
      new IdempotencyConflictError('1/2/charge'),
      { kind: 'retryable', message: "IdempotencyConflictError: the side effect for key '1/2/charge' is being run by another delivery right now; retry later" },
    ],
    ['an Error', new Error('boom'), { kind: 'retryable', message: 'Error: boom' }],
    ['a TypeError', new TypeError('x is not a function'), { kind: 'retryable', message: 'TypeError: x is not a function' }],
    ['a subclass without a name of its own', new PaymentError('declined'), { kind: 'retryable', message: 'PaymentError: declined' }],
    ['a subclass with a name', new NamedError('502'), { kind: 'retryable', message: 'GatewayError: 502' }],
    ['an Error without a message', new Error(), { kind: 'retryable', message: 'Error' }],
    ['a string', 'boom', { kind: 'retryable', message: 'thrown string: boom' }],
    ['an empty string', '', { kind: 'retryable', message: 'thrown string:' }],
    ['a number', 42, { kind: 'retryable', message: 'thrown number: 42' }],
    ['a boolean', false, { kind: 'retryable', message: 'thrown boolean: false' }],
    ['a bigint', 10n, { kind: 'retryable', message: 'thrown bigint: 10' }],
    ['a symbol', Symbol('s'), { kind: 'retryable', message: 'thrown symbol: Symbol(s)' }],
    ['undefined', undefined, { kind: 'retryable', message: 'thrown undefined' }],
    ['null', null, { kind: 'retryable', message: 'thrown null' }],
    ['a plain object', { status: 502, body: 'bad gateway' }, { kind: 'retryable', message: 'thrown object: {"status":502,"body":"bad gateway"}' }],
    ['an array', [1, 'two'], { kind: 'retryable', message: 'thrown object: [1,"two"]' }],
    ['an object with a bigint', { n: 1n }, { kind: 'retryable', message: 'thrown object: {"n":"1n"}' }],
    ['a circular object', circular, { kind: 'retryable', message: 'thrown object: [object Object]' }],
    ['an error-like object (another realm)', { name: 'AbortError', message: 'aborted' }, { kind: 'retryable', message: 'AbortError: aborted' }],
  ];
  for (const [name, thrown, expected] of cases) {
    it(name, () => {
      assert.deepEqual(classifyHandlerError(thrown), expected);
    });
  }

  it('never throws, whatever was thrown', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          return undefined;
        },
      },
    );
    assert.equal(classifyHandlerError(hostile).kind, 'retryable');
    const fn = () => 1;
    assert.match(classifyHandlerError(fn).message, /^thrown function: /);
  });
});

describe('describeError', () => {
  it('follows up to two causes', () => {
    const error = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: new Error('d') }) }) });
    assert.equal(describeError(error), 'Error: a (cause: Error: b) (cause: Error: c)');
  });

  it('describes a non-Error cause', () => {
    assert.equal(describeError(new Error('fetch failed', { cause: 'ECONNREFUSED' })), 'Error: fetch failed (cause: thrown string: ECONNREFUSED)');
  });

  it('shortens a long thrown value', () => {
    const message = describeError({ data: 'x'.repeat(1_000) });
    assert.ok(message.length <= 'thrown object: '.length + 200, `${message.length}`);
    assert.ok(message.endsWith('…'));
    assert.ok(describeError('y'.repeat(1_000)).length <= 'thrown string: '.length + 200);
  });

  it('stays fast and bounded on a huge message', () => {
    const started = performance.now();
    const message = describeError(new Error('a.'.repeat(500_000)));
    assert.ok(message.length <= 2_000);
    assert.ok(performance.now() - started < 1_000, 'masking must not backtrack over the whole message');
  });
});

describe('failMessage', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an Error', new TypeError('amount is NaN'), 'charge-card: TypeError: amount is NaN'],
    ['collapsed whitespace', new Error('line one\n\n   line two\t\tend  '), 'charge-card: Error: line one line two end'],
    ['a string', 'boom', 'charge-card: thrown string: boom'],
    ['undefined', undefined, 'charge-card: thrown undefined'],
    ['an object', { status: 502 }, 'charge-card: thrown object: {"status":502}'],
    ['a BpmnError', new BpmnError('NO_STOCK', 'out of stock'), 'charge-card: BpmnError: out of stock'],
    ['a multi-line string', 'a\nb', 'charge-card: thrown string: a b'],
  ];
  for (const [name, thrown, expected] of cases) {
    it(name, () => {
      assert.equal(failMessage('charge-card', thrown), expected);
    });
  }

  it('has no stack', () => {
    const error = new Error('boom');
    const message = failMessage('t', error);
    assert.ok(!message.includes('at '), message);
    assert.ok(!message.includes('\n'));
  });

  it(`is cut to ${MAX_FAIL_MESSAGE_LENGTH} characters with an ellipsis`, () => {
    const message = failMessage('t', new Error('x'.repeat(5_000)));
    assert.equal(message.length, MAX_FAIL_MESSAGE_LENGTH);
    assert.ok(message.startsWith('t: Error: xxx'));
    assert.ok(message.endsWith('x…'));
  });

  it('keeps a message of exactly the limit whole', () => {
    const text = 'y'.repeat(MAX_FAIL_MESSAGE_LENGTH - 't: Error: '.length);
    assert.equal(failMessage('t', new Error(text)), `t: Error: ${text}`);
  });

  it('does not split a surrogate pair when cutting', () => {
    const prefix = 't: Error: ';
    const text = 'a'.repeat(MAX_FAIL_MESSAGE_LENGTH - prefix.length - 2) + '😀'.repeat(10);
    const message = failMessage('t', new Error(text));
    assert.ok(message.length <= MAX_FAIL_MESSAGE_LENGTH);
    assert.ok(message.endsWith('…'));
    assert.ok(!/[\ud800-\udbff]…$/.test(message), 'no lone high surrogate before the ellipsis');
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(message), 'well-formed UTF-16');
  });

  it('masks secrets', () => {
    const error = new Error('connect postgres://app:hunter2@db:5432/app failed; password=hunter2 token: abc123 Authorization: Bearer eyJabc.def.ghi');
    const message = failMessage('sync', error);
    assert.ok(!message.includes('hunter2'), message);
    assert.ok(!message.includes('abc123'), message);
    assert.ok(!message.includes('eyJabc'), message);
    assert.equal(message, 'sync: Error: connect postgres://app:***@db:5432/app failed; password=*** token: *** Authorization: Bearer ***');
  });

  it('masks secrets in a cause and in a thrown object', () => {
    assert.equal(failMessage('t', new Error('login', { cause: new Error('api_key=K-123 rejected') })), 't: Error: login (cause: Error: api_key=*** rejected)');
    assert.equal(failMessage('t', { user: 'bob', password: 'hunter2' }), 't: thrown object: {"user":"bob","password":"***"}');
  });
});

describe('maskSecrets', () => {
  const cases: Array<[string, string]> = [
    ['password=hunter2 user=bob', 'password=*** user=bob'],
    ['PASSWORD: hunter2', 'PASSWORD: ***'],
    ['db_password=x&user=bob', 'db_password=***&user=bob'],
    ['passwd=x pwd=y', 'passwd=*** pwd=***'],
    ['{"client_secret":"s3cr3t","id":"app"}', '{"client_secret":"***","id":"app"}'],
    ["{'secret': 'abc'}", "{'secret': '***'}"],
    ['access_token=abc.def refresh_token=ghi', 'access_token=*** refresh_token=***'],
    ['apiKey=K1; x-api-key: K2', 'apiKey=***; x-api-key: ***'],
    ['private_key=-----BEGIN', 'private_key=***'],
    ['credentials=user:pw', 'credentials=***'],
    ['Authorization: Bearer abc.DEF-123_~+/=', 'Authorization: Bearer ***'],
    ['authorization=Basic dXNlcjpwYXNz', 'authorization=Basic ***'],
    ['header Bearer abc', 'header Bearer ***'],
    ['redis://:pw@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['amqps://user:p%40ss@mq/vhost', 'amqps://user:***@mq/vhost'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nat_ure here', 'jwt *** here'],
    // not secrets: left alone
    ['processInstanceKey=2251799813685249 jobKey=1', 'processInstanceKey=2251799813685249 jobKey=1'],
    ['invalid token in request', 'invalid token in request'],
    ['https://example.com/path?a=1', 'https://example.com/path?a=1'],
    ['user@example.com wrote', 'user@example.com wrote'],
    ['password=***', 'password=***'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => {
      assert.equal(maskSecrets(input), expected);
    });
  }
});

describe('retriesAfterFailure', () => {
  const cases: Array<[number, number]> = [
    [3, 2],
    [1, 0],
    [0, 0],
    [-1, 0],
    [100, 99],
    [2.7, 1],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
  ];
  for (const [current, expected] of cases) {
    it(`${current} → ${expected}`, () => {
      assert.equal(retriesAfterFailure(current), expected);
    });
  }
});
