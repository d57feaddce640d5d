import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBroker } from '../../src/testing/index.ts';

test('with no broker in the environment, startBroker starts forager\'s engine and stops it', async () => {
  const broker = await startBroker({});
  try {
    assert.ok(broker.engine, 'an engine was started');
    assert.equal(broker.address, broker.engine.address);
    assert.equal(`${broker.config.address?.host}:${broker.config.address?.port}`, broker.address);
    assert.equal(broker.config.address?.secure, false);
  } finally {
    await broker.stop();
  }
});

test('with ZEEBE_GRPC_ADDRESS set, startBroker uses that broker and starts none', async () => {
  const own = await startBroker({});
  try {
    const broker = await startBroker({ ZEEBE_GRPC_ADDRESS: `grpc://${own.address}`, CAMUNDA_AUTH_STRATEGY: 'NONE' });
    assert.equal(broker.engine, undefined);
    assert.equal(broker.address, own.address);
    await broker.stop(); // leaves the external broker alone
    const again = await startBroker({ ZEEBE_ADDRESS: own.address, CAMUNDA_SECURE_CONNECTION: 'false', CAMUNDA_AUTH_STRATEGY: 'NONE' });
    assert.equal(again.address, own.address);
  } finally {
    await own.stop();
  }
});

test('an address that does not answer fails fast, naming it', async () => {
  const started = performance.now();
  await assert.rejects(
    startBroker({ ZEEBE_GRPC_ADDRESS: 'grpc://127.0.0.1:1', CAMUNDA_AUTH_STRATEGY: 'NONE' }, { reachableTimeoutMs: 3000 }),
    /127\.0\.0\.1:1/,
  );
  assert.ok(performance.now() - started < 10_000);
});
