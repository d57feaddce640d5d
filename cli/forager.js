#!/usr/bin/env node
// The `forager` command: registers tsx (forager ships TypeScript sources) and runs cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const code = await main(process.argv);
// Exit explicitly (an SDK client may keep timers alive after it is closed), once stdout and stderr are flushed.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
