/**
 * A request field the engine's protocol does not know (a newer client's feature, e.g. the Java client 8.9's
 * `tags` or runtime instructions on CreateProcessInstance) is refused with 3 INVALID_ARGUMENT instead of being
 * dropped silently. The requests are written byte by byte, as a newer client would send them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startEngine } from '../../src/engine/index.ts';
import { appendToEmbedded, topLevelFieldNumbers } from '../../src/engine/gateway/unknown-fields.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}
/** Field `n` as length-delimited bytes (a string or an embedded message). */
function bytesField(n: number, value: Buffer | string): Buffer {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return Buffer.concat([varint((n << 3) | 2), varint(bytes.length), bytes]);
}
const stringField = bytesField;
/** Field `n` as int32 -1 (ten varint bytes). */
function minusOne(n: number): Buffer {
  return Buffer.from([n << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
}

test('topLevelFieldNumbers reads the field numbers of a message', () => {
  assert.deepEqual(topLevelFieldNumbers(Buffer.concat([stringField(2, 'p'), minusOne(3), stringField(9, 'x')])), [2, 3, 9]);
  assert.equal(topLevelFieldNumbers(Buffer.from([0x12, 0x05, 0x61])), undefined, 'a length past the end');
});

test('CreateProcessInstance with a field the protocol lacks gets 3 naming it; without it, it runs', async (t) => {
  const engine = await startEngine();
  const client = new grpc.Client(engine.address, grpc.credentials.createInsecure());
  t.after(async () => {
    client.close();
    await engine.stop();
  });
  // DeployResourceRequest { resources (1): Resource { name (1), content (2) } }
  const deploy = bytesField(1, Buffer.concat([bytesField(1, 'p.bpmn'), bytesField(2, Buffer.from(oneTaskProcess('unknown-fields', 'uf')))]));
  const call = (method: string, body: Buffer) =>
    new Promise<{ error: grpc.ServiceError | null }>((resolve) => {
      client.makeUnaryRequest(`/gateway_protocol.Gateway/${method}`, (b: Buffer) => b, (b: Buffer) => b, body, (error) => resolve({ error }));
    });
  assert.equal((await call('DeployResource', deploy)).error, null);
  const plain = Buffer.concat([stringField(2, 'unknown-fields'), minusOne(3)]);
  assert.equal((await call('CreateProcessInstance', plain)).error, null, 'the same request without the extra field runs');
  const withTags = Buffer.concat([plain, stringField(9, 'vip')]);
  const { error } = await call('CreateProcessInstance', withTags);
  assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(error!.details, /field 9/);
  const created = engine.records().filter((r) => r.recordType === 'EVENT' && r.valueType === 'PROCESS_INSTANCE_CREATION');
  assert.equal(created.length, 1, 'the refused request created nothing');
});

test('appendToEmbedded adds bytes to each embedded message of a field and keeps the rest', () => {
  const job = (key: string) => bytesField(8, key); // any field inside the job
  const response = Buffer.concat([bytesField(1, job('a')), bytesField(2, 'other'), bytesField(1, job('b'))]);
  const extra = Buffer.from([0x88, 0x01, 0x06]);
  const rewritten = appendToEmbedded(response, 1, extra);
  assert.deepEqual(rewritten, Buffer.concat([bytesField(1, Buffer.concat([job('a'), extra])), bytesField(2, 'other'), bytesField(1, Buffer.concat([job('b'), extra]))]));
});
