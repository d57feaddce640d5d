#!/usr/bin/env node
/**
 * The engine as a program: `node --import tsx src/engine/main.ts [--port N] [--host H] [--rest-port N]
 * [--max-in-flight N] [--auth-issuer URL [--auth-audience A[,B]] [--auth-jwks-uri URL]]` (`--max-in-flight`
 * turns on backpressure: past N commands in flight, limited commands get 8 RESOURCE_EXHAUSTED, as from a Zeebe
 * broker; off by default). `--auth-issuer` turns on authentication: every gRPC and REST call needs a bearer
 * JWT of that OIDC issuer (16 UNAUTHENTICATED / 401 otherwise); the environment variables
 * FORAGER_ENGINE_AUTH_ISSUER, FORAGER_ENGINE_AUTH_AUDIENCE and FORAGER_ENGINE_AUTH_JWKS_URI do the same when
 * the flags are absent. Off by default.
 * `--data-dir DIR` keeps the engine's log and snapshots in DIR: a command is answered once its records are on
 * disk, and a start (after `kill -9` too) recovers the state; `--snapshot-every N` takes a snapshot every N
 * records (default 100 000). Without `--data-dir`, the engine is in memory. With it, one more line is printed
 * before the ready line: `forager engine recovered … from DIR …`; the log's counters (fsyncs, group commits,
 * batches, records, bytes, snapshots) are printed as one JSON line `forager engine storage {…}` on SIGUSR2 and
 * when the engine stops, so a benchmark can compute fsyncs per second.
 * `--retention-ms MS` and `--max-ended-instances N` bound the history the REST searches read: an ended instance
 * (with its elements, jobs, incidents and variables) is dropped once it ended MS ago on the engine clock, or
 * once more than N ended instances are kept (default 24 hours and 10 000).
 * `--name TEXT` is accepted and otherwise ignored: it marks the process on its command line as the engine of that name
 * (`forager engine up --name`), which is how `forager engine status` recognises it whichever install started it.
 * Prints one line when it listens, and stops cleanly on SIGTERM or SIGINT. Exit codes: 0 stopped,
 * 1 could not start (the message says why, e.g. the port is taken), 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { EngineStartError, startEngine } from './engine-server.ts';
import { AuthConfigError } from './gateway/auth.ts';

async function main(): Promise<void> {
  let values: {
    port?: string;
    host?: string;
    'rest-port'?: string;
    'max-in-flight'?: string;
    'auth-issuer'?: string;
    'auth-audience'?: string;
    'auth-jwks-uri'?: string;
    'data-dir'?: string;
    'snapshot-every'?: string;
    'retention-ms'?: string;
    'max-ended-instances'?: string;
    name?: string;
  };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'rest-port': { type: 'string' },
        'max-in-flight': { type: 'string' },
        'auth-issuer': { type: 'string' },
        'auth-audience': { type: 'string' },
        'auth-jwks-uri': { type: 'string' },
        'data-dir': { type: 'string' },
        'snapshot-every': { type: 'string' },
        'retention-ms': { type: 'string' },
        'max-ended-instances': { type: 'string' },
        name: { type: 'string' },
      },
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
  const dataDir = values['data-dir'];
  if (dataDir !== undefined && dataDir.trim() === '') {
    process.stderr.write('forager engine: --data-dir needs a directory\n');
    process.exit(2);
  }
  const snapshotEvery = values['snapshot-every'] === undefined ? undefined : Number(values['snapshot-every']);
  if (snapshotEvery !== undefined && !(Number.isInteger(snapshotEvery) && snapshotEvery >= 1)) {
    process.stderr.write(`forager engine: --snapshot-every must be a whole number of at least 1, not '${values['snapshot-every']}'\n`);
    process.exit(2);
  }
  if (snapshotEvery !== undefined && dataDir === undefined) {
    process.stderr.write('forager engine: --snapshot-every needs --data-dir\n');
    process.exit(2);
  }
  // The history the REST searches read: ended instances are dropped past this age or beyond this count.
  const retentionMs = values['retention-ms'] === undefined ? undefined : Number(values['retention-ms']);
  if (retentionMs !== undefined && !(Number.isSafeInteger(retentionMs) && retentionMs >= 0)) {
    process.stderr.write(`forager engine: --retention-ms must be a whole number of milliseconds (0 or more), not '${values['retention-ms']}'\n`);
    process.exit(2);
  }
  const maxEnded = values['max-ended-instances'] === undefined ? undefined : Number(values['max-ended-instances']);
  if (maxEnded !== undefined && !(Number.isSafeInteger(maxEnded) && maxEnded >= 0)) {
    process.stderr.write(`forager engine: --max-ended-instances must be a whole number of at least 0, not '${values['max-ended-instances']}'\n`);
    process.exit(2);
  }
  const history = {
    ...(retentionMs !== undefined ? { retentionMs } : {}),
    ...(maxEnded !== undefined ? { maxEndedInstances: maxEnded } : {}),
  };
  const env = (name: string) => process.env[name]?.trim() || undefined;
  const issuer = values['auth-issuer'] ?? env('FORAGER_ENGINE_AUTH_ISSUER');
  const audienceText = values['auth-audience'] ?? env('FORAGER_ENGINE_AUTH_AUDIENCE');
  const jwksUri = values['auth-jwks-uri'] ?? env('FORAGER_ENGINE_AUTH_JWKS_URI');
  if (issuer === undefined && (audienceText !== undefined || jwksUri !== undefined)) {
    process.stderr.write('forager engine: --auth-audience and --auth-jwks-uri need --auth-issuer (or FORAGER_ENGINE_AUTH_ISSUER)\n');
    process.exit(2);
  }
  const audience = audienceText?.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const auth =
    issuer === undefined
      ? undefined
      : { issuer, ...(audience && audience.length > 0 ? { audience } : {}), ...(jwksUri !== undefined ? { jwksUri } : {}) };
  try {
    // eslint-disable-next-line no-restricted-globals -- the program's own start-up time, not engine time
    const started = performance.now();
    const restPort = values['rest-port'] === undefined ? 0 : Number(values['rest-port']);
    const engine = await startEngine({
      port,
      restPort,
      ...(values.host ? { host: values.host } : {}),
      ...(maxInFlight !== undefined ? { backpressure: { maxInFlight } } : {}),
      ...(auth ? { auth } : {}),
      ...(dataDir !== undefined ? { dataDir } : {}),
      ...(snapshotEvery !== undefined ? { storage: { snapshotEvery } } : {}),
      ...(Object.keys(history).length > 0 ? { history } : {}),
      // Recent records serve tests in the same process (records(), checkIntegrity()); a program needs few.
      recentRecords: 10_000,
      onStorageFailure: (error) => {
        // Nothing can be acknowledged any more: stop, so that clients fail over instead of waiting.
        process.stderr.write(`forager engine: ${error.message} [${error.code}]\n`);
        process.exit(1);
      },
    });
    // eslint-disable-next-line no-restricted-globals -- as above
    const startMs = Math.round(performance.now() - started);
    const recovery = engine.recovery;
    if (recovery) {
      const from = recovery.snapshotFile ? `snapshot at position ${recovery.snapshotPosition} + ` : '';
      const cut = recovery.bytesCut > 0 ? `; cut a torn tail of ${recovery.bytesCut} bytes from ${recovery.cutFile}` : '';
      const skipped = recovery.skippedSnapshot ? `; passed over a snapshot: ${recovery.skippedSnapshot}` : '';
      process.stdout.write(
        `forager engine recovered ${from}${recovery.eventsReplayed} events replayed (${recovery.recordsRead} records, ` +
          `last position ${recovery.lastPosition}, ${recovery.segments} log segments, ${recovery.logBytes} bytes) from ${dataDir}${cut}${skipped}\n`,
      );
    }
    process.stdout.write(
      `forager engine listening on ${engine.address} (REST ${engine.restAddress}, started in ${startMs} ms)\n`,
    );
    if (auth) {
      const audiences = auth.audience ? `, audience ${auth.audience.map((a) => `'${a}'`).join(' or ')}` : '';
      process.stdout.write(`forager engine: authentication on: bearer tokens of issuer ${auth.issuer}${audiences}\n`);
    }
    const printStats = () => {
      const stats = engine.storageStats();
      if (stats) process.stdout.write(`forager engine storage ${JSON.stringify(stats)}\n`);
    };
    process.on('SIGUSR2', printStats);
    const shutdown = () => {
      engine.stop().then(
        () => {
          printStats();
          process.exit(0);
        },
        (error: unknown) => {
          process.stderr.write(`forager engine: stopping failed: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  } catch (error) {
    if (error instanceof AuthConfigError) {
      process.stderr.write(`forager engine: ${error.message} [${error.code}]\n`);
      process.exit(2);
    }
    const code = error instanceof EngineStartError ? error.code : 'START_FAILED';
    process.stderr.write(`forager engine: ${(error as Error).message} [${code}]\n`);
    process.exit(1);
  }
}

await main();
