/**
 * The engine's edges as a client meets them: a gRPC request over the maximum message size (4 MiB, Zeebe's
 * default) gets 8 RESOURCE_EXHAUSTED from the transport and runs nothing, the engine serves on afterwards;
 * an address to bind that is not loopback is refused before anything listens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EngineStartError, startEngine } from '../../src/engine/index.ts';
import { loadGateway } from '../../src/transport/channel.ts';
import { emptyProcess } from '../helpers/bpmn.ts';

type StatusError = Error & { code: number; details: string };

test('a gRPC request over 4 MiB gets 8 RESOURCE_EXHAUSTED, starts nothing, and the engine serves on', { timeout: 30_000 }, async (t) => {
  const engine = await startEngine();
  t.after(() => engine.stop());
  const Gateway = loadGateway();
  const client = new Gateway(engine.address, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const unary = (method: string, request: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      client[method](request, { deadline: Date.now() + 10_000 }, (error: StatusError | null, response: Record<string, unknown>) =>
        error ? reject(error) : resolve(response),
      ),
    );

  await unary('DeployResource', { resources: [{ name: 'limits.bpmn', content: Buffer.from(emptyProcess('limits')) }] });
  const huge = JSON.stringify({ blob: 'x'.repeat(5 * 1024 * 1024) });
  await assert.rejects(unary('CreateProcessInstance', { bpmnProcessId: 'limits', version: -1, variables: huge }), (error: StatusError) => {
    assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED, `${error.code} ${error.details}`);
    assert.match(error.details, /larger than max|exceeds maximum/i);
    return true;
  });

  const search = await fetch(`${engine.restAddress}/v2/process-instances/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filter: { processDefinitionId: 'limits' } }),
  });
  assert.deepEqual(((await search.json()) as { items: unknown[] }).items, [], 'the refused request started no instance');

  const created = await unary('CreateProcessInstance', { bpmnProcessId: 'limits', version: -1, variables: JSON.stringify({ blob: 'x'.repeat(1024) }) });
  assert.match(String(created.processInstanceKey), /^\d+$/, 'a request under the limit on the same connection is served');
});

test('an address to bind that is not loopback is refused with NOT_LOOPBACK before anything listens', async () => {
  for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
    await assert.rejects(startEngine({ host }), (error: EngineStartError) => {
      assert.ok(error instanceof EngineStartError, String(error));
      assert.equal(error.code, 'NOT_LOOPBACK');
      assert.match(error.message, new RegExp(`loopback addresses only, not '${host.replace(/\./g, '\\.')}'`));
      return true;
    });
  }
  const engine = await startEngine({ host: '127.0.0.1' });
  await engine.stop();
});
