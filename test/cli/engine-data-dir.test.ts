/**
 * `forager engine up --data-dir <dir>` as a user runs it (`node --import tsx cli/forager.ts …` spawned): the engine keeps
 * its state across `engine down` and `engine up`, and across a `kill -9` followed by another `up`.
 * Everything spawned is killed in the `after` hook (and `forager engine down` run), also when a test fails.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bpmn, cleanUp, forager, isGone, killSpawned, parseUp } from './helpers.ts';

describe('forager engine up --data-dir', () => {
  let home = '';
  let dataDir = '';
  let work = '';

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-cli-home-'));
    dataDir = await mkdtemp(join(tmpdir(), 'forager-cli-data-'));
    work = await mkdtemp(join(tmpdir(), 'forager-cli-bpmn-'));
  });
  after(async () => {
    killSpawned();
    await cleanUp(home);
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const up = async () => {
    const result = await forager(['engine', 'up', '--data-dir', dataDir], { FORAGER_HOME: home });
    assert.equal(result.code, 0, result.stderr);
    return { env: { FORAGER_HOME: home, ...parseUp(result.stdout) }, stderr: result.stderr };
  };

  it('keeps deployments across engine down and up, and across kill -9 and up', { timeout: 90_000 }, async () => {
    const first = await up();
    assert.match(first.stderr, new RegExp(`keeps its state in ${dataDir.replace(/[/.]/g, '\\$&')}`));
    const status = await forager(['engine', 'status'], { FORAGER_HOME: home });
    assert.match(status.stdout, new RegExp(`data in ${dataDir.replace(/[/.]/g, '\\$&')}\\)`));

    // Two versions of one process: after a restart with its state, deploying version 1's XML again makes
    // version 3 (it differs from the latest); an engine that forgot would say version 1.
    const v1 = join(work, 'kept.bpmn');
    const v2 = join(work, 'kept-v2.bpmn');
    await writeFile(v1, bpmn('kept'));
    await writeFile(v2, bpmn('kept').replace('<bpmn:process id="kept"', '<bpmn:process id="kept" name="second"'));
    for (const [file, version] of [[v1, 1], [v2, 2]] as const) {
      const deployed = await forager(['deploy', file], first.env);
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.match(deployed.stdout, new RegExp(`deployed kept version ${version} `));
    }

    // A different data directory while one runs: refused, naming both.
    const other = await forager(['engine', 'up', '--data-dir', join(work, 'elsewhere')], { FORAGER_HOME: home });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /already running .* with its data in .*; run `forager engine down` before starting one on .*elsewhere/);

    const down = await forager(['engine', 'down'], { FORAGER_HOME: home });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /stopped the engine/);

    const second = await up();
    assert.match(second.stderr, /recovered snapshot at position \d+/);
    const again = await forager(['deploy', v1], second.env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /deployed kept version 3 /, 'the deployments survived down and up');
    const started = await forager(['start', 'kept'], second.env);
    assert.equal(started.code, 0, started.stderr);

    // kill -9, then up again: nothing acknowledged is lost (version 3 is there: a fourth deploy of v2 is 4).
    const record = JSON.parse(await readFile(join(home, 'engines', 'default.json'), 'utf8')) as { pid: number };
    process.kill(record.pid, 'SIGKILL');
    assert.ok(await isGone(record.pid), `engine pid ${record.pid} still runs after SIGKILL`);
    const third = await up();
    assert.match(third.stderr, /recovered .*events replayed/);
    const fourth = await forager(['deploy', v2], third.env);
    assert.equal(fourth.code, 0, fourth.stderr);
    assert.match(fourth.stdout, /deployed kept version 4 /, 'the deployment acknowledged before kill -9 survived');
  });

  it('--snapshot-every n takes snapshots as the log grows; without --data-dir it is a usage error (exit 2)', { timeout: 60_000 }, async () => {
    const alone = await forager(['engine', 'up', '--name', 'snapshots-alone', '--snapshot-every', '5'], { FORAGER_HOME: home });
    assert.equal(alone.code, 2, alone.stderr);
    assert.match(alone.stderr, /--snapshot-every needs --data-dir/);

    const dir = await mkdtemp(join(tmpdir(), 'forager-cli-snapshots-'));
    try {
      const up = await forager(['engine', 'up', '--name', 'snapshots', '--data-dir', dir, '--snapshot-every', '5'], { FORAGER_HOME: home });
      assert.equal(up.code, 0, up.stderr);
      const env = { FORAGER_HOME: home, ...parseUp(up.stdout) };
      const file = join(work, 'snap.bpmn');
      await writeFile(file, bpmn('snap'));
      assert.equal((await forager(['deploy', file], env)).code, 0);
      for (let i = 0; i < 3; i++) assert.equal((await forager(['start', 'snap'], env)).code, 0);
      const snapshots = (await readdir(join(dir, 'snapshots'))).filter((name) => /^snapshot-\d{20}\.snap$/.test(name));
      assert.ok(snapshots.length > 0, `a snapshot while the engine runs (every 5 records): ${(await readdir(join(dir, 'snapshots'))).join(', ')}`);
    } finally {
      await forager(['engine', 'down', '--name', 'snapshots'], { FORAGER_HOME: home });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
