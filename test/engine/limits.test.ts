/**
 * Answers that would not fit a gRPC status trailer (issue 20, 4): a rejection naming a 100,000-character
 * process id, a deployment with hundreds of validation errors. Before, such a status message stalled the
 * HTTP/2 connection: no answer until the client's deadline, and the next call on it hung too. Now the message
 * is summarised to fit, the caller gets its status at once, and the connection keeps serving.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capStatusMessage, MAX_STATUS_MESSAGE_BYTES } from '../../src/engine/gateway/errors.ts';
import { bpmnXml, chain, endEvent, startEvent, userTask } from '../helpers/bpmn.ts';
import { engineTest } from '../helpers/engine-harness.ts';
import type { GrpcStatusError } from '../helpers/raw-gateway.ts';

const rejection = (promise: Promise<unknown>): Promise<GrpcStatusError> =>
  promise.then(
    () => assert.fail('expected a rejection'),
    (error: GrpcStatusError) => error,
  );

engineTest('a 100,000-character process id: NOT_FOUND at once, its message summarised, the connection still serving', async (h) => {
  const raw = h.raw();
  const id = 'p'.repeat(100_000);
  const error = await rejection(raw.unary('CreateProcessInstance', { bpmnProcessId: id, version: -1, variables: '{}' }, 10_000));
  assert.equal(error.code, 5, error.details);
  assert.ok(encodeURI(error.details).length <= MAX_STATUS_MESSAGE_BYTES, `${error.details.length} characters`);
  assert.match(error.details, /more characters\)/);
  assert.equal((await raw.unary('Topology', {}, 5_000)).gatewayVersion.startsWith('8.8'), true);
});

engineTest('a deployment with 600 validation errors: INVALID_ARGUMENT at once, the first errors and how many more', async (h) => {
  const raw = h.raw();
  const tasks = Array.from({ length: 600 }, (_, i) => `task${i}`);
  const xml = bpmnXml('many_errors', [startEvent(), ...tasks.map(userTask), endEvent(), ...chain('start', ...tasks, 'end')]);
  const error = await rejection(raw.unary('DeployResource', { resources: [{ name: 'many.bpmn', content: Buffer.from(xml) }] }, 10_000));
  assert.equal(error.code, 3, error.details);
  assert.match(error.details, /'many\.bpmn'/);
  assert.match(error.details, /task0\b/);
  assert.match(error.details, /… and [\d,]+ more lines$/);
  assert.ok(encodeURI(error.details).length <= MAX_STATUS_MESSAGE_BYTES);
  assert.equal((await raw.unary('Topology', {}, 5_000)).gatewayVersion.startsWith('8.8'), true);
});

test('capStatusMessage: short messages as they are; whole lines kept, then a count; a long line cut, then a count', () => {
  assert.equal(capStatusMessage('short'), 'short');
  const lines = Array.from({ length: 1_000 }, (_, i) => `line ${i}`).join('\n');
  const capped = capStatusMessage(lines, 200);
  assert.ok(encodeURI(capped).length <= 200, capped);
  assert.match(capped, /^line 0\nline 1\n/);
  assert.match(capped, /\n… and 9\d\d more lines$/);
  const long = capStatusMessage('é'.repeat(10_000), 300);
  assert.ok(encodeURI(long).length <= 300);
  assert.match(long, /^é+… \(9,9\d\d more characters\)$/);
});

engineTest('REST: a malformed percent-encoding in a path is 400, not 500; a long query string is served; a head past the limit is 431 with a problem document', async (h) => {
  const rest = h.engine.restAddress;
  const malformed = await fetch(`${rest}/v2/process-instances/%E0%A4%A`);
  assert.equal(malformed.status, 400, await malformed.clone().text());
  assert.match(((await malformed.json()) as { detail: string }).detail, /Failed to convert 'processInstanceKey'/);

  const long = await fetch(`${rest}/v2/topology?padding=${'x'.repeat(100_000)}`);
  assert.equal(long.status, 200);

  const tooLong = await fetch(`${rest}/v2/topology?padding=${'x'.repeat(300_000)}`);
  assert.equal(tooLong.status, 431);
  assert.equal(tooLong.headers.get('content-type'), 'application/problem+json');
  assert.match(((await tooLong.json()) as { detail: string }).detail, /exceed 262144 bytes/);
  assert.equal((await fetch(`${rest}/v2/topology`)).status, 200, 'the server keeps serving');
});

engineTest('REST: PUT /v2/clock past the latest instant a date can hold is 400, and the clock stays', async (h) => {
  const rest = h.engine.restAddress;
  const before = h.engine.clock.now();
  const put = (timestamp: number) => fetch(`${rest}/v2/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ timestamp }) });
  const refused = await put(8_640_000_000_000_001);
  assert.equal(refused.status, 400);
  assert.match(((await refused.json()) as { detail: string }).detail, /must be at most 8640000000000000/);
  assert.ok(h.engine.clock.now() - before < 60_000, 'the clock was not moved');
});
