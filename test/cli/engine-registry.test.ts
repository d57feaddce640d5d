/**
 * One registry of local engines per user (`$FORAGER_HOME/engines/<name>.json`), as a user meets it: `forager engine up`
 * from another project or from another install of forager finds the engine that runs; engines of other names live beside
 * it; the records of engines that have exited are cleaned up; two `up` at once start one engine; an older forager's
 * `engine.json` is taken over. The CLI is spawned as a user runs it (`node --import tsx …/cli/forager.ts`), from this
 * repository and from a second install at another path (a copy of cli/ beside links to the rest of the repository).
 * Every process spawned, and every engine seen, is killed in the `after` hook, also when a test fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, cp, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, cleanUp, exitOf, isGone, killSpawned, parseUp, ROOT, spawned, waitForOutput, type Result } from './helpers.ts';

/** tsx by its absolute address: `--import tsx` would be resolved from the working directory, which here is elsewhere. */
const TSX = import.meta.resolve('tsx');

describe('forager engine: one registry of engines per user', () => {
  let home = '';
  let elsewhere = '';
  let otherInstall = '';
  /** Every engine pid a test saw, killed in `after` whatever happened. */
  const enginePids = new Set<number>();

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-registry-home-'));
    elsewhere = await mkdtemp(join(tmpdir(), 'forager-registry-project-'));
    otherInstall = await mkdtemp(join(tmpdir(), 'forager-registry-install-'));
    await cp(join(ROOT, 'cli'), join(otherInstall, 'cli'), { recursive: true });
    for (const entry of ['src', 'node_modules', 'package.json', 'tsconfig.json']) await symlink(join(ROOT, entry), join(otherInstall, entry));
  });
  after(async () => {
    killSpawned();
    for (const pid of enginePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await cleanUp(home);
    await rm(elsewhere, { recursive: true, force: true });
    await rm(otherInstall, { recursive: true, force: true });
  });

  /** `forager …args` in `cwd`, with this repository's CLI or the one of `install`, sharing one FORAGER_HOME. */
  const forager = (args: string[], where: { cwd?: string; install?: string; env?: Record<string, string> } = {}): Promise<Result> => {
    const t0 = Date.now();
    const cli = join(where.install ?? ROOT, 'cli', 'forager.ts');
    const child = spawn(process.execPath, ['--import', TSX, cli, ...args], {
      cwd: where.cwd ?? ROOT,
      env: cleanEnv({ FORAGER_HOME: home, ...where.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    spawned.add(child);
    child.once('exit', () => spawned.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`forager ${args.join(' ')} did not finish within 45 s\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, 45_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, ms: Date.now() - t0 });
      });
    });
  };

  /** The pid `up` says it started (and remembers it for `after`). */
  const startedPid = (result: Result, name: string): number => {
    const pid = new RegExp(`started the engine '${name}' \\(pid (\\d+)\\)`).exec(result.stderr)?.[1];
    assert.ok(pid, `no engine '${name}' started: ${result.stderr}`);
    enginePids.add(Number(pid));
    return Number(pid);
  };

  const statusJson = async (args: string[] = []) => {
    const result = await forager(['--json', 'engine', 'status', ...args]);
    return { code: result.code, ...(JSON.parse(result.stdout) as { running: boolean; pid?: number; engines: { name: string; pid: number; address: string }[] }) };
  };

  /** The pid of a process that has exited (and been reaped). */
  const deadPid = async (): Promise<number> => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await exitOf(child, 10_000);
    assert.ok(await isGone(child.pid as number));
    return child.pid as number;
  };

  const writeRecord = (file: string, pid: number) =>
    writeFile(file, JSON.stringify({ name: 'default', pid, port: 1, address: '127.0.0.1:1', startedAt: new Date().toISOString(), logFile: join(home, 'gone.log') }));

  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  it('a bad engine name exits 2 and starts nothing', async () => {
    const bad = await forager(['engine', 'up', '--name', 'no/slash']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--name: an engine name is 1 to 40 letters, digits, '-' or '_', got "no\/slash"/);
    const long = await forager(['engine', 'up'], { env: { FORAGER_ENGINE_NAME: 'x'.repeat(41) } });
    assert.equal(long.code, 2);
    assert.match(long.stderr, /FORAGER_ENGINE_NAME: an engine name/);
    const both = await forager(['engine', 'down', '--all', '--name', 'b']);
    assert.equal(both.code, 2);
    assert.equal((await statusJson()).code, 3);
  });

  it('up from another directory and from another install reuses the engine that runs', { timeout: 90_000 }, async () => {
    const first = await forager(['engine', 'up']);
    assert.equal(first.code, 0, first.stderr);
    const addresses = parseUp(first.stdout);
    const pid = startedPid(first, 'default');

    for (const where of [{ cwd: elsewhere }, { cwd: elsewhere, install: otherInstall }]) {
      const again = await forager(['engine', 'up'], where);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(parseUp(again.stdout), addresses, `from ${JSON.stringify(where)}`);
      assert.match(again.stderr, new RegExp(`reusing the engine 'default' already running at ${escape(addresses.ZEEBE_ADDRESS)} \\(pid ${pid}\\)`));
    }
    const fromOther = await forager(['--json', 'engine', 'status'], { cwd: elsewhere, install: otherInstall });
    assert.equal(fromOther.code, 0, fromOther.stderr);
    const listed = JSON.parse(fromOther.stdout) as { pid: number; engines: { name: string; pid: number }[] };
    assert.equal(listed.pid, pid, 'the top-level fields describe the default engine, as before names');
    assert.deepEqual(
      listed.engines.map(({ name, pid: p }) => ({ name, pid: p })),
      [{ name: 'default', pid }],
    );
  });

  it('--name starts a second engine; status lists both; down stops the default one only, down --name the other', { timeout: 90_000 }, async () => {
    const defaultPid = (await statusJson()).engines[0]!.pid;
    const b = await forager(['engine', 'up', '--name', 'b'], { cwd: elsewhere });
    assert.equal(b.code, 0, b.stderr);
    const bAddress = parseUp(b.stdout).ZEEBE_ADDRESS;
    const bPid = startedPid(b, 'b');
    assert.notEqual(bPid, defaultPid);

    const status = await forager(['engine', 'status'], { cwd: elsewhere });
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.trim().split('\n');
    assert.equal(lines.length, 2, status.stdout);
    assert.match(lines[0]!, new RegExp(`^forager: default: engine running at 127\\.0\\.0\\.1:\\d+ \\(pid ${defaultPid}, up \\d+[smh].*, in memory\\)$`));
    assert.match(lines[1]!, new RegExp(`^forager: b: engine running at ${escape(bAddress)} \\(pid ${bPid}, up \\d+[smh].*, in memory\\)$`));
    assert.deepEqual(
      (await statusJson()).engines.map(({ name, pid }) => ({ name, pid })),
      [
        { name: 'default', pid: defaultPid },
        { name: 'b', pid: bPid },
      ],
    );

    const down = await forager(['engine', 'down'], { cwd: elsewhere, install: otherInstall });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`^forager: default: stopped the engine at .* \\(pid ${defaultPid}\\)$`, 'm'));
    assert.ok(await isGone(defaultPid), `engine pid ${defaultPid} still runs`);
    assert.ok(!(await isGone(bPid)), 'engine b was stopped too');
    const onlyB = await statusJson();
    assert.equal(onlyB.code, 0);
    assert.deepEqual(onlyB.engines.map(({ name }) => name), ['b']);
    assert.equal((await forager(['engine', 'status', '--name', 'default'])).code, 3);

    const downB = await forager(['engine', 'down', '--name', 'b']);
    assert.equal(downB.code, 0, downB.stderr);
    assert.match(downB.stdout, new RegExp(`^forager: b: stopped the engine at ${escape(bAddress)} \\(pid ${bPid}\\)$`, 'm'));
    assert.ok(await isGone(bPid), `engine pid ${bPid} still runs`);

    const none = await forager(['engine', 'status']);
    assert.equal(none.code, 3);
    assert.match(none.stdout, /engine not running/);
    assert.deepEqual((await readdir(join(home, 'engines'))).filter((file) => file.endsWith('.json')), [], 'no record is left');
  });

  it('a record whose process has exited, or whose pid is now another program, is removed; up starts a new engine', { timeout: 90_000 }, async () => {
    const record = join(home, 'engines', 'default.json');
    const dead = await deadPid();
    await writeRecord(record, dead);
    const status = await forager(['engine', 'status']);
    assert.equal(status.code, 3, status.stdout);
    assert.match(status.stderr, new RegExp(`removed the record of the engine 'default' \\(pid ${dead}\\), which had stopped`));
    await assert.rejects(access(record), 'the record is gone');

    // A pid given to another program since: alive, but its command line does not say it is the engine 'default'.
    await writeRecord(record, process.pid);
    const downOther = await forager(['engine', 'down']);
    assert.equal(downOther.code, 0);
    assert.match(downOther.stdout, /no engine is running/);
    assert.match(downOther.stderr, new RegExp(`removed the record of the engine 'default' \\(pid ${process.pid}\\)`));

    // A stale record and a lock left by an `up` that died: the next `up` takes both over.
    await writeRecord(record, dead);
    await writeFile(join(home, 'engines', 'default.lock'), `${dead} \n`);
    const up = await forager(['engine', 'up'], { cwd: elsewhere });
    assert.equal(up.code, 0, up.stderr);
    const pid = startedPid(up, 'default');
    assert.notEqual(pid, dead);
    assert.match(up.stderr, new RegExp(`removed the record of the engine 'default' \\(pid ${dead}\\)`));
    const down = await forager(['engine', 'down']);
    assert.match(down.stdout, new RegExp(`stopped the engine at .* \\(pid ${pid}\\)`));
    assert.ok(await isGone(pid));
  });

  it('two up at the same moment for one name start one engine', { timeout: 90_000 }, async () => {
    const [a, b] = await Promise.all([forager(['engine', 'up', '--name', 'c']), forager(['engine', 'up', '--name', 'c'], { cwd: elsewhere, install: otherInstall })]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(parseUp(a.stdout), parseUp(b.stdout));
    const [starter, reuser] = /started the engine/.test(a.stderr) ? [a, b] : [b, a];
    const pid = startedPid(starter, 'c');
    assert.match(reuser.stderr, new RegExp(`reusing the engine 'c' .* \\(pid ${pid}\\)`), `one engine, not two: ${reuser.stderr}`);
    const status = await statusJson(['--name', 'c']);
    assert.deepEqual(status.engines.map(({ pid: p }) => p), [pid]);

    const down = await forager(['engine', 'down', '--all']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`^forager: c: stopped the engine at .* \\(pid ${pid}\\)$`, 'm'));
    assert.ok(await isGone(pid));
  });

  it("an older forager's engine.json is taken over as the engine 'default' while it runs, and removed once it has stopped", { timeout: 90_000 }, async () => {
    const legacyFile = join(home, 'engine.json');
    await writeRecord(legacyFile, await deadPid());
    const gone = await forager(['engine', 'status']);
    assert.equal(gone.code, 3);
    await assert.rejects(access(legacyFile), 'the record of the stopped engine is removed');

    // An engine as an older forager started it: its main file, and no --name.
    const engine = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src', 'engine', 'main.ts'), '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.add(engine);
    engine.once('exit', () => spawned.delete(engine));
    const ready = /listening on (\S+) \(REST (\S+?),/.exec(await waitForOutput(engine, /listening on \S+ \(REST \S+?,/, 20_000))!;
    const pid = engine.pid as number;
    enginePids.add(pid);
    const address = ready[1]!;
    await writeFile(
      legacyFile,
      JSON.stringify({ pid, port: Number(address.split(':')[1]), address, restAddress: ready[2], startedAt: new Date().toISOString(), logFile: join(home, 'engine.log') }),
    );

    const status = await forager(['engine', 'status'], { install: otherInstall });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^forager: default: engine running at ${escape(address)} \\(pid ${pid}, `));
    assert.match(status.stderr, new RegExp(`took over the record of the engine started by an older forager \\(pid ${pid}\\) as the engine 'default'`));
    await assert.rejects(access(legacyFile), 'engine.json is moved');
    await access(join(home, 'engines', 'default.json'));

    const up = await forager(['engine', 'up'], { cwd: elsewhere });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(parseUp(up.stdout).ZEEBE_ADDRESS, address);
    assert.match(up.stderr, new RegExp(`reusing the engine 'default' .* \\(pid ${pid}\\)`));

    const down = await forager(['engine', 'down']);
    assert.match(down.stdout, new RegExp(`stopped the engine at ${escape(address)} \\(pid ${pid}\\)`));
    await exitOf(engine, 10_000);
    assert.equal((await forager(['engine', 'status'])).code, 3);
  });
});
