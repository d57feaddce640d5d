/**
 * Whole-program tests of the CLI's failures that need no running engine: no address, an unreachable
 * address, bad configuration, a taken port, an engine that is not running.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emptyProcess } from '../helpers/bpmn.ts';
import { cleanUp, forager, killSpawned, freePort, HELLO } from './helpers.ts';

describe('forager CLI without a broker', () => {
  let home = '';
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-cli-nobroker-'));
  });
  after(async () => {
    killSpawned();
    await cleanUp(home);
  });

  it('says how to get an address when none is configured (exit 1)', async () => {
    const result = await forager(['start', 'hello'], { FORAGER_HOME: home });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^forager: no broker address: run `forager engine up` and export what it prints, or set ZEEBE_GRPC_ADDRESS$/m);
  });

  for (const [name, variable] of [
    ['ZEEBE_ADDRESS', (port: number) => ({ ZEEBE_ADDRESS: `127.0.0.1:${port}` })],
    ['ZEEBE_GRPC_ADDRESS', (port: number) => ({ ZEEBE_GRPC_ADDRESS: `grpc://127.0.0.1:${port}` })],
  ] as const) {
    it(`gives up on an unreachable ${name} within 10 s, naming the address (exit 1)`, async () => {
      const port = await freePort();
      const result = await forager(['deploy', HELLO], { FORAGER_HOME: home, ...variable(port) }, 20_000);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^forager: cannot reach the broker at 127\\.0\\.0\\.1:${port} \\(.+\\)$`, 'm'));
      assert.ok(result.ms < 10_000 + 3_000, `took ${result.ms} ms`);
    });
  }

  it('start --request-timeout takes the one duration grammar: PT2S is accepted (it gets as far as the address), 2x exits 2 naming the flag', async () => {
    const accepted = await forager(['start', 'hello', '--await', '--request-timeout', 'PT2S'], { FORAGER_HOME: home });
    assert.equal(accepted.code, 1, accepted.stderr);
    assert.match(accepted.stderr, /^forager: no broker address/m);
    const refused = await forager(['start', 'hello', '--await', '--request-timeout', '2x'], { FORAGER_HOME: home });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^forager: --request-timeout: expected a duration such as .*, got "2x" \(unknown unit "x"/m);
  });

  it('rejects a malformed ZEEBE_ADDRESS naming the variable and value (exit 2)', async () => {
    const result = await forager(['start', 'hello'], { FORAGER_HOME: home, ZEEBE_ADDRESS: 'foo:notaport' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /ZEEBE_ADDRESS.*foo:notaport/);
  });

  it('engine up on a taken port exits 1 naming the port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const otherHome = await mkdtemp(join(tmpdir(), 'forager-cli-port-'));
    try {
      const result = await forager(['engine', 'up', '--port', String(port)], { FORAGER_HOME: otherHome });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`port ${port} is in use`));
      assert.equal(result.stdout, '');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cleanUp(otherHome);
    }
  });

  it('engine up --max-in-flight: a bad value exits 2; 0 turns backpressure on (REST creates get 429), the engine itself still answers', async () => {
    const bad = await forager(['engine', 'up', '--max-in-flight', 'many'], { FORAGER_HOME: home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-in-flight: expected a whole number/);
    const otherHome = await mkdtemp(join(tmpdir(), 'forager-cli-limit-'));
    try {
      const up = await forager(['engine', 'up', '--max-in-flight', '0'], { FORAGER_HOME: otherHome });
      assert.equal(up.code, 0, up.stderr);
      const rest = /^ZEEBE_REST_ADDRESS=(\S+)$/m.exec(up.stdout)![1]!;
      const create = await fetch(`${rest}/v2/process-instances`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ processDefinitionId: 'any' }) });
      assert.equal(create.status, 429, await create.text());
      assert.equal((await fetch(`${rest}/v2/topology`)).status, 200);
    } finally {
      await cleanUp(otherHome);
    }
  });

  it('engine up --retention / --max-ended-instances: bad values exit 2; they bound what REST searches keep; a reuse with other settings is refused', async () => {
    const bad = await forager(['engine', 'up', '--retention', 'soon'], { FORAGER_HOME: home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--retention: expected a duration such as/);
    const badUnit = await forager(['engine', 'up', '--retention', '10x'], { FORAGER_HOME: home });
    assert.equal(badUnit.code, 2);
    assert.match(badUnit.stderr, /^forager: --retention: expected a duration such as '30s', '5m', '1h30m', '7d', 'PT30S' or 250 \(milliseconds\), got "10x" \(unknown unit "x"/m);
    const badRetentionEnv = await forager(['engine', 'up'], { FORAGER_HOME: home, FORAGER_ENGINE_RETENTION: 'P1M' });
    assert.equal(badRetentionEnv.code, 2);
    assert.match(badRetentionEnv.stderr, /FORAGER_ENGINE_RETENTION: expected a duration such as .*got "P1M" \(ISO 8601 years, months and weeks/);
    const badEnv = await forager(['engine', 'up'], { FORAGER_HOME: home, FORAGER_ENGINE_MAX_ENDED_INSTANCES: 'lots' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /FORAGER_ENGINE_MAX_ENDED_INSTANCES: expected a whole number/);

    const otherHome = await mkdtemp(join(tmpdir(), 'forager-cli-retention-'));
    try {
      const up = await forager(['engine', 'up', '--retention', '1h', '--max-ended-instances', '2'], { FORAGER_HOME: otherHome });
      assert.equal(up.code, 0, up.stderr);
      const env = { FORAGER_HOME: otherHome, ZEEBE_GRPC_ADDRESS: /^ZEEBE_GRPC_ADDRESS=(\S+)$/m.exec(up.stdout)![1]! };
      const rest = /^ZEEBE_REST_ADDRESS=(\S+)$/m.exec(up.stdout)![1]!;
      const file = join(otherHome, 'short.bpmn');
      await writeFile(file, emptyProcess('short'));
      const deployed = await forager(['deploy', file], env);
      assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
      for (let i = 0; i < 3; i++) assert.equal((await forager(['start', 'short'], env)).code, 0);
      const ended = async () => {
        const response = await fetch(`${rest}/v2/process-instances/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filter: { processDefinitionId: 'short', state: 'COMPLETED' } }),
        });
        return ((await response.json()) as { items: unknown[] }).items.length;
      };
      assert.equal(await ended(), 2, '--max-ended-instances 2: the oldest of three ended instances is dropped');
      const pin = await fetch(`${rest}/v2/clock`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timestamp: Date.now() + 2 * 3_600_000 }),
      });
      assert.equal(pin.status, 204);
      assert.equal(await ended(), 0, '--retention 1h: two hours later on the engine clock, both are gone');

      const reuse = await forager(['engine', 'up', '--max-ended-instances', '2', '--retention', '60m'], { FORAGER_HOME: otherHome });
      assert.equal(reuse.code, 0, reuse.stderr + reuse.stdout);
      assert.match(reuse.stderr + reuse.stdout, /reusing the engine/);
      const other = await forager(['engine', 'up', '--max-ended-instances', '5'], { FORAGER_HOME: otherHome });
      assert.equal(other.code, 1);
      assert.match(other.stderr, /already running .* with other settings \(--max-ended-instances\); run `forager engine down` first/);
    } finally {
      await cleanUp(otherHome);
    }
  });

  it('engine status with nothing started exits 3; down says nothing is running (exit 0)', async () => {
    const status = await forager(['engine', 'status'], { FORAGER_HOME: home });
    assert.equal(status.code, 3);
    assert.match(status.stdout, /not running/);
    const down = await forager(['engine', 'down'], { FORAGER_HOME: home });
    assert.equal(down.code, 0);
    assert.match(down.stdout, /no engine is running/);
  });
});
