/**
 * Pure tests of the REST API's pieces: the history projection fed with records (call-activity parents,
 * incidents, deletion, retention by count and by age), and the search engine (operators, `$like`, sorting with
 * missing values last, cursors).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { History } from '../../src/engine/history/history.ts';
import { likeMatcher, search, type SearchSpec } from '../../src/engine/gateway/rest/search.ts';
import { RestProblem } from '../../src/engine/gateway/rest/problem.ts';
import type { EngineRecord } from '../../src/engine/state/records.ts';
import { createClock } from '../../src/engine/time/clock.ts';

const clock = createClock();
after(() => clock.dispose());
clock.pin(Date.UTC(2030, 0, 1));
const T0 = clock.now();

let position = 0;
function event(valueType: string, intent: string, key: string, value: Record<string, unknown>, timestamp = clock.now()): EngineRecord {
  return { position: ++position, recordType: 'EVENT', valueType: valueType as EngineRecord['valueType'], intent, key, timestamp, value };
}

function element(intent: string, key: string, processInstanceKey: string, elementId: string, type: string, flowScopeKey?: string, extra: Record<string, unknown> = {}) {
  return event('PROCESS_INSTANCE', intent, key, {
    elementId,
    bpmnElementType: type,
    flowScopeKey,
    processInstanceKey,
    processDefinitionKey: '10',
    bpmnProcessId: 'order',
    version: 1,
    ...extra,
  });
}

const definition = event('PROCESS', 'CREATED', '10', {
  bpmnProcessId: 'order',
  version: 1,
  resourceName: 'order.bpmn',
  checksum: 'x',
  deploymentKey: '9',
  model: { name: 'Order', elements: { task: { name: 'Pack' } } },
});

describe('history projection', () => {
  test('instances, elements, parent keys, incidents and deletion', () => {
    const history = new History(clock);
    history.apply([
      definition,
      element('ELEMENT_ACTIVATING', '100', '100', 'order', 'PROCESS'),
      element('ELEMENT_ACTIVATING', '101', '100', 'task', 'SERVICE_TASK', '100'),
      element('ELEMENT_ACTIVATING', '200', '200', 'order', 'PROCESS', undefined, { parentProcessInstanceKey: '100', parentElementInstanceKey: '101' }),
      event('INCIDENT', 'CREATED', '300', {
        errorType: 'IO_MAPPING_ERROR', errorMessage: 'no x', processInstanceKey: '100', processDefinitionKey: '10',
        bpmnProcessId: 'order', elementId: 'task', elementInstanceKey: '101', variableScopeKey: '101', creationTime: T0,
      }),
    ]);
    assert.equal(history.processInstance('100')?.processDefinitionName, 'Order');
    assert.equal(history.processInstance('100')?.hasIncident, true);
    assert.equal(history.elementInstance('101')?.elementName, 'Pack');
    assert.equal(history.elementInstance('101')?.incidentKey, '300');
    assert.deepEqual(
      [history.processInstance('200')?.parentProcessInstanceKey, history.processInstance('200')?.parentElementInstanceKey],
      ['100', '101'],
    );
    assert.equal(history.flowScopeOf('101'), '100');

    history.apply([event('INCIDENT', 'RESOLVED', '300', {}), element('ELEMENT_TERMINATED', '101', '100', 'task', 'SERVICE_TASK', '100')]);
    assert.equal(history.incident('300')?.state, 'RESOLVED');
    assert.equal(history.processInstance('100')?.hasIncident, false);
    assert.equal(history.elementInstance('101')?.state, 'TERMINATED');
    assert.equal(history.elementInstance('101')?.incidentKey, undefined);

    history.apply([event('PROCESS', 'DELETED', '11', { deletedKey: '10' })]);
    assert.equal(history.processDefinition('10'), undefined);
    assert.ok(history.processInstance('100'), 'instances stay until retention drops them');
  });

  test('retention: by count at once, by age as the engine clock moves; running instances stay', () => {
    const history = new History(clock, { retentionMs: 10_000, maxEndedInstances: 2 });
    const records = [definition];
    for (const key of ['1', '2', '3', '4']) {
      records.push(element('ELEMENT_ACTIVATING', key, key, 'order', 'PROCESS'));
      records.push(event('VARIABLE', 'CREATED', `${key}0`, { scopeKey: key, name: 'v', value: Number(key), processInstanceKey: key }));
    }
    history.apply(records);
    history.apply([element('ELEMENT_COMPLETED', '1', '1', 'order', 'PROCESS')]);
    clock.advance(5000);
    history.apply([element('ELEMENT_COMPLETED', '2', '2', 'order', 'PROCESS'), element('ELEMENT_COMPLETED', '3', '3', 'order', 'PROCESS')]);
    assert.equal(history.processInstance('1'), undefined, 'beyond two ended instances the oldest goes');
    assert.equal(history.variable('10'), undefined, 'with its variables');
    assert.deepEqual(history.sizes().endedInstances, 2);
    clock.advance(10_000);
    assert.equal(history.processInstance('2')?.state, 'COMPLETED', 'ended exactly 10 s ago: kept');
    clock.advance(1);
    assert.equal(history.processInstance('2'), undefined, 'ended more than 10 s ago: dropped');
    assert.equal(history.processInstance('4')?.state, 'ACTIVE');
    assert.equal(history.variable('40')?.value, '4');
  });

  test('element instances are the flow nodes only: no row for the process itself, as Camunda\'s exporters write them', () => {
    const history = new History(clock);
    history.apply([
      definition,
      element('ELEMENT_ACTIVATING', '500', '500', 'order', 'PROCESS'),
      element('ELEMENT_ACTIVATING', '501', '500', 'task', 'SERVICE_TASK', '500'),
      element('ELEMENT_COMPLETED', '501', '500', 'task', 'SERVICE_TASK', '500'),
      element('ELEMENT_COMPLETED', '500', '500', 'order', 'PROCESS'),
    ]);
    assert.deepEqual([...history.elementInstances()].map((e) => [e.elementInstanceKey, e.type, e.state]), [['501', 'SERVICE_TASK', 'COMPLETED']]);
    assert.equal(history.elementInstance('500'), undefined, 'a process instance key is no element instance key');
    assert.deepEqual(history.elementsOf('500').map((e) => e.elementInstanceKey), ['501']);
    assert.equal(history.sizes().elementInstances, 1);
    assert.equal(history.processInstance('500')?.state, 'COMPLETED', 'the process instance row still follows its own events');
    assert.ok(history.processInstance('500')?.endDate);

    // A dump written before (with a PROCESS row among the elements) loads without it.
    const dump = JSON.parse(history.dump()) as { elements: { f: string[]; c: Record<string, unknown>; r: unknown[][] } };
    const task = { ...history.elementInstance('501')! } as Record<string, unknown>;
    const processRow: Record<string, unknown> = { ...task, elementInstanceKey: '500', elementId: 'order', elementName: 'order', type: 'PROCESS' };
    const fields = Object.keys(task);
    dump.elements = { f: fields, c: {}, r: [processRow, task].map((r) => fields.map((field) => r[field] ?? null)) };
    const loaded = new History(clock);
    loaded.load(JSON.stringify(dump));
    assert.deepEqual([...loaded.elementInstances()].map((e) => e.elementInstanceKey), ['501']);
    assert.equal(loaded.elementInstance('500'), undefined);
    assert.equal(loaded.processInstance('500')?.state, 'COMPLETED');
  });

  test('bad retention options are refused', () => {
    assert.throws(() => new History(clock, { retentionMs: -1 }), RangeError);
    assert.throws(() => new History(clock, { maxEndedInstances: 1.5 }), RangeError);
  });
});

describe('search', () => {
  interface Row {
    key: string;
    name?: string;
    n: number;
  }
  const spec: SearchSpec<Row> = {
    key: 'key',
    filter: { key: { kind: 'key', ops: 'basic' }, name: { kind: 'string', ops: 'string' }, n: { kind: 'int', ops: 'range' } },
    sort: ['name', 'n'],
  };
  const rows: Row[] = [
    { key: '10', name: 'beta', n: 3 },
    { key: '9', name: 'alpha', n: 1 },
    { key: '11', n: 2 },
    { key: '100', name: 'a*b', n: 5 },
  ];
  const keys = (body: Record<string, unknown>) => search(spec, body as never, rows).items.map((r) => r.key);

  test('keys sort as numbers; missing values sort last in both orders', () => {
    assert.deepEqual(keys({}), ['9', '10', '11', '100']);
    assert.deepEqual(keys({ sort: [{ field: 'name' }] }), ['100', '9', '10', '11']);
    assert.deepEqual(keys({ sort: [{ field: 'name', order: 'DESC' }] }), ['10', '9', '100', '11']);
  });

  test('operators', () => {
    assert.deepEqual(keys({ filter: { n: { $gte: 2, $lt: 5 } } }), ['10', '11']);
    assert.deepEqual(keys({ filter: { key: { $in: ['9', 100] } } }), ['9', '100']);
    assert.deepEqual(keys({ filter: { key: { $notIn: ['9'] }, name: { $exists: true } } }), ['10', '100']);
    assert.deepEqual(keys({ filter: { name: { $like: 'a*' } } }), ['9', '100']);
    assert.deepEqual(keys({ filter: { name: { $like: 'a\\*?' } } }), ['100']);
    assert.deepEqual(keys({ filter: { name: { $neq: 'beta' } } }), ['9', '11', '100']);
  });

  test('like patterns treat regular-expression characters literally', () => {
    assert.ok(likeMatcher('a.b?')('a.bc'));
    assert.ok(!likeMatcher('a.b')('axb'));
    assert.ok(likeMatcher('(x)*')('(x)yz'));
  });

  test('like patterns: wildcards, escapes, whole-value matches', () => {
    const cases: [string, string, boolean][] = [
      ['', '', true],
      ['', 'a', false],
      ['*', '', true],
      ['*', 'anything at all', true],
      ['?', '', false],
      ['?', 'é', true], // one character, not one UTF-16 unit
      ['??', '😀', false],
      ['a*b', 'ab', true],
      ['a*b', 'axxb', true],
      ['a*b', 'axxbx', false],
      ['*ab', 'aab', true],
      ['a*a*b', 'aaaab', true],
      ['*a?c*', 'xxabcxx', true],
      ['ord-*-?', 'ord-2024-7', true],
      ['ord-*-?', 'ord-2024-77', false],
      ['ord-*?', 'ord-2024-77', true],
      ['ord-*-??', 'ord-2024-7', false],
      ['\\*', '*', true],
      ['\\*', 'x', false],
      ['a\\?', 'a?', true],
      ['a\\?', 'ab', false],
      ['\\\\', '\\', true],
      ['**', 'x', true],
      ['ABC', 'abc', false],
    ];
    for (const [pattern, text, expected] of cases) assert.equal(likeMatcher(pattern)(text), expected, `'${pattern}' against '${text}'`);
  });

  test('like patterns cannot stall the engine: a pattern that backtracks without end in a regular expression', { timeout: 30_000 }, () => {
    // As a regular expression (^.*a.*a.*a.*a.*a.*a.*a.*a.*b$) this takes longer than the age of the universe.
    const text = 'a'.repeat(20_000);
    assert.equal(likeMatcher('*a*a*a*a*a*a*a*a*b')(text), false);
    assert.equal(likeMatcher('*a*a*a*a*a*a*a*a*a')(text), true);
  });

  test('cursors page forward and back; bad ones are a 400', () => {
    const first = search(spec, { page: { limit: 1 } } as never, rows);
    const second = search(spec, { page: { limit: 2, after: first.page.endCursor } } as never, rows);
    assert.deepEqual(second.items.map((r) => r.key), ['10', '11']);
    const back = search(spec, { page: { limit: 5, before: second.page.startCursor } } as never, rows);
    assert.deepEqual(back.items.map((r) => r.key), ['9']);
    assert.throws(() => search(spec, { page: { after: 'bm9wZQ==' } } as never, rows), (e: unknown) => e instanceof RestProblem && e.status === 400);
  });
});
