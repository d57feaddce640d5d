import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camundaBuiltins } from '@camunda/feel-builtins';
import {
  appendWarnings,
  checkFeelSyntax,
  evaluateArray,
  evaluateBoolean,
  evaluateContext,
  evaluateFeel,
  evaluateNumber,
  evaluateString,
  evaluateStringOrNumberAsString,
  evaluateTemporal,
  isExpression,
  stripExpression,
  type FeelResult,
} from '../../src/engine/feel/index.ts';

/** The engine clock used throughout: 2024-05-17T10:30:15.120Z. */
const NOW = Date.UTC(2024, 4, 17, 10, 30, 15, 120);

function value(expression: string, variables: Record<string, unknown> = {}, now = NOW): unknown {
  const result = evaluateFeel(expression, variables, now);
  assert.ok(result.ok, `expected '${expression}' to evaluate, got: ${result.ok ? '' : result.message}`);
  return result.value;
}

function ok(result: FeelResult): { value: unknown; warnings: string[] } {
  assert.ok(result.ok, result.ok ? '' : result.message);
  return { value: result.value, warnings: result.warnings };
}

function failure(result: { ok: boolean; message?: string }): string {
  assert.equal(result.ok, false, 'expected a failure');
  return result.message ?? '';
}

// ── the language ──────────────────────────────────────────────────────────────────────────────────

test('arithmetic', () => {
  assert.equal(value('1 + 2 * 3'), 7);
  assert.equal(value('(1 + 2) * 3'), 9);
  assert.equal(value('10 / 4'), 2.5);
  assert.equal(value('2 ** 10'), 1024);
  assert.equal(value('-x + 1', { x: 5 }), -4);
  assert.equal(value('x * 1.5', { x: 4 }), 6);
  assert.equal(value('"a" + "b"'), 'ab');
});

test('paths into contexts and lists', () => {
  const order = { id: 'o-1', customer: { name: 'Zee', address: { city: 'Berlin' } }, items: [{ price: 2 }, { price: 3 }] };
  assert.equal(value('order.id', { order }), 'o-1');
  assert.equal(value('order.customer.address.city', { order }), 'Berlin');
  assert.deepEqual(value('order.items.price', { order }), [2, 3]);
  assert.equal(value('sum(order.items.price)', { order }), 5);
  assert.deepEqual(value('order.items[price > 2]', { order }), [{ price: 3 }]);
  assert.deepEqual(value('order.items[1]', { order }), { price: 2 });
  assert.deepEqual(value('order', { order }), order);
});

test('context literals, nesting and functions on contexts', () => {
  assert.deepEqual(value('{a: 1, b: {c: x}}', { x: 'y' }), { a: 1, b: { c: 'y' } });
  assert.deepEqual(value('{a: 1, b: a + 1}'), { a: 1, b: 2 });
  assert.deepEqual(value('context merge([{x: 1}, {y: 2}])'), { x: 1, y: 2 });
  assert.equal(value('get value({x: 1}, "x")'), 1);
  assert.deepEqual(value('get entries({a: 1})'), [{ key: 'a', value: 1 }]);
});

test('for loops, quantifiers and conditionals', () => {
  assert.deepEqual(value('for i in 1..3 return i * x', { x: 10 }), [10, 20, 30]);
  assert.deepEqual(value('for i in items return i.n', { items: [{ n: 'a' }, { n: 'b' }] }), ['a', 'b']);
  assert.deepEqual(value('for a in [1, 2], b in [10] return a + b'), [11, 12]);
  assert.equal(value('some i in [1, 5] satisfies i > 3'), true);
  assert.equal(value('every i in [1, 5] satisfies i > 3'), false);
  assert.equal(value('if x > 5 then "big" else "small"', { x: 7 }), 'big');
  assert.equal(value('x between 1 and 10', { x: 7 }), true);
  assert.equal(value('x in [1, 7]', { x: 7 }), true);
});

