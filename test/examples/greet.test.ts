// The README's test-kit example, as a user would write it (imports through the package's public names).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestKit } from 'forager/testing';
import greet from '../../workers/greet.ts';

test('greets by name', async () => {
  const kit = await createTestKit({ bpmn: ['bpmn/hello.bpmn'], workers: [greet] });
  try {
    const instance = await kit.start('hello', { name: 'Ada' });
    assert.equal((await instance.completed()).greeting, 'Hello, Ada');
  } finally {
    await kit.stop();
  }
});

test('an instance whose worker is missing says where it waits', async () => {
  const kit = await createTestKit({ bpmn: ['bpmn/hello.bpmn'], waitMs: 300 });
  try {
    const instance = await kit.start('hello', { name: 'Ada' });
    await assert.rejects(instance.completed(), /it waits at 'greet'/);
  } finally {
    await kit.stop();
  }
});
