/**
 * The engine as a program: `node --import tsx src/engine/main.ts [--port N] [--host H] [--rest-port N]
 * [--max-in-flight N]` (`--max-in-flight` turns on backpressure: past N commands in flight, limited
 * commands get 8 RESOURCE_EXHAUSTED, as from a Zeebe broker; off by default).
 * Prints one line when it listens, and stops cleanly on SIGTERM or SIGINT. Exit codes: 0 stopped,
 * 1 could not start (the message says why, e.g. the port is taken), 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { EngineStartError, startEngine } from './engine-server.ts';

async function main(): Promise<void> {
  let values: { port?: string; host?: string; 'rest-port'?: string; 'max-in-flight'?: string };
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, host: { type: 'string' }, 'rest-port': { type: 'string' }, 'max-in-flight': { type: 'string' } },
    }));
  } catch (error) {
    process.stderr.write(`forager engine: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`forager engine: --port must be a number from 0 to 65535, not '${values.port}'\n`);
    process.exit(2);
  }
  const maxInFlight = values['max-in-flight'] === undefined ? undefined : Number(values['max-in-flight']);
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight >= 0)) {
    process.stderr.write(`forager engine: --max-in-flight must be a whole number of at least 0, not '${values['max-in-flight']}'\n`);
    process.exit(2);
  }
  try {
    // eslint-disable-next-line no-restricted-globals -- the program's own start-up time, not engine time
    const started = performance.now();
    const restPort = values['rest-port'] === undefined ? 0 : Number(values['rest-port']);
    const engine = await startEngine({
      port,
      restPort,
      ...(values.host ? { host: values.host } : {}),
      ...(maxInFlight !== undefined ? { backpressure: { maxInFlight } } : {}),
    });
    // eslint-disable-next-line no-restricted-globals -- as above
    const startMs = Math.round(performance.now() - started);
    process.stdout.write(
      `forager engine listening on ${engine.address} (REST ${engine.restAddress}, started in ${startMs} ms)\n`,
    );
    const shutdown = () => {
      engine.stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  } catch (error) {
    const code = error instanceof EngineStartError ? error.code : 'START_FAILED';
    process.stderr.write(`forager engine: ${(error as Error).message} [${code}]\n`);
    process.exit(1);
  }
}

await main();