test('string functions', () => {
  assert.equal(value('upper case(s)', { s: 'abc' }), 'ABC');
  assert.equal(value('substring("foobar", 4)'), 'bar');
  assert.equal(value('string length("four")'), 4);
  assert.equal(value('contains("foobar", "ob")'), true);
  assert.equal(value('starts with("foobar", "foo")'), true);
  assert.equal(value('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")'), '[1=ab][2=]cd');
  assert.deepEqual(value('split("a,b,c", ",")'), ['a', 'b', 'c']);
  assert.equal(value('string(1.5)'), '1.5');
  assert.equal(value('number("12")'), 12);
  assert.equal(value('matches("abc", "^a.c$")'), true);
});

test('list and number functions', () => {
  assert.equal(value('count([1, 2, 3])'), 3);
  assert.equal(value('list contains([1, 2], 2)'), true);
  assert.deepEqual(value('append([1], 2)'), [1, 2]);
  assert.deepEqual(value('distinct values([1, 1, 2])'), [1, 2]);
  assert.deepEqual(value('sort([3, 1, 2], function(a, b) a < b)'), [1, 2, 3]);
  assert.equal(value('max([1, 3, 2])'), 3);
  assert.equal(value('decimal(1 / 3, 2)'), 0.33);
  assert.equal(value('floor(1.7)'), 1);
});

test('temporal values come back as Zeebe serializes them', () => {
  assert.equal(value('date("2020-01-01")'), '2020-01-01');
  assert.equal(value('date and time("2020-07-31T14:27:30@Europe/Berlin")'), '2020-07-31T14:27:30+02:00');
  assert.equal(value('date and time("2020-07-31T14:27:30Z") + duration("PT1H")'), '2020-07-31T15:27:30Z');
  assert.equal(value('date and time("2020-07-31T14:27:30")'), '2020-07-31T14:27:30');
  assert.equal(value('duration("PT36H")'), 'P1DT12H');
  assert.equal(value('duration("PT0S")'), 'P0D');
  assert.equal(value('duration("P1Y2M")'), 'P1Y2M');
  assert.equal(value('date("2020-03-01") - date("2020-02-01")'), 'P29D');
  assert.equal(value('day of week(date("2020-01-01"))'), 'Wednesday');
});

test('results are plain JSON and fresh copies', () => {
  const variables = { order: { items: [1, 2] } };
  const result = value('order', variables) as { items: number[] };
  result.items.push(3);
  assert.deepEqual(variables.order.items, [1, 2]);
  assert.equal(value('1 / 0'), null);
  assert.equal(value('function(x) x + 1'), null);
  assert.deepEqual(value('{f: function(x) x, d: date("2020-01-01")}'), { f: null, d: '2020-01-01' });
});

// ── Camunda extensions ────────────────────────────────────────────────────────────────────────────

test('is defined', () => {
  assert.equal(value('is defined(x)', { x: 1 }), true);
  assert.equal(value('is defined(x)', { x: false }), true);
  assert.equal(value('is defined(x)', {}), false);
  // FEEL 1.17+ (Zeebe 8.3+): null counts as not defined
  assert.equal(value('is defined(x)', { x: null }), false);
  assert.equal(value('is defined(x.y)', { x: {} }), false);
  assert.equal(value('is defined(value: x)', { x: 1 }), true);
  const noArgument = ok(evaluateFeel('is defined()', {}, NOW));
  assert.equal(noArgument.value, null);
  assert.deepEqual(noArgument.warnings, ["[NO_FUNCTION_FOUND] No function found with name 'is defined' and 0 parameters"]);
});

test('get or else', () => {
  assert.equal(value('get or else(x, "default")', { x: 'this' }), 'this');
  assert.equal(value('get or else(x, "default")', {}), 'default');
  assert.equal(value('get or else(null, null)'), null);
  assert.equal(value('get or else(value: x, default: 1)', { x: null }), 1);
});

