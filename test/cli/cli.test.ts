/**
 * Whole-program tests of the CLI against forager's engine: `node --import tsx cli/forager.ts …` spawned as a user runs
 * it, with the engine started by `forager engine up` in a temporary FORAGER_HOME. Everything spawned is
 * killed in the `after` hook (and `forager engine down` run), also when a test fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bpmn, cleanUp, killSpawned, exitOf, forager, HELLO, isGone, parseUp, start, waitForOutput } from './helpers.ts';

describe('forager CLI against its engine', () => {
  let home = '';
  let env: Record<string, string> = {};
  let pid = 0;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-cli-'));
  });
  after(async () => {
    killSpawned();
    await cleanUp(home);
  });

  it('engine up prints the address lines (gRPC and REST); status reports pid and uptime', async () => {
    const up = await forager(['engine', 'up'], { FORAGER_HOME: home });
    assert.equal(up.code, 0, up.stderr);
    const addresses = parseUp(up.stdout);
    env = { FORAGER_HOME: home, ...addresses };
    const record = JSON.parse(await readFile(join(home, 'engines', 'default.json'), 'utf8')) as { pid: number; port: number };
    pid = record.pid;
    assert.equal(`127.0.0.1:${record.port}`, addresses.ZEEBE_ADDRESS);
    const topology = (await (await fetch(`${addresses.ZEEBE_REST_ADDRESS}/v2/topology`)).json()) as { gatewayVersion: string };
    assert.match(topology.gatewayVersion, /^8\.8\./, 'the REST address answers GET /v2/topology');

    const status = await forager(['engine', 'status'], { FORAGER_HOME: home });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`running at ${addresses.ZEEBE_ADDRESS.replace(/\./g, '\\.')} \\(pid ${pid}, up \\d+`));
  });

  describe('with the engine running', () => {
    it('a second engine up reuses the running engine', async () => {
      const again = await forager(['engine', 'up'], { FORAGER_HOME: home });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(parseUp(again.stdout), {
        ZEEBE_ADDRESS: env.ZEEBE_ADDRESS,
        ZEEBE_GRPC_ADDRESS: env.ZEEBE_GRPC_ADDRESS,
        ZEEBE_REST_ADDRESS: env.ZEEBE_REST_ADDRESS,
      });
      assert.match(again.stderr, new RegExp(`reusing .* \\(pid ${pid}\\)`));

      const json = await forager(['--json', 'engine', 'up'], { FORAGER_HOME: home });
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), parseUp(again.stdout));
      assert.equal(json.stderr, '', '--json: no notes');
      const status = await forager(['--json', 'engine', 'status'], { FORAGER_HOME: home });
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(
        (({ running, answering, pid: statusPid, address }) => ({ running, answering, pid: statusPid, address }))(JSON.parse(status.stdout) as Record<string, unknown>),
        { running: true, answering: true, pid, address: env.ZEEBE_ADDRESS },
      );
    });

    it('deploys hello.bpmn, runs the workers and awaits the greeting', async () => {
      const run = start(['run'], env);
      const running = waitForOutput(run, /workers running/, 20_000);
      const deploy = await forager(['deploy', 'bpmn/hello.bpmn'], env);
      assert.equal(deploy.code, 0, deploy.stderr);
      assert.match(deploy.stdout.trim(), /^deployed hello version \d+ \(key \d+\) from bpmn\/hello\.bpmn$/);
      await running;

      const [awaited, created, awaitedIso] = await Promise.all([
        forager(['start', 'hello', '--variables', '{"name":"World"}', '--await', '--timeout', '10000'], env),
        forager(['start', 'hello', '--variables', '{"name":"key"}'], env),
        // an ISO 8601 request timeout (10 s, not 10 ms: the result arrives)
        forager(['start', 'hello', '--variables', '{"name":"ISO"}', '--await', '--request-timeout', 'PT10S'], env),
      ]);
      assert.equal(awaitedIso.code, 0, awaitedIso.stderr);
      assert.deepEqual(JSON.parse(awaitedIso.stdout.trim().split('\n')[1]!), { name: 'ISO', greeting: 'Hello, ISO' });
      assert.equal(awaited.code, 0, awaited.stderr);
      const [instanceKey, resultLine] = awaited.stdout.trim().split('\n');
      assert.match(instanceKey!, /^\d+$/);
      const result = JSON.parse(resultLine!) as Record<string, unknown>;
      assert.deepEqual(result, { name: 'World', greeting: 'Hello, World' });
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout.trim(), /^\d+$/);

      // SIGTERM drains and exits 0.
      run.kill('SIGTERM');
      assert.equal(await exitOf(run, 15_000), 0);
    });

    it('deploy of a missing file exits 2 and sends nothing', async () => {
      const result = await forager(['deploy', HELLO, 'missing.bpmn'], env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^forager: cannot read missing\.bpmn: no such file$/m);
      assert.equal(result.stdout, '');
    });

    it('deploy with broken XML exits 2 naming the file and line, and deploys nothing', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'forager-bpmn-'));
      try {
        const good = join(dir, 'atomic_check.bpmn');
        const broken = join(dir, 'broken.bpmn');
        await writeFile(good, bpmn('atomic_check'));
        await writeFile(broken, bpmn('broken_check').replace('</bpmn:process>', '</bpmn:proc>'));
        const result = await forager(['deploy', good, broken], env);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /broken\.bpmn:\d+: error: not well-formed XML/);
        assert.equal(result.stdout, '');

        // All or none: the valid file of the same deployment was not deployed either.
        const startGood = await forager(['start', 'atomic_check'], env);
        assert.equal(startGood.code, 1, startGood.stderr);
        assert.match(startGood.stderr, /NOT_FOUND/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('start with malformed --variables exits 2, says where, and sends nothing', async () => {
      const result = await forager(['start', 'hello', '--variables', '{"name": "World",}'], env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--variables is not valid JSON: .* at line 1, column 18 \(position 17\)/);
      assert.equal(result.stdout, '');
    });
  });

  it('engine down stops the engine; then status says not running (exit 3) and down says so', async () => {
    const down = await forager(['engine', 'down'], { FORAGER_HOME: home });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`stopped the engine at .* \\(pid ${pid}\\)`));
    assert.ok(await isGone(pid), `engine pid ${pid} still runs`);

    const status = await forager(['engine', 'status'], { FORAGER_HOME: home });
    const downAgain = await forager(['engine', 'down'], { FORAGER_HOME: home });
    assert.equal(status.code, 3);
    assert.match(status.stdout, /not running/);
    assert.equal(downAgain.code, 0);
    assert.match(downAgain.stdout, /no engine is running/);
  });
});
