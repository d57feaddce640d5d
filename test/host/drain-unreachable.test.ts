/**
 * `forager run --grace 2s` drains on SIGTERM even when the broker is gone: jobs in flight finish, their
 * completions cannot be delivered, the host gives up on them at its stop deadline (each job lost once: the
 * broker hands it out again) and exits 0. The broker here is an engine process killed with SIGKILL.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../../src/config/index.ts';
import { createJobClient } from '../../src/transport/index.ts';
import { exitOf, killSpawned } from '../cli/helpers.ts';
import { exited, spawnEngine } from '../helpers/engine-process.ts';
import { oneTask, ROOT, SDK, spawnHost, writeFiles } from './helpers.ts';

const JOBS = 3;

test('SIGTERM with the broker gone: the host gives up on undeliverable completions and exits 0 within its grace', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'forager-drain-gone-'));
  t.after(async () => {
    killSpawned();
    await rm(dir, { recursive: true, force: true });
  });
  await writeFiles(dir, { 'package.json': '{ "name": "drain-gone", "type": "module" }\n' });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  await mkdir(join(dir, 'workers'));
  await writeFiles(join(dir, 'workers'), {
    'hold.ts': `import { defineWorker } from '${SDK}';
export default defineWorker({
  type: 'drain-hold',
  timeout: '5m',
  handler: async ({ ms }, ctx) => {
    ctx.log.info('held job started');
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
    return { held: ms };
  },
});
`,
  });
  const engine = await spawnEngine(t, join(dir, 'data'));
  const client = createJobClient(resolveConfig({ ZEEBE_GRPC_ADDRESS: `grpc://${engine.address}` }));
  t.after(() => client.close());
  await client.deploy([{ name: 'hold.bpmn', content: Buffer.from(oneTask('drain_hold', 'drain-hold')) }]);

  const host = spawnHost(['--workers', join(dir, 'workers'), '--grace', '2s'], { FORAGER_HOME: join(dir, 'home'), ZEEBE_GRPC_ADDRESS: `grpc://${engine.address}` });
  for (let i = 0; i < JOBS; i++) await client.createInstance('drain_hold', { ms: 1_000 });
  await host.loggedTimes((l) => l.msg === 'held job started', JOBS);

  engine.process.kill('SIGKILL');
  await exited(engine.process);
  host.child.kill('SIGTERM');
  // grace 2 s + 1 s for handlers to react + 1 s for the last commands, and room for a loaded machine.
  assert.equal(await exitOf(host.child, 20_000), 0, host.output());

  const lost = host.logs.filter((l) => l.outcome === 'lost');
  assert.equal(lost.length, JOBS, host.output());
  assert.equal(new Set(lost.map((l) => l.jobKey)).size, JOBS, 'each job lost once');
  for (const line of lost) assert.match(String(line.reason), /gave up delivering complete/);
});