test('assert passes the value through when the condition holds', () => {
  assert.equal(value('assert(x, x > 3)', { x: 4 }), 4);
  assert.equal(value('assert(x, x != null, "x is missing")', { x: 'value' }), 'value');
  assert.equal(value('assert(value: x, condition: x = 3, cause: "no")', { x: 3 }), 3);
});

test('a failing assert fails the evaluation with Zeebe\'s message', () => {
  assert.equal(
    failure(evaluateFeel('assert(x, x != null)', {}, NOW)),
    "Assertion failure on evaluate the expression 'assert(x, x != null)': The condition is not fulfilled" +
      ' The evaluation reported the following warnings:\n' +
      "[NO_VARIABLE_FOUND] No variable found with name 'x'\n" +
      "[NO_VARIABLE_FOUND] No variable found with name 'x'\n" +
      '[ASSERT_FAILURE] The condition is not fulfilled',
  );
  assert.equal(
    failure(evaluateFeel('assert(x, x < 5, "x is too big")', { x: 10 }, NOW)),
    "Assertion failure on evaluate the expression 'assert(x, x < 5, \"x is too big\")': x is too big" +
      ' The evaluation reported the following warnings:\n[ASSERT_FAILURE] x is too big',
  );
  // inside a larger expression, and through the typed helpers
  assert.match(failure(evaluateContext('{a: assert(y, y > 1, "need y")}', { y: 0 }, NOW)), /^Assertion failure on evaluate the expression '\{a: assert\(y, y > 1, "need y"\)\}': need y /);
  assert.match(failure(evaluateBoolean('assert(b, b)', { b: false }, NOW)), /The condition is not fulfilled/);
});

