/**
 * The test kit waits on what the engine commits, not on a timer: `completed()` resolves on the commit that
 * completes the instance, and fails at once (not after `waitMs`) when the instance has an incident, naming it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorker, NonRetryableError } from '../../src/index.ts';
import { createTestKit } from '../../src/testing/index.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';

test('completed() fails as soon as the instance has an incident, naming it (waitMs is a minute)', { timeout: 20_000 }, async () => {
  const declined = defineWorker({
    type: 'kit-declined',
    handler: async () => {
      throw new NonRetryableError('card declined');
    },
  });
  const kit = await createTestKit({ bpmn: [{ name: 'declined.bpmn', xml: oneTaskProcess('kit_declined', 'kit-declined') }], workers: [declined], waitMs: 60_000 });
  try {
    const instance = await kit.start('kit_declined');
    await assert.rejects(instance.completed(), /did not complete: it has an incident at 'task': JOB_NO_RETRIES: kit-declined: NonRetryableError: card declined/);
    assert.equal((await instance.incident()).errorType, 'JOB_NO_RETRIES');
  } finally {
    await kit.stop();
  }
});

test('completed() resolves on the commit that completes the instance', { timeout: 20_000 }, async () => {
  const double = defineWorker({ type: 'kit-double', handler: async ({ n }: Record<string, unknown>) => ({ doubled: Number(n) * 2 }) });
  const kit = await createTestKit({ bpmn: [{ name: 'double.bpmn', xml: oneTaskProcess('kit_double', 'kit-double') }], workers: [double], waitMs: 60_000 });
  try {
    const instance = await kit.start('kit_double', { n: 21 });
    assert.equal((await instance.completed()).doubled, 42);
  } finally {
    await kit.stop();
  }
});
