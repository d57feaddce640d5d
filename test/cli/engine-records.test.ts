/**
 * cli/lib/engine-records.ts: which broker addresses are engines `forager engine up` started, read from the
 * records in a state directory: `engine.json` (older forager) and `engines/<name>.json`, tolerating broken
 * records and those of processes that have ended.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordedEngineAt, recordedEngines } from '../../cli/lib/engine-records.ts';

describe('recorded engines', () => {
  let dir = '';
  /** A pid no process has any more: a child that has exited (and been reaped). */
  let deadPid = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forager-engine-records-'));
    deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('none in an empty or missing state directory', async () => {
    assert.deepEqual(await recordedEngines(dir), []);
    assert.deepEqual(await recordedEngines(join(dir, 'missing')), []);
    assert.equal(await recordedEngineAt(dir, { host: '127.0.0.1', port: 26500 }), undefined);
  });

  it('reads engine.json and engines/*.json; skips broken records and ended processes; matches loopback names as one host', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, 'engines'), { recursive: true });
    const record = (address: string, pid: number) => JSON.stringify({ name: 'x', pid, port: Number(address.split(':').at(-1)), address, startedAt: '', logFile: '' });
    await writeFile(join(home, 'engine.json'), record('127.0.0.1:41001', process.pid));
    await writeFile(join(home, 'engines', 'default.json'), record('127.0.0.1:41002', process.pid));
    await writeFile(join(home, 'engines', 'gone.json'), record('127.0.0.1:41003', deadPid));
    await writeFile(join(home, 'engines', 'broken.json'), '{"pid": 1, "addr');
    await writeFile(join(home, 'engines', 'notes.txt'), record('127.0.0.1:41004', process.pid));

    const engines = await recordedEngines(home);
    assert.deepEqual(
      engines.map((e) => [e.address, e.file.slice(home.length + 1)]),
      [
        ['127.0.0.1:41001', 'engine.json'],
        ['127.0.0.1:41002', join('engines', 'default.json')],
      ],
    );
    assert.equal((await recordedEngineAt(home, { host: 'localhost', port: 41002 }))?.address, '127.0.0.1:41002');
    assert.equal((await recordedEngineAt(home, { host: '127.0.0.1', port: 41001 }))?.address, '127.0.0.1:41001');
    assert.equal(await recordedEngineAt(home, { host: '127.0.0.1', port: 41003 }), undefined, 'its process has ended');
    assert.equal(await recordedEngineAt(home, { host: '127.0.0.1', port: 41004 }), undefined, 'not a .json record');
    assert.equal(await recordedEngineAt(home, { host: 'zeebe.internal', port: 41002 }), undefined, 'another host');
  });
});