test('uuid', () => {
  const first = value('uuid()');
  const second = value('uuid()');
  assert.match(String(first), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(first, second);
});

test('now() and today() read the engine clock, not the wall clock', () => {
  assert.equal(value('now()'), '2024-05-17T10:30:15.12Z');
  assert.equal(value('today()'), '2024-05-17');
  assert.equal(value('now()', {}, Date.UTC(2001, 0, 2, 3, 4, 5)), '2001-01-02T03:04:05Z');
  assert.equal(value('today()', {}, Date.UTC(2001, 0, 2, 23, 59)), '2001-01-02');
  assert.equal(value('now() + duration("P1D")'), '2024-05-18T10:30:15.12Z');
  assert.equal(value('now() > date and time("2024-05-17T10:30:00Z")'), true);
  assert.equal(value('today() = date("2024-05-17")'), true);
});

test('is empty, partition, duplicate values', () => {
  assert.equal(value('is empty([])'), true);
  assert.equal(value('is empty([1, 2, 3])'), false);
  assert.deepEqual(value('partition([1, 2, 3, 4, 5], 2)'), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(value('partition([], 2)'), []);
  const zero = ok(evaluateFeel('partition([1, 2], 0)', {}, NOW));
  assert.equal(zero.value, null);
  assert.deepEqual(zero.warnings, ["[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'partition': 'size' should be greater than zero but was '0'"]);
  assert.deepEqual(value('duplicate values([1, 2, 3, 2, 1])'), [1, 2]);
  assert.deepEqual(value('duplicate values([{a: 1}, {a: 1}, {a: 2}])'), [{ a: 1 }]);
});

test('string join, with Camunda\'s delimiter, prefix and suffix', () => {
  assert.equal(value('string join(["a", "b", "c"])'), 'abc');
  assert.equal(value('string join(["a", "b", "c"], ", ")'), 'a, b, c');
  assert.equal(value('string join(["a", "b", "c"], ", ", "[", "]")'), '[a, b, c]');
  assert.equal(value('string join(["a", null, "c"], "-")'), 'a-c');
  const mixed = ok(evaluateFeel('string join(["a", 1])', {}, NOW));
  assert.equal(mixed.value, null);
  assert.deepEqual(mixed.warnings, ["[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'string join': expected a list of strings but found '[\"a\", 1]'"]);
});

test('string extensions: trim, is blank, extract, base64', () => {
  assert.equal(value('trim("  hello world  ")'), 'hello world');
  assert.equal(value('is blank("  ")'), true);
  assert.equal(value('is blank("x")'), false);
  assert.deepEqual(value('extract("references are 1234, 1256, 1378", "12[0-9]*")'), ['1234', '1256']);
  assert.equal(value('to base64("FEEL")'), 'RkVFTA==');
  assert.equal(value('from base64("RkVFTA==")'), 'FEEL');
  assert.equal(value('from base64(to base64("grüße"))'), 'grüße');
  assert.deepEqual(ok(evaluateFeel('from base64("not base64!")', {}, NOW)).warnings, [
    "[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'from base64': Invalid Base64 value 'not base64!'",
  ]);
  assert.deepEqual(ok(evaluateFeel('trim(1)', {}, NOW)).warnings, ["[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'trim': Illegal arguments: '1'"]);
});

test('context extensions: get value and context put with a key path, put all', () => {
  assert.equal(value('get value({x: 1, y: {z: 0}}, ["y", "z"])'), 0);
  assert.deepEqual(value('get value({x: {y: {z: 0}}}, ["x", "y"])'), { z: 0 });
  assert.equal(value('get value({a: {b: 3}}, ["b"])'), null);
  assert.deepEqual(value('context put({x: 1}, "y", 2)'), { x: 1, y: 2 });
  assert.deepEqual(value('context put({x: 1, y: {z: 0}}, ["y", "z"], 2)'), { x: 1, y: { z: 2 } });
  assert.deepEqual(value('context put({x: 1}, ["y", "z"], 2)'), { x: 1, y: { z: 2 } });
  assert.deepEqual(value('put all({x: 1}, {y: 2})'), { x: 1, y: 2 });
});

test('conversion and temporal extensions, random number, cycle', () => {
  assert.deepEqual(value('from json("{\\"a\\": [1, true, null]}")'), { a: [1, true, null] });
  assert.equal(value('to json({a: [1, "x"], d: date("2020-01-01")})'), '{"a":[1,"x"],"d":"2020-01-01"}');
  assert.equal(value('last day of month(date("2022-02-01"))'), '2022-02-28');
  assert.equal(value('last day of month(date and time("2024-02-16T12:00:00"))'), '2024-02-29');
  const random = value('random number()') as number;
  assert.ok(random >= 0 && random < 1);
  assert.equal(value('cycle(duration("PT1H"))'), 'R/PT1H');
  assert.equal(value('cycle(3, duration("P1D"))'), 'R3/P1D');
  assert.equal(value('cycle(null, duration("PT10S"))'), 'R/PT10S');
});

test('functions are found even when a variable has the same name', () => {
  assert.equal(value('count(items)', { count: 5, items: [1, 2] }), 2);
  assert.equal(value('count(items) + count', { count: 5, items: [1, 2] }), 7);
  assert.equal(value('trim(" a ") + trim', { trim: 'x' }), 'ax');
  assert.equal(value('uuid', { uuid: 'mine' }), 'mine');
  assert.equal(value('x > 5', { x: 10, after: 'unrelated', before: 1 }), true);
  assert.equal(value('before(1, 2) and x < 1', { x: 0 }), true);
});

test('range relations feelin leaves out answer as the DMN 1.3 spec examples say', () => {
  const cases: [string, boolean][] = [
    ['overlaps before([1..5], [3..8])', true], ['overlaps before([1..5], [6..8])', false], ['overlaps before([1..5], [5..8])', true],
    ['overlaps before([1..5], (5..8])', false], ['overlaps before([1..5), [5..8])', false], ['overlaps before([1..5), (1..5])', true],
    ['overlaps before([1..5], (1..5])', true], ['overlaps before([1..5), [1..5])', false], ['overlaps before([1..5], [1..5])', false],
    ['overlaps after([3..8], [1..5])', true], ['overlaps after([6..8], [1..5])', false], ['overlaps after((5..8], [1..5])', false],
    ['overlaps after((1..5], [1..5))', true], ['overlaps after([1..5], [1..5])', false],
    ['finishes(10, [1..10])', true], ['finishes(10, [1..10))', false], ['finishes([5..10], [1..10])', true], ['finishes([5..10), [1..10))', true],
    ['finishes([1..10], [1..10))', false], ['finishes((1..10], [1..10])', true], ['finishes([3..5], [1..10])', false],
    ['finished by([1..10], 10)', true], ['finished by([1..10), 10)', false], ['finished by([1..10], [5..10])', true], ['finished by([1..10], (1..10])', true],
    ['during(5, [1..10])', true], ['during(12, [1..10])', false], ['during(1, [1..10])', true], ['during(10, [1..10])', true], ['during(1, (1..10])', false],
    ['during([4..6], [1..10])', true], ['during([1..5], [1..10])', true], ['during((1..5], (1..10])', true], ['during((1..10), [1..10])', true],
    ['during([5..10), [1..10))', true], ['during([1..10), [1..10])', true], ['during([1..10], [1..10])', true], ['during([0..5], [1..10])', false],
    ['starts(1, [1..5])', true], ['starts(1, (1..8])', false], ['starts((1..5], [1..5])', false], ['starts([1..10], [1..10])', true],
    ['starts((1..10), (1..10))', true], ['starts([1..3], [1..10])', true],
    ['started by([1..10], 1)', true], ['started by((1..10], 1)', false], ['started by([1..10], [1..5])', true], ['started by((1..10], [1..5))', false],
    ['coincides(5, 5)', true], ['coincides(3, 4)', false], ['coincides([1..5], [1..5])', true], ['coincides((1..5), [1..5))', false], ['coincides([1..5], [2..6])', false],
    ['during(date("2026-03-10"), [date("2026-03-01")..date("2026-03-31")])', true],
    ['overlaps before([date("2026-01-01")..date("2026-03-01")], [date("2026-02-01")..date("2026-04-01")])', true],
    ['during(5, < 10)', true], ['during(15, < 10)', false], ['finishes([5..10], <= 10)', true],
  ];
  for (const [expression, expected] of cases) assert.equal(value(expression), expected, expression);
  assert.equal(value('x >= 1 and starts(1, [1..5]) and x != 3', { x: 2 }), true, 'comparisons beside a range function of a borrowed name');
  assert.equal(value('x >= 3', { x: 2 }), false);
  const mixed = evaluateFeel('during("a", [1..10])', {}, NOW);
  assert.equal(ok(mixed).value, null, 'a string against a number range is not comparable');
});

test('every Camunda built-in is callable, except the known gaps', () => {
  // fromAi is for Camunda's AI agents.
  const knownGaps = new Set(['fromAi']);
  const missing = new Set<string>();
  for (const builtin of camundaBuiltins) {
    const call = `${builtin.name}(${(builtin.params ?? []).map(() => 'null').join(', ')})`;
    const result = evaluateFeel(call, {}, NOW);
    if (result.ok && result.warnings.some((warning) => warning.startsWith('[NO_FUNCTION_FOUND]'))) missing.add(builtin.name);
  }
  assert.deepEqual([...missing].sort(), [...knownGaps].sort());
});

// ── warnings and Zeebe's incident texts ──────────────────────────────────────────────────────────

test('a missing variable is null with a NO_VARIABLE_FOUND warning', () => {
  assert.deepEqual(ok(evaluateFeel('x', {}, NOW)), { value: null, warnings: ["[NO_VARIABLE_FOUND] No variable found with name 'x'"] });
  assert.deepEqual(ok(evaluateFeel('x.y.z', {}, NOW)), { value: null, warnings: ["[NO_VARIABLE_FOUND] No variable found with name 'x'"] });
  assert.deepEqual(ok(evaluateFeel('x.y', { x: { a: 1, b: 2 } }, NOW)), {
    value: null,
    warnings: ["[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'y'. Available keys: 'a', 'b'"],
  });
  assert.deepEqual(ok(evaluateFeel('x.y', { x: null }, NOW)), {
    value: null,
    warnings: ["[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'y'. The context is null"],
  });
  assert.deepEqual(ok(evaluateFeel('{}.y', {}, NOW)).warnings, ["[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'y'. The context is empty"]);
  assert.deepEqual(ok(evaluateFeel('x + 1', {}, NOW)).warnings, [
    "[NO_VARIABLE_FOUND] No variable found with name 'x'",
    "[INVALID_TYPE] Can't add '1' to 'null'",
  ]);
});

test('an unknown function is null with a NO_FUNCTION_FOUND warning', () => {
  assert.deepEqual(ok(evaluateFeel('foo(1, 2)', {}, NOW)), {
    value: null,
    warnings: ["[NO_FUNCTION_FOUND] No function found with name 'foo' and 2 parameters"],
  });
  assert.deepEqual(ok(evaluateFeel('foo(a: 1)', {}, NOW)).warnings, ["[NO_FUNCTION_FOUND] No function found with name 'foo' and parameters: a"]);
});

test('comparing values of different types is null with NOT_COMPARABLE, like FEEL-Scala', () => {
  assert.deepEqual(ok(evaluateFeel('x < 3', {}, NOW)).warnings, [
    "[NO_VARIABLE_FOUND] No variable found with name 'x'",
    "[NOT_COMPARABLE] Can't compare 'null' with '3'",
  ]);
  assert.deepEqual(ok(evaluateFeel('orderValue >= 100', { orderValue: '99' }, NOW)), {
    value: null,
    warnings: ["[NOT_COMPARABLE] Can't compare '\"99\"' with '100'"],
  });
  assert.equal(value('x <= 5', { x: 5 }), true);
  assert.equal(value('x >= 6', { x: 5 }), false);
  assert.equal(value('x = null', {}), true);
  assert.equal(value('x != null', { x: 1 }), true);
  assert.equal(value('[1, 2] = [1, 2]'), true);
  assert.equal(value('{a: 1} != {a: 2}'), true);
  assert.equal(value('1 = "1"'), null);
  assert.equal(value('"abc" < "abd"'), true);
  assert.equal(value('date("2020-01-01") < date("2020-01-02")'), true);
  assert.equal(value('date and time("2024-01-01T10:00:00Z") > date and time("2024-01-01T11:00:00+02:00")'), true);
  assert.equal(value('duration("P1D") > duration("PT23H")'), true);
});

test('wrong result types give Zeebe\'s incident texts', () => {
  assert.equal(
    failure(evaluateBoolean('x > 5', {}, NOW)),
    "Expected result of the expression 'x > 5' to be 'BOOLEAN', but was 'NULL'. The evaluation reported the following warnings:\n" +
      "[NO_VARIABLE_FOUND] No variable found with name 'x'\n" +
      "[NOT_COMPARABLE] Can't compare 'null' with '5'",
  );
  // the example from Camunda's incident documentation
  assert.equal(
    failure(evaluateBoolean('orderValue >= 100', { orderValue: '99' }, NOW)),
    "Expected result of the expression 'orderValue >= 100' to be 'BOOLEAN', but was 'NULL'. The evaluation reported the following warnings:\n" +
      "[NOT_COMPARABLE] Can't compare '\"99\"' with '100'",
  );
  assert.equal(
    failure(evaluateString('x', {}, NOW)),
    "Expected result of the expression 'x' to be 'STRING', but was 'NULL'. The evaluation reported the following warnings:\n" +
      "[NO_VARIABLE_FOUND] No variable found with name 'x'",
  );
  assert.equal(failure(evaluateString('1 + 2', {}, NOW)), "Expected result of the expression '1 + 2' to be 'STRING', but was 'NUMBER'.");
  assert.equal(failure(evaluateNumber('"3"', {}, NOW)), "Expected result of the expression '\"3\"' to be 'NUMBER', but was 'STRING'.");
  assert.equal(failure(evaluateContext('[1]', {}, NOW)), "Expected result of the expression '[1]' to be 'OBJECT', but was 'ARRAY'.");
  assert.equal(failure(evaluateArray('{}', {}, NOW)), "Expected result of the expression '{}' to be 'ARRAY', but was 'OBJECT'.");
  assert.equal(failure(evaluateBoolean('date("2020-01-01")', {}, NOW)), "Expected result of the expression 'date(\"2020-01-01\")' to be 'BOOLEAN', but was 'DATE'.");
  assert.equal(failure(evaluateBoolean('now()', {}, NOW)), "Expected result of the expression 'now()' to be 'BOOLEAN', but was 'DATE_TIME'.");
  assert.equal(failure(evaluateBoolean('duration("PT1H")', {}, NOW)), "Expected result of the expression 'duration(\"PT1H\")' to be 'BOOLEAN', but was 'DURATION'.");
  assert.equal(failure(evaluateBoolean('duration("P1Y")', {}, NOW)), "Expected result of the expression 'duration(\"P1Y\")' to be 'BOOLEAN', but was 'PERIOD'.");
});

test('the typed helpers return the value when the type is right', () => {
  assert.deepEqual(evaluateBoolean('x > 5', { x: 10 }, NOW), { ok: true, value: true });
  assert.deepEqual(evaluateString('"job-" + type', { type: 'a' }, NOW), { ok: true, value: 'job-a' });
  assert.deepEqual(evaluateNumber('retries + 1', { retries: 2 }, NOW), { ok: true, value: 3 });
  assert.deepEqual(evaluateArray('items.id', { items: [{ id: 1 }, { id: 2 }] }, NOW), { ok: true, value: [1, 2] });
  assert.deepEqual(evaluateContext('{a: x}', { x: 1 }, NOW), { ok: true, value: { a: 1 } });
});

test('correlation keys: strings, or numbers without their fraction', () => {
  assert.deepEqual(evaluateStringOrNumberAsString('key', { key: 'k-1' }, NOW), { ok: true, value: 'k-1' });
  assert.deepEqual(evaluateStringOrNumberAsString('key', { key: 42 }, NOW), { ok: true, value: '42' });
  assert.deepEqual(evaluateStringOrNumberAsString('key', { key: 12.7 }, NOW), { ok: true, value: '12' });
  assert.equal(
    failure(evaluateStringOrNumberAsString('key', {}, NOW)),
    "Failed to extract the correlation key for 'key': The value must be either a string or a number, but was 'NULL'. " +
      "The evaluation reported the following warnings:\n[NO_VARIABLE_FOUND] No variable found with name 'key'",
  );
  assert.equal(
    failure(evaluateStringOrNumberAsString('[1]', {}, NOW)),
    "Failed to extract the correlation key for '[1]': The value must be either a string or a number, but was 'ARRAY'.",
  );
});

test('temporal attributes (timers)', () => {
  const accepted = ['DATE_TIME', 'STRING'] as const;
  assert.deepEqual(evaluateTemporal('now() + duration("PT1M")', {}, NOW, accepted), {
    ok: true,
    type: 'DATE_TIME',
    value: '2024-05-17T10:31:15.12Z',
    warnings: [],
  });
  assert.deepEqual(evaluateTemporal('date and time("2024-01-01T10:00:00")', {}, NOW, accepted), {
    ok: true,
    type: 'DATE_TIME',
    value: '2024-01-01T10:00:00Z',
    warnings: [],
  });
  assert.deepEqual(evaluateTemporal('t', { t: '2024-01-01T10:00:00Z' }, NOW, accepted), {
    ok: true,
    type: 'STRING',
    value: '2024-01-01T10:00:00Z',
    warnings: [],
  });
  assert.deepEqual(evaluateTemporal('duration("PT90M")', {}, NOW, ['DURATION', 'PERIOD', 'STRING']), {
    ok: true,
    type: 'DURATION',
    value: 'PT1H30M',
    warnings: [],
  });
  assert.equal(
    failure(evaluateTemporal('5', {}, NOW, ['DURATION', 'PERIOD', 'STRING'])),
    "Expected result of the expression '5' to be one of '[DURATION, PERIOD, STRING]', but was 'NUMBER'.",
  );
});

test('appendWarnings builds the same suffix', () => {
  assert.equal(appendWarnings('m.', []), 'm.');
  assert.equal(appendWarnings('m.', ['[A] a', '[B] b']), 'm. The evaluation reported the following warnings:\n[A] a\n[B] b');
});

// ── syntax and caching ───────────────────────────────────────────────────────────────────────────

test('checkFeelSyntax', () => {
  assert.equal(checkFeelSyntax('x > 5'), undefined);
  assert.equal(checkFeelSyntax('get or else(x, 1)'), undefined);
  assert.equal(checkFeelSyntax('{\n  a: 1,\n  b: for i in [1] return i\n}'), undefined);
  assert.equal(checkFeelSyntax('`name with spaces` + 1'), undefined);
  for (const bad of ['x ?! 5', '1 +', 'if x then 1', '{a: }', '(1', '']) {
    const message = checkFeelSyntax(bad);
    assert.ok(message, `expected a syntax error for '${bad}'`);
    assert.ok(message.startsWith(`failed to parse expression '${bad}': `), message);
  }
  assert.equal(checkFeelSyntax('1 +'), "failed to parse expression '1 +': Incomplete <ArithmeticExpression> at 1:4");
  // evaluating an invalid expression fails with the same message
  assert.deepEqual(evaluateFeel('1 +', {}, NOW), { ok: false, message: "failed to parse expression '1 +': Incomplete <ArithmeticExpression> at 1:4" });
});

test('caching keeps expressions and evaluations apart', () => {
  for (let round = 0; round < 3; round++) {
    assert.equal(value('a + b', { a: 1, b: round }), 1 + round);
    assert.equal(value('a - b', { a: 1, b: round }), 1 - round);
    assert.equal(value('a', { a: round }), round);
    assert.equal(value('a > b', { a: round, b: 1 }), round > 1);
    assert.equal(checkFeelSyntax('a +'), "failed to parse expression 'a +': Incomplete <ArithmeticExpression> at 1:4");
    assert.equal(checkFeelSyntax('a + b'), undefined);
  }
  // warnings of one evaluation do not leak into the next
  assert.equal(ok(evaluateFeel('missing', {}, NOW)).warnings.length, 1);
  assert.deepEqual(ok(evaluateFeel('missing', { missing: 1 }, NOW)), { value: 1, warnings: [] });
  assert.equal(failure(evaluateFeel('assert(1, false)', {}, NOW)).includes('The condition is not fulfilled'), true);
  assert.deepEqual(ok(evaluateFeel('assert(1, true)', {}, NOW)), { value: 1, warnings: [] });
});

test('isExpression and stripExpression', () => {
  assert.equal(isExpression('=x'), true);
  assert.equal(isExpression('= x + 1'), true);
  assert.equal(isExpression('job-type'), false);
  assert.equal(isExpression(''), false);
  assert.equal(isExpression('='), false);
  assert.equal(isExpression(undefined), false);
  assert.equal(stripExpression('=x'), 'x');
  assert.equal(stripExpression('= x + 1'), 'x + 1');
  assert.equal(stripExpression('  =\n{a: 1}'), '{a: 1}');
});
