#!/usr/bin/env node
/**
 * The `forager` command. Built to `dist/cli/forager.js`, the package's `bin`; in this repository it runs from
 * the sources with `node --import tsx cli/forager.ts`.
 */
import { main } from './main.ts';

const code = await main(process.argv);
// Exit explicitly (an SDK client may keep timers alive after it is closed), once stdout and stderr are flushed.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
