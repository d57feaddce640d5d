#!/usr/bin/env node
/**
 * The `forager` command. Built to `dist/cli/forager.js`, the package's `bin`; in this repository it runs from
 * the sources with `node --import tsx cli/forager.ts`.
 */
import { main } from './main.ts';

// A reader that goes away (`forager --help | head`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const code = await main(process.argv);
// Exit explicitly (an SDK client may keep timers alive after it is closed), once stdout and stderr are flushed.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
