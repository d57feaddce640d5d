/** The `greet` job of bpmn/hello.bpmn: turns `name` into a `greeting`. */
import { z } from 'zod';
import { defineWorker } from '../src/index.ts';

export default defineWorker({
  type: 'greet',
  variables: z.object({ name: z.string() }),
  handler: async ({ name }) => ({ greeting: `Hello, ${name}` }),
});
