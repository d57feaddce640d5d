import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineWorker } from '../../src/index.ts';
import { createTestKit } from '../../src/testing/index.ts';

test('hello through forager\'s own worker loop', { timeout: 20_000 }, async () => {
  const greet = defineWorker({
    type: 'greet',
    variables: z.object({ name: z.string() }),
    handler: ({ name }) => ({ greeting: `Hello, ${name}` }),
  });
  for (const mode of ['stream', 'poll'] as const) {
    const kit = await createTestKit({ bpmn: ['bpmn/hello.bpmn'], workers: [greet], mode });
    try {
      const instance = await kit.start('hello', { name: 'Ada' });
      assert.equal((await instance.completed()).greeting, 'Hello, Ada');
    } finally {
      await kit.stop();
    }
  }
});
