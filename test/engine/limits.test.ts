/**
 * The engine's limits, each answered clearly (issue 20): a status message that would not fit a gRPC trailer
 * (a rejection naming a 100,000-character process id, a deployment with hundreds of validation errors: before,
 * the HTTP/2 connection stalled) is summarised; malformed or oversized REST requests get 400 / 431; a clock
 * past the latest date is refused; variables nested deeper than Zeebe's 1000 levels are refused at the gateway.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capStatusMessage, MAX_STATUS_MESSAGE_BYTES } from '../../src/engine/gateway/errors.ts';
import { bpmnXml, chain, endEvent, oneTaskProcess, startEvent, userTask } from '../helpers/bpmn.ts';
import { deploy, engineTest, instanceCompleted, openEngine } from '../helpers/engine-harness.ts';
import { RawGateway, type GrpcStatusError } from '../helpers/raw-gateway.ts';

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

/** `{"v":{"v":…{"v":1}}}` with `levels` levels of objects. */
const nested = (levels: number): string => `${'{"v":'.repeat(levels - 1)}{"v":1}${'}'.repeat(levels - 1)}`;

test('variables nested deeper than 1000 levels are refused at the gateway (3, naming the limit), over gRPC and REST; 1000 levels run through activation, a snapshot and a restart', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'forager-nesting-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await openEngine(t, { dataDir: dir });
  await deploy(first.zb, oneTaskProcess('nesting', 'nesting-job'));
  const raw = new RawGateway(first.engine.address);
  t.after(() => raw.close());
  const before = first.engine.records().length;

  const refused = await rejection(raw.unary('CreateProcessInstance', { bpmnProcessId: 'nesting', version: -1, variables: nested(1_001) }));
  assert.equal(refused.code, 3, refused.details);
  assert.match(refused.details, /nested at most 1000 levels deep/);
  const rest = await fetch(`${first.engine.restAddress}/v2/process-instances`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"processDefinitionId":"nesting","variables":${nested(1_001)}}`,
  });
  assert.equal(rest.status, 400);
  assert.match(((await rest.json()) as { detail: string }).detail, /nested at most 1000 levels deep/);
  assert.equal(first.engine.records().length, before, 'nothing of the refused commands was processed');

  // The deepest document allowed is created, handed to a worker, snapshotted and recovered.
  const created = await raw.unary('CreateProcessInstance', { bpmnProcessId: 'nesting', version: -1, variables: nested(1_000) });
  const batches = await raw.collect('ActivateJobs', { type: 'nesting-job', worker: 'limits', timeout: 60_000, maxJobsToActivate: 1, requestTimeout: 5_000 });
  const job = batches.flatMap((batch) => batch.jobs as { key: string; processInstanceKey: string; variables: string }[])[0];
  assert.equal(job?.processInstanceKey, created.processInstanceKey);
  assert.equal(JSON.stringify(JSON.parse(String(job!.variables))), JSON.stringify(JSON.parse(nested(1_000))));
  await first.engine.snapshot();
  raw.close();
  await first.close();
  const second = await openEngine(t, { dataDir: dir });
  const again = new RawGateway(second.engine.address);
  t.after(() => again.close());
  await again.unary('CompleteJob', { jobKey: job!.key, variables: '{}' });
  assert.ok(instanceCompleted(second.engine, String(created.processInstanceKey)));
  await second.close();
});
