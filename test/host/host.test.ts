/**
 * The worker host, whole-program: `forager run` spawned as an operator runs it (its own process, JSON logs
 * on stdout, HTTP port 0), against forager's engine started with `forager engine up` (a separate process,
 * one for this file, private FORAGER_HOME). Readiness flips when the broker appears and while draining;
 * /metrics scrapes, parses and counts the jobs run; FORAGER_TYPES / --types run only those types;
 * per-type overrides; SIGTERM under load exits 0 with every started job completed; a second signal exits
 * at once; errors escaping a handler do not end the process; bad configuration exits 2 with its message.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/index.ts';
import { createJobClient, type JobClient } from '../../src/transport/index.ts';
import { cleanUp, exitOf, forager, freePort, killSpawned, parseUp } from '../cli/helpers.ts';
import { get, metric, oneTask, ROOT, scrape, SDK, spawnHost, until, writeFiles } from './helpers.ts';

const WORKERS = {
  'fast.ts': `import { defineWorker } from '${SDK}';
export default defineWorker({ type: 'host-fast', handler: async ({ n }) => ({ doubled: Number(n) * 2 }) });
`,
  'boom.ts': `import { defineWorker } from '${SDK}';
// Errors no handler catches: thrown from a timer, and a rejection nobody awaits.
export default defineWorker({
  type: 'host-boom',
  handler: async () => {
    setTimeout(() => { throw new Error('escaped from a timer'); }, 0);
    void Promise.reject(new Error('a rejection nobody awaits'));
    return { survived: true };
  },
});
`,
  'fail.ts': `import { defineWorker } from '${SDK}';
export default defineWorker({ type: 'host-fail', handler: async () => { throw new Error('card declined'); } });
`,
  'slow.js': `import { defineWorker } from '${SDK}';
// A built .js worker, as in an image: takes \`ms\` to finish.
export const slow = defineWorker({
  type: 'host-slow',
  handler: async ({ ms }, ctx) => {
    ctx.log.info('slow job started');
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { slept: ms };
  },
});
`,
  '_helper.ts': `export const notAWorker = 1;\n`,
};

describe('forager run (the worker host) against forager engine up', () => {
  let home = '';
  let project = '';
  let port = 0;
  let env: Record<string, string> = {};
  let rest = '';
  let client: JobClient | undefined;
  const file = (name: string) => join(project, name);
  const broker = () => (client ??= createJobClient(resolveConfig({ ZEEBE_GRPC_ADDRESS: env.ZEEBE_GRPC_ADDRESS })));

  const search = async (path: string, filter: Record<string, unknown>) => {
    const response = await fetch(`${rest}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filter }) });
    assert.equal(response.status, 200);
    return ((await response.json()) as { items: Record<string, unknown>[] }).items;
  };
  /** Polls the engine's REST search (Operate's view) until `count` items match: the engine's state, not a sleep. */
  const found = async (path: string, filter: Record<string, unknown>, count = 1, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const items = await search(path, filter);
      if (items.length >= count) return items;
      if (Date.now() > deadline) throw new Error(`found ${items.length} of ${count} in ${path} for ${JSON.stringify(filter)} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-host-'));
    project = await mkdtemp(join(tmpdir(), 'forager-host-project-'));
    // A user's project: ESM, forager's dependencies at hand.
    await writeFiles(project, { 'package.json': '{ "name": "host-test-project", "type": "module" }\n' });
    await symlink(join(ROOT, 'node_modules'), file('node_modules'));
    await mkdir(file('workers'));
    await writeFiles(file('workers'), WORKERS);
    await mkdir(file('dup'));
    await writeFiles(file('dup'), {
      'a.ts': `import { defineWorker } from '${SDK}';\nexport default defineWorker({ type: 'host-dup', handler: () => ({}) });\n`,
      'b.ts': `import { defineWorker } from '${SDK}';\nexport default defineWorker({ type: 'host-dup', handler: () => ({}) });\n`,
    });
    await mkdir(file('none'));
    await writeFiles(file('none'), { 'util.ts': `export function helper() { return 1; }\n` });
    port = await freePort();
    env = { FORAGER_HOME: home, ZEEBE_GRPC_ADDRESS: `grpc://127.0.0.1:${port}` };
  });

  after(async () => {
    killSpawned();
    client?.close();
    await cleanUp(home);
    await rm(project, { recursive: true, force: true });
  });

  it('is alive but not ready until the broker answers, then ready; metrics show the connection', async () => {
    const host = spawnHost(['--workers', file('workers'), '--types', 'host-fast'], { ...env, FORAGER_BROKER_CHECK_INTERVAL: '200ms' });
    const url = await host.url();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await get(`${url}/healthz`), { status: 200, body: '{"status":"alive"}\n', contentType: 'application/json' });
    await host.logged((l) => l.msg === 'the broker does not answer; not ready until it does');
    const notReady = await get(`${url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(JSON.parse(notReady.body).broker as string, /connection refused/);
    let samples = await scrape(url);
    assert.equal(metric(samples, 'forager_broker_connected'), 0);
    assert.equal(metric(samples, 'forager_ready'), 0);
    assert.equal((await get(`${url}/nope`)).status, 404);

    // The broker appears at the configured address.
    const up = await forager(['engine', 'up', '--port', String(port)], { FORAGER_HOME: home });
    assert.equal(up.code, 0, up.stderr);
    rest = parseUp(up.stdout).ZEEBE_REST_ADDRESS;
    const ready = JSON.parse(await until(`${url}/readyz`, 200)) as Record<string, unknown>;
    assert.deepEqual(ready, { status: 'ready', broker: 'connected', draining: false, jobTypes: ['host-fast'] });
    samples = await scrape(url);
    assert.equal(metric(samples, 'forager_broker_connected'), 1);
    assert.equal(metric(samples, 'forager_ready'), 1);

    host.child.kill('SIGTERM');
    assert.equal(await exitOf(host.child, 15_000), 0, host.output());
    await broker().deploy(
      ['host_fast', 'host_boom', 'host_slow'].map((id) => ({ name: `${id}.bpmn`, content: Buffer.from(oneTask(id, id.replace('_', '-'))) })).concat([
        { name: 'host_fail.bpmn', content: Buffer.from(oneTask('host_fail', 'host-fail', 1)) },
      ]),
    );
  });

  it('FORAGER_TYPES runs only those types; /metrics counts the jobs run; one log line per outcome; escaped errors do not end it', async () => {
    assert.ok(rest, 'the engine is up (first test)');
    const host = spawnHost(['--workers', file('workers')], {
      ...env,
      FORAGER_TYPES: 'host-fast,host-boom,host-fail',
      FORAGER_WORKER_HOST_FAST_CAPACITY: '3',
      FORAGER_WORKER_HOST_BOOM_TIMEOUT: '45s',
    });
    const url = await host.url();
    await until(`${url}/readyz`, 200);
    await host.logged((l) => l.msg === 'workers running');
    assert.deepEqual(host.logs.find((l) => l.msg === 'workers running')?.jobTypes, ['host-boom', 'host-fail', 'host-fast']);

    const fast = await Promise.all([1, 2, 3, 4, 5].map((n) => broker().createInstance('host_fast', { n })));
    const boom = await broker().createInstance('host_boom', {});
    const fail = await broker().createInstance('host_fail', {});
    const slow = await broker().createInstance('host_slow', { ms: 1500 });

    const completedLine = (type: string) => (l: Record<string, unknown>) => l.msg === 'job completed' && l.jobType === type;
    await found('/v2/process-instances/search', { processDefinitionId: 'host_fast', state: 'COMPLETED' }, 5);
    await found('/v2/incidents/search', { processInstanceKey: fail, state: 'ACTIVE' });
    await host.logged(completedLine('host-boom'));
    await host.logged((l) => l.msg === 'job failed: no retries left, an incident is raised');
    await host.logged((l) => /uncaught rejection/.test(String(l.msg)));
    await host.logged((l) => /uncaught exception/.test(String(l.msg)));
    // One line per outcome: job key, type, process instance and duration.
    const lines = await host.loggedTimes(completedLine('host-fast'), 5);
    assert.equal(lines.length, 5, host.output());
    assert.deepEqual(lines.map((l) => l.processInstanceKey).sort(), [...fast].sort());
    for (const line of lines) {
      assert.match(String(line.jobKey), /^\d+$/);
      assert.equal(typeof line.durationMs, 'number');
      assert.equal(line.level, 30);
    }
    const failed = host.logs.find((l) => l.outcome === 'failed');
    assert.equal(failed?.processInstanceKey, fail);
    assert.match(String(failed?.errorMessage), /card declined/);
    assert.equal(host.logs.find((l) => l.outcome === 'completed' && l.jobType === 'host-boom')?.processInstanceKey, boom);

    const samples = await scrape(url);
    const fastType = { type: 'host-fast' };
    assert.equal(metric(samples, 'forager_jobs_completed_total', fastType), 5);
    assert.equal((metric(samples, 'forager_jobs_activated_total', { ...fastType, via: 'stream' }) ?? 0) + (metric(samples, 'forager_jobs_activated_total', { ...fastType, via: 'poll' }) ?? 0), 5);
    assert.equal(metric(samples, 'forager_job_duration_seconds_count', { ...fastType, outcome: 'completed' }), 5);
    assert.equal(metric(samples, 'forager_job_duration_seconds_bucket', { ...fastType, outcome: 'completed', le: '+Inf' }), 5);
    assert.equal(metric(samples, 'forager_jobs_completed_total', { type: 'host-boom' }), 1);
    assert.equal(metric(samples, 'forager_jobs_failed_total', { type: 'host-fail', incident: 'true' }), 1);
    assert.equal(metric(samples, 'forager_jobs_lost_total', fastType), 0);
    assert.equal(metric(samples, 'forager_jobs_in_flight', fastType), 0);
    assert.equal(metric(samples, 'forager_job_capacity', fastType), 3, 'FORAGER_WORKER_HOST_FAST_CAPACITY');
    assert.equal(metric(samples, 'forager_job_capacity', { type: 'host-boom' }), 32, "the worker file's default");
    assert.equal(metric(samples, 'forager_poll_errors_total', fastType), 0);
    assert.ok((metric(samples, 'forager_uncaught_errors_total', { kind: 'exception' }) ?? 0) >= 1);
    assert.ok((metric(samples, 'forager_uncaught_errors_total', { kind: 'rejection' }) ?? 0) >= 1);
    assert.ok((metric(samples, 'process_resident_memory_bytes') ?? 0) > 10_000_000);
    assert.ok(samples.some((s) => s.name.startsWith('nodejs_eventloop_lag')));
    assert.ok(!samples.some((s) => s.labels.type === 'host-slow'), 'host-slow is not run here');

    // host-slow was not asked for: its job waits for a host that runs it (the next test's).
    assert.equal((await search('/v2/process-instances/search', { processInstanceKey: slow }))[0]?.state, 'ACTIVE');
    assert.ok(!host.logs.some((l) => l.jobType === 'host-slow' && l.outcome !== undefined));
    assert.ok(host.logs.some((l) => l.msg === 'job type host-slow not run here: not selected'));
    assert.equal(host.child.exitCode, null, 'errors escaping a handler did not end the host');

    host.child.kill('SIGTERM');
    assert.equal(await exitOf(host.child, 15_000), 0, host.output());
  });

  it('SIGTERM under load: not ready while draining, every started job completes, exit 0', async () => {
    assert.ok(rest, 'the engine is up (first test)');
    const host = spawnHost(['--workers', file('workers'), '--types', 'host-slow'], { ...env, FORAGER_SHUTDOWN_GRACE: '20s' });
    const url = await host.url();
    await until(`${url}/readyz`, 200);
    const keys = await Promise.all([1, 2, 3, 4, 5, 6].map(() => broker().createInstance('host_slow', { ms: 1500 })));
    // Six new jobs and the one left waiting by the previous test.
    await host.loggedTimes((l) => l.msg === 'slow job started', 7);
    assert.equal(metric(await scrape(url), 'forager_jobs_in_flight', { type: 'host-slow' }), 7);

    host.child.kill('SIGTERM');
    await host.logged((l) => String(l.msg).startsWith('draining'));
    const draining = await get(`${url}/readyz`);
    assert.equal(draining.status, 503);
    assert.equal(JSON.parse(draining.body).draining, true);
    assert.equal((await get(`${url}/healthz`)).status, 200, 'alive while draining');

    assert.equal(await exitOf(host.child, 20_000), 0, host.output());
    const completed = host.logs.filter((l) => l.msg === 'job completed' && l.jobType === 'host-slow');
    assert.equal(completed.length, 7, host.output());
    assert.ok(!host.logs.some((l) => l.outcome === 'lost'));
    const done = await found('/v2/process-instances/search', { processDefinitionId: 'host_slow', state: 'COMPLETED' }, 7);
    for (const key of keys) assert.ok(done.some((i) => i.processInstanceKey === key), `instance ${key} completed`);
    assert.equal((await search('/v2/process-instances/search', { processDefinitionId: 'host_slow', state: 'ACTIVE' })).length, 0);
  });

  it('a second signal exits at once, without waiting for the jobs in flight', async () => {
    assert.ok(rest, 'the engine is up (first test)');
    const host = spawnHost(['--workers', file('workers'), '--types', 'host-slow'], env);
    const url = await host.url();
    await until(`${url}/readyz`, 200);
    await broker().createInstance('host_slow', { ms: 120_000 });
    await host.logged((l) => l.msg === 'slow job started');
    host.child.kill('SIGTERM');
    await host.logged((l) => String(l.msg).startsWith('draining'));
    const t0 = Date.now();
    host.child.kill('SIGINT');
    assert.equal(await exitOf(host.child, 5_000), 1, host.output());
    assert.ok(Date.now() - t0 < 3_000, `exited ${Date.now() - t0} ms after the second signal`);
    assert.ok(host.logs.some((l) => l.msg === 'second signal: exiting without draining'));
  });

  it('bad configuration or worker files exit 2 with a message naming the problem, before starting anything', async () => {
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      ['port out of range', [], { FORAGER_HTTP_PORT: '99999' }, /^forager: FORAGER_HTTP_PORT: expected a whole number from 0 to 65535 \(got "99999"\)$/m],
      ['flag beats variable', ['--http-port', 'x'], { FORAGER_HTTP_PORT: '0' }, /^forager: --http-port: expected a whole number from 0 to 65535 \(got "x"\)$/m],
      ['unknown type asked for', ['--types', 'host-fast,host-nope'], {}, /for job type host-nope \(job types found: host-boom, host-fail, host-fast, host-slow\)$/m],
      ['two files, one type', ['--workers', file('dup')], {}, /^forager: \S*dup\/a\.ts and \S*dup\/b\.ts both define job type "host-dup": one file per job type$/m],
      ['a file with no worker', ['--workers', file('none')], {}, /^forager: \S*none\/util\.ts exports no worker/m],
      ['no such directory', ['--workers', file('missing')], {}, /^forager: cannot read workers directory \S*missing: no such directory$/m],
      ['bad capacity', [], { FORAGER_WORKER_HOST_FAST_CAPACITY: '0' }, /^forager: FORAGER_WORKER_HOST_FAST_CAPACITY: expected a whole number from 1 to 10000 \(got "0"\)$/m],
      ['override of no type', [], { FORAGER_WORKER_HOST_FASTER_ENABLED: 'false' }, /^forager: FORAGER_WORKER_HOST_FASTER_\*: no worker has a job type with key HOST_FASTER/m],
      ['unknown per-type setting', [], { FORAGER_WORKER_HOST_FAST_RETRIES: '3' }, /^forager: FORAGER_WORKER_HOST_FAST_RETRIES: not a per-type setting/m],
      ['asked for and disabled', ['--types', 'host-fast'], { FORAGER_WORKER_HOST_FAST_ENABLED: 'no' }, /host-fast is asked for .* but disabled by FORAGER_WORKER_HOST_FAST_ENABLED=false/],
      ['bad grace', ['--grace', 'soon'], {}, /^forager: --grace: expected a duration such as '30s'/m],
      ['bad mode', [], { FORAGER_MODE: 'push' }, /^forager: FORAGER_MODE: expected one of stream, poll \(got "push"\)$/m],
      ['bad broker address', [], { ZEEBE_GRPC_ADDRESS: 'http://127.0.0.1:1' }, /^forager: ZEEBE_GRPC_ADDRESS: expected grpc:\/\/ or grpcs:\/\/, not http:\/\//m],
    ];
    // Two at a time: each is a node process of its own.
    for (let i = 0; i < cases.length; i += 2) {
      await Promise.all(
        cases.slice(i, i + 2).map(async ([name, args, extra, message]) => {
          const result = await forager(['run', '--workers', file('workers'), ...args], { ...env, FORAGER_HTTP_PORT: '0', ...extra }, 30_000);
          assert.equal(result.code, 2, `${name}: ${result.stderr}`);
          assert.match(result.stderr, message, name);
          assert.doesNotMatch(result.stdout, /workers running|HTTP server/, name);
        }),
      );
    }
  });

  it('--print-config prints the resolved configuration with secrets redacted', async () => {
    const result = await forager(['run', '--workers', file('workers'), '--print-config', '--types', 'host-nope'], {
      ...env,
      CAMUNDA_AUTH_STRATEGY: 'OAUTH',
      ZEEBE_CLIENT_ID: 'worker-client',
      ZEEBE_CLIENT_SECRET: 's3cret-value',
      CAMUNDA_OAUTH_URL: 'http://127.0.0.1:1/token',
      FORAGER_WORKER_HOST_FAST_CAPACITY: '4',
      FORAGER_SHUTDOWN_GRACE: '40s',
    });
    assert.equal(result.code, 2, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /s3cret-value/);
    const printed = JSON.parse(result.stdout) as { broker: Record<string, unknown>; host: Record<string, unknown> };
    assert.deepEqual(printed.broker.auth, {
      strategy: 'OAUTH',
      clientId: 'worker-client',
      clientSecret: '<redacted>',
      oauthUrl: 'http://127.0.0.1:1/token',
      diskCache: true,
    });
    assert.equal(printed.broker.address, env.ZEEBE_GRPC_ADDRESS);
    assert.equal(printed.host.shutdownGraceMs, 40_000);
    assert.deepEqual(printed.host.overrides, { HOST_FAST: { capacity: 4 } });
    assert.deepEqual(printed.host.types, ['host-nope']);
  });
});
