/**
 * Pure units of the host's configuration: defaults, FORAGER_* variables and flags (flags win), per-type
 * overrides matched to job types, the selection of workers per pod, redaction, and the readable log line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config/index.ts';
import { HOST_DEFAULTS, printableConfig, resolveHostConfig, typeKey } from '../../src/config/host.ts';
import { prettyLine, selectWorkers, type LoadedWorker } from '../../src/host/index.ts';
import { defineWorker } from '../../src/index.ts';

const loaded = (...types: string[]): LoadedWorker[] =>
  types.map((type) => ({ file: `workers/${type}.ts`, definition: defineWorker({ type, maxJobsActive: 8, timeout: '30s', handler: () => ({}) }) }));

function configError(run: () => unknown, variable: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.variable, variable);
    assert.match(error.message, message);
    return true;
  });
}

describe('host configuration', () => {
  it('defaults, frozen', () => {
    const host = resolveHostConfig({ HOSTNAME: 'greet-7d9f-abc' });
    assert.deepEqual(host, {
      workersDir: 'workers',
      types: undefined,
      mode: 'stream',
      http: { enabled: true, host: '127.0.0.1', port: HOST_DEFAULTS.httpPort },
      shutdownGraceMs: 25_000,
      pollRequestTimeoutMs: 20_000,
      brokerCheckIntervalMs: 10_000,
      workerName: 'forager-greet-7d9f-abc',
      logFormat: 'auto',
      overrides: {},
      printConfig: false,
    });
    assert.ok(Object.isFrozen(host) && Object.isFrozen(host.http));
  });

  it('reads FORAGER_* variables; flags win; empty values count as unset', () => {
    const env = {
      FORAGER_WORKERS_DIR: 'dist/workers',
      FORAGER_TYPES: 'greet, send-email,greet',
      FORAGER_MODE: 'POLL',
      FORAGER_HTTP_HOST: '0.0.0.0',
      FORAGER_HTTP_PORT: '9100',
      FORAGER_SHUTDOWN_GRACE: '1m',
      FORAGER_POLL_REQUEST_TIMEOUT: '5s',
      FORAGER_BROKER_CHECK_INTERVAL: '2500ms',
      FORAGER_WORKER_NAME: 'pod-1',
      FORAGER_LOG_FORMAT: 'json',
      FORAGER_HTTP_ENABLED: '',
    };
    const host = resolveHostConfig(env);
    assert.equal(host.workersDir, 'dist/workers');
    assert.deepEqual(host.types, ['greet', 'send-email']);
    assert.equal(host.mode, 'poll');
    assert.deepEqual(host.http, { enabled: true, host: '0.0.0.0', port: 9100 });
    assert.equal(host.shutdownGraceMs, 60_000);
    assert.equal(host.pollRequestTimeoutMs, 5_000);
    assert.equal(host.brokerCheckIntervalMs, 2_500);
    assert.equal(host.workerName, 'pod-1');
    assert.equal(host.logFormat, 'json');
    const flagged = resolveHostConfig(env, { workers: 'w', types: 'a', mode: 'stream', httpPort: '0', grace: '2s', logFormat: 'pretty', printConfig: true });
    assert.deepEqual(
      [flagged.workersDir, flagged.types, flagged.mode, flagged.http.port, flagged.shutdownGraceMs, flagged.logFormat, flagged.printConfig],
      ['w', ['a'], 'stream', 0, 2_000, 'pretty', true],
    );
  });

  it('refuses bad values, naming the variable or flag and the value', () => {
    configError(() => resolveHostConfig({ FORAGER_HTTP_PORT: '65536' }), 'FORAGER_HTTP_PORT', /expected a whole number from 0 to 65535 \(got "65536"\)/);
    configError(() => resolveHostConfig({}, { httpPort: '-1' }), '--http-port', /got "-1"/);
    configError(() => resolveHostConfig({ FORAGER_TYPES: 'a,,b' }), 'FORAGER_TYPES', /separated by commas/);
    configError(() => resolveHostConfig({ FORAGER_SHUTDOWN_GRACE: '10 minutes' }), 'FORAGER_SHUTDOWN_GRACE', /duration/);
    configError(() => resolveHostConfig({ FORAGER_BROKER_CHECK_INTERVAL: '10ms' }), 'FORAGER_BROKER_CHECK_INTERVAL', /at least 100ms/);
    configError(() => resolveHostConfig({ FORAGER_HTTP_ENABLED: 'maybe' }), 'FORAGER_HTTP_ENABLED', /true or false/);
    configError(() => resolveHostConfig({ FORAGER_LOG_FORMAT: 'xml' }), 'FORAGER_LOG_FORMAT', /json, pretty, auto/);
    configError(() => resolveHostConfig({ FORAGER_WORKER_GREET_CAPACITY: '1.5' }), 'FORAGER_WORKER_GREET_CAPACITY', /whole number from 1/);
    configError(() => resolveHostConfig({ FORAGER_WORKER_GREET_TIMEOUT: '0s' }), 'FORAGER_WORKER_GREET_TIMEOUT', /at least 1ms/);
    configError(() => resolveHostConfig({ FORAGER_WORKER_GREET_MAX_JOBS: '3' }), 'FORAGER_WORKER_GREET_MAX_JOBS', /not a per-type setting/);
  });

  it('per-type overrides as the Spring starter has them: capacity, timeout, enabled', () => {
    assert.equal(typeKey('send-email.v2'), 'SEND_EMAIL_V2');
    const host = resolveHostConfig({
      FORAGER_WORKER_SEND_EMAIL_CAPACITY: '4',
      FORAGER_WORKER_SEND_EMAIL_TIMEOUT: '2m',
      FORAGER_WORKER_LEGACY_ENABLED: 'false',
    });
    const { workers, skipped } = selectWorkers(loaded('greet', 'send-email', 'legacy'), host, 'workers');
    assert.deepEqual(
      workers.map((w) => [w.type, w.maxJobsActive, w.timeoutMs]),
      [
        ['greet', 8, 30_000],
        ['send-email', 4, 120_000],
      ],
    );
    assert.ok(Object.isFrozen(workers[1]));
    assert.deepEqual(skipped, [{ type: 'legacy', why: 'disabled' }]);
  });

  it('selects the types of this pod; a type no file provides, or an override of no type, is refused', () => {
    const { workers, skipped } = selectWorkers(loaded('a', 'b', 'c'), resolveHostConfig({ FORAGER_TYPES: 'c,a' }), 'workers');
    assert.deepEqual(
      workers.map((w) => w.type),
      ['a', 'c'],
    );
    assert.deepEqual(skipped, [{ type: 'b', why: 'not selected' }]);
    configError(() => selectWorkers(loaded('a'), resolveHostConfig({ FORAGER_TYPES: 'a,x,y' }), 'workers'), 'FORAGER_TYPES', /no worker in workers for job types x, y \(job types found: a\)/);
    configError(() => selectWorkers(loaded('a'), resolveHostConfig({ FORAGER_WORKER_B_CAPACITY: '2' }), 'workers'), 'FORAGER_WORKER_B_*', /no worker has a job type with key B; job types found: a \(A\)/);
    configError(() => selectWorkers(loaded('a-b', 'a.b'), resolveHostConfig({ FORAGER_WORKER_A_B_CAPACITY: '2' }), 'workers'), 'FORAGER_WORKER_A_B_*', /a-b and a\.b share this key/);
    configError(() => selectWorkers(loaded('a'), resolveHostConfig({ FORAGER_TYPES: 'a', FORAGER_WORKER_A_ENABLED: 'false' }), 'workers'), 'FORAGER_TYPES', /disabled by FORAGER_WORKER_A_ENABLED=false/);
  });

  it('printable configuration redacts secrets', () => {
    const config = resolveConfig({ ZEEBE_GRPC_ADDRESS: 'grpcs://c.example:443', CAMUNDA_AUTH_STRATEGY: 'BASIC', CAMUNDA_BASIC_AUTH_USERNAME: 'u', CAMUNDA_BASIC_AUTH_PASSWORD: 'hunter2', CAMUNDA_CUSTOM_ROOT_CERT_STRING: '-----BEGIN CERT' });
    const printed = JSON.stringify(printableConfig(config, resolveHostConfig({})));
    assert.doesNotMatch(printed, /hunter2|BEGIN CERT/);
    assert.match(printed, /"password":"<redacted>"/);
    assert.match(printed, /"address":"grpcs:\/\/c\.example:443"/);
  });

  it('the readable log line: time, level, message, fields', () => {
    const line = prettyLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 1, msg: 'job completed', jobType: 'greet', jobKey: '22', note: 'a b' }), false);
    assert.equal(line, '03:04:05.006 INFO  job completed jobType=greet jobKey=22 note="a b"\n');
    assert.equal(prettyLine('not json', false), 'not json\n');
  });
});
