/**
 * The `forager` command as the container runs it: the same program as `cli/forager.js`, compiled to
 * JavaScript (no TypeScript loader at start-up). `docker/tsconfig.build.json` builds it to dist/docker/forager.js.
 */
import { main } from '../cli/main.ts';

const code = await main(process.argv);
// Exit once stdout and stderr are flushed (a gRPC channel may keep timers alive after it is closed).
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
