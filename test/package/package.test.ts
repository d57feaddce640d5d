/**
 * forager as its users get it: the packed tarballs (`npm pack` of forager and of forager-engine) installed
 * into fresh projects, with no tsx and nothing of this repository on the way, under the Node that runs this
 * file (CI runs it under Node 20, 22 and 24).
 *
 * - A worker pod's project (`npm init -y`: CommonJS) installs `forager zod` only: no engine, no tsx; it
 *   imports forager from .cjs (require) and .mjs; `forager/testing` and `forager engine up` name the package
 *   to add; then, with forager-engine added, a kit test runs with plain `node --test`.
 * - An ES module project (`"type": "module"`) with forager-engine: a .ts and a .js worker checked, deployed
 *   and run by `npx forager`, an instance completed through both; a kit test with `node --test`; a strict
 *   TypeScript project type-checks against the published declarations (node16, nodenext, bundler).
 * - TypeScript workers where Node cannot run TypeScript, or in a CommonJS project, fail with a message that
 *   says what to do (exit 2) — and run once tsx is installed.
 * - An engine started from one project is seen and stopped from the other (one FORAGER_HOME).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bpmnXml, chain, endEvent, serviceTask, startEvent } from '../helpers/bpmn.ts';
import { copyRepository, ROOT } from '../helpers/build-copy.ts';

/** Whether this Node runs `.ts` files by itself (22.18+, 23.6+, 24: type stripping on by default). */
const STRIPS_TYPES = Boolean((process.features as { typescript?: unknown }).typescript);
/** require(esm) without a flag: 20.19+, 22.12+. */
const REQUIRE_ESM = (() => {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23;
})();

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
let work = '';
let home = '';

/** The environment of a user's shell: this Node first on PATH, no broker settings, one FORAGER_HOME. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(ZEEBE_|CAMUNDA_|FORAGER_|NODE_OPTIONS|NODE_TEST|TSX_|npm_)/i.test(key)) env[key] = value;
  }
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, FORAGER_HOME: home, ...extra };
}

function start(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = userEnv()): ChildProcess {
  // Its own process group, so that `after` can end whatever it started too (npx → node, forager → engine).
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already, or never formed
  }
}

function run(command: string, args: readonly string[], cwd: string, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  const child = start(command, args, cwd, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${command} ${args.join(' ')} (in ${cwd}) did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const node = (args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv) => run(process.execPath, args, cwd, env ? { env } : {});
const npm = (args: readonly string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], cwd, { timeoutMs: 300_000 });
/** `npx forager …` in a project, as its user types it. */
const forager = (args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv) => run('npx', ['--no-install', 'forager', ...args], cwd, env ? { env } : {});

function ok(result: Result, what: string): Result {
  assert.equal(result.code, 0, `${what}: exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

/** Waits for `pattern` in a running child's output. */
function waitFor(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) finish(() => resolve(seen));
    };
    const onExit = (code: number | null) => finish(() => reject(new Error(`exited (${code}) before printing ${pattern}:\n${seen}`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen}`))), timeoutMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Whether `pid` has exited: no such process, or one that is dead and not yet reaped by its parent. */
function hasExited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function packageNames(project: string): Promise<Set<string>> {
  const names = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@')) {
        for (const scoped of await readdir(join(dir, entry.name))) names.add(`${entry.name}/${scoped}`);
      } else {
        names.add(entry.name);
        await visit(join(dir, entry.name, 'node_modules'));
      }
    }
  };
  await visit(join(project, 'node_modules'));
  return names;
}

/** A fresh project: `npm init -y` (CommonJS, as npm writes it) or with `"type": "module"`. */
async function newProject(name: string, type: 'commonjs' | 'module'): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  ok(await npm(['init', '-y'], dir), 'npm init -y');
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  if (type === 'module') manifest.type = 'module';
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

async function files(dir: string, contents: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(contents)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** The process both projects deploy: `greet` (a .ts worker) then `double` (a .js worker). */
const PIPELINE = bpmnXml('pipeline', [
  startEvent(),
  serviceTask('greet', 'greet'),
  serviceTask('double', 'double'),
  endEvent(),
  ...chain('start', 'greet', 'double', 'end'),
]);

const GREET_TS = `import { z } from 'zod';
import { defineWorker } from 'forager';

export default defineWorker({
  type: 'greet',
  variables: z.object({ name: z.string() }),
  handler: async ({ name }): Promise<{ greeting: string }> => ({ greeting: \`Hello, \${name}\` }),
});
`;

/** One task, `double`: what the pod's kit test runs (its .ts worker needs tsx or a newer Node). */
const DOUBLING = bpmnXml('doubling', [startEvent(), serviceTask('double', 'double'), endEvent(), ...chain('start', 'double', 'end')]);

/** The pod's kit test, the same in both module systems but for how it imports. */
const KIT_TEST_BODY = `
test('doubles n', async () => {
  const kit = await createTestKit({ bpmn: ['bpmn/doubling.bpmn'], workers: [double] });
  try {
    const instance = await kit.start('doubling', { n: 21 });
    assert.equal((await instance.completed()).doubled, 42);
  } finally {
    await kit.stop();
  }
});
`;

const KIT_TEST_CJS = `const assert = require('node:assert/strict');
const { test } = require('node:test');
const { createTestKit } = require('forager/testing');
const double = require('../workers/double.js');
${KIT_TEST_BODY}`;

const KIT_TEST_ESM = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestKit } from 'forager/testing';
import double from '../workers/double.js';
${KIT_TEST_BODY}`;

describe('the packed package in fresh projects', { timeout: 900_000 }, () => {
  let tarball = '';
  let engineTarball = '';
  let pod = '';
  let esm = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'forager-package-'));
    home = join(work, 'forager-home');
    await mkdir(home);
    const packs = join(work, 'packs');
    await mkdir(packs);
    // Packed from a copy of the sources, so that no other test sees the repository's dist/ rebuilt. `npm pack`
    // builds (prepare) both packages; the engine's own pack rebuilds only itself.
    const source = join(work, 'source');
    await mkdir(source);
    await copyRepository(source, { build: false });
    const packed = ok(await run('npm', ['pack', '--json', '--pack-destination', packs], source, { timeoutMs: 300_000 }), 'npm pack');
    const enginePacked = ok(await run('npm', ['pack', '--json', '--pack-destination', packs, '--workspace', 'forager-engine'], source, { timeoutMs: 300_000 }), 'npm pack forager-engine');
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[];
    const [engineInfo] = JSON.parse(enginePacked.stdout.slice(enginePacked.stdout.indexOf('['))) as typeof info[];
    tarball = join(packs, info!.filename);
    engineTarball = join(packs, engineInfo!.filename);
    // What a user downloads: built JavaScript, declarations, README, LICENSE; nothing of tests, docker or Java.
    for (const [name, pack] of [['forager', info!], ['forager-engine', engineInfo!]] as const) {
      const paths = pack.files.map((f) => f.path);
      const stray = paths.filter((p) => !/^(dist\/.*\.(js|d\.ts|js\.map)|package\.json|README\.md|LICENSE)$/.test(p));
      assert.deepEqual(stray, [], `${name}'s tarball holds only dist/, package.json, README.md, LICENSE`);
      assert.ok(paths.includes('LICENSE') && paths.includes('README.md'), `${name} ships README.md and LICENSE`);
      console.log(`# ${name}: ${paths.length} files, ${Math.round(pack.size / 1024)} KB packed, ${Math.round(pack.unpackedSize / 1024)} KB unpacked`);
    }
    assert.ok(!info!.files.some((f) => f.path.includes('engine/')), "forager's tarball has no engine");
  });

  after(async () => {
    // An engine left by a failed step: stop it through the CLI, then kill whatever still runs.
    if (pod && existsSync(join(pod, 'node_modules', '.bin', 'forager'))) await forager(['engine', 'down', '--all'], pod).catch(() => undefined);
    for (const child of children) killGroup(child);
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('a worker pod: npm init -y (CommonJS) and npm install forager zod', () => {
    before(async () => {
      pod = await newProject('pod', 'commonjs');
      ok(await npm(['install', tarball, 'zod'], pod), 'npm install forager zod');
    });

    it('installs no engine and no TypeScript loader', async () => {
      const names = await packageNames(pod);
      for (const absent of ['forager-engine', 'feelin', 'croner', 'jose', 'tsx', 'esbuild', 'typescript']) {
        assert.ok(!names.has(absent), `${absent} is installed in a worker pod`);
      }
      console.log(`# a worker pod's node_modules: ${names.size} packages`);
    });

    it('imports forager from .mjs, and from .cjs with require where Node can require ES modules', async () => {
      await files(pod, {
        'esm.mjs': "import { defineWorker, BpmnError } from 'forager';\nimport * as testing from 'forager/testing';\nconsole.log(typeof defineWorker, typeof BpmnError, typeof testing.createTestKit);\n",
        'cjs.cjs': "const { defineWorker, runWorkers } = require('forager');\nconst testing = require('forager/testing');\nconsole.log(typeof defineWorker, typeof runWorkers, typeof testing.startEngine);\n",
        'dynamic.cjs': "import('forager').then((f) => console.log(typeof f.defineWorker));\n",
      });
      assert.equal(ok(await node(['esm.mjs'], pod), 'esm.mjs').stdout.trim(), 'function function function');
      assert.equal(ok(await node(['dynamic.cjs'], pod), 'dynamic.cjs').stdout.trim(), 'function');
      const cjs = await node(['cjs.cjs'], pod);
      if (REQUIRE_ESM) assert.equal(ok(cjs, 'cjs.cjs').stdout.trim(), 'function function function');
      else assert.match(cjs.stderr, /ERR_REQUIRE_ESM/);
    });

    it('forager/testing and forager engine up name the package to add', async () => {
      await files(pod, { 'engine.mjs': "import { startEngine } from 'forager/testing';\nawait startEngine().catch((e) => { console.log(e.code); console.log(e.message); });\n" });
      const missing = ok(await node(['engine.mjs'], pod), 'startEngine without the engine');
      assert.match(missing.stdout, /^ENGINE_NOT_INSTALLED\n.*npm install --save-dev forager-engine/);
      const up = await forager(['engine', 'up'], pod);
      assert.equal(up.code, 2, up.stderr);
      assert.match(up.stderr, /needs forager's engine, the package forager-engine.*npm install --save-dev forager-engine/);
    });

    it('forager --version, --help', async () => {
      const version = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version as string;
      assert.equal(ok(await forager(['--version'], pod), '--version').stdout.trim(), version);
      assert.match(ok(await forager(['--help'], pod), '--help').stdout, /Usage: forager/);
    });

    it('a TypeScript worker with import/export in this CommonJS project: says what to do (exit 2), then runs with tsx', async () => {
      await files(pod, {
        'workers/greet.ts': GREET_TS,
        'workers/double.js': "const { z } = require('zod');\nconst { defineWorker } = require('forager');\n\nmodule.exports = defineWorker({\n  type: 'double',\n  variables: z.object({ n: z.number() }),\n  handler: async ({ n }) => ({ doubled: n * 2 }),\n});\n",
        'bpmn/pipeline.bpmn': PIPELINE,
        'bpmn/doubling.bpmn': DOUBLING,
      });
      const check = await forager(['check'], pod);
      assert.equal(check.code, 2, `${check.stdout}\n${check.stderr}`);
      assert.match(
        check.stderr,
        STRIPS_TYPES ? /workers\/greet\.ts uses import\/export, but the project's package\.json makes \.ts files CommonJS: name it \.mts.*install tsx/ : /workers\/greet\.ts is TypeScript and Node v\S+ cannot run TypeScript by itself: install tsx/,
      );
      ok(await npm(['install', '--save-dev', 'tsx'], pod), 'npm install tsx');
      const checked = ok(await forager(['check'], pod), 'forager check with tsx');
      assert.match(checked.stdout, /job type 'greet'.*workers\/greet\.ts/);
      assert.match(checked.stdout, /job type 'double'.*workers\/double\.js/);
    });

    it('with forager-engine added: a kit test runs with plain node --test', async () => {
      ok(await npm(['install', '--save-dev', engineTarball], pod), 'npm install forager-engine');
      await files(pod, { 'test/pipeline.test.cjs': KIT_TEST_CJS });
      const result = await node(['--test', '--test-reporter=tap', 'test/pipeline.test.cjs'], pod);
      ok(result, 'node --test test/pipeline.test.cjs');
      assert.match(result.stdout, /# pass 1/);
    });
  });

  describe('an ES module project with forager-engine', () => {
    before(async () => {
      esm = await newProject('esm', 'module');
      ok(await npm(['install', tarball, engineTarball, 'zod'], esm), 'npm install forager forager-engine zod');
      await files(esm, {
        'workers/greet.ts': GREET_TS,
        'workers/double.js': "import { z } from 'zod';\nimport { defineWorker } from 'forager';\n\nexport default defineWorker({\n  type: 'double',\n  variables: z.object({ n: z.number() }),\n  handler: async ({ n }) => ({ doubled: n * 2 }),\n});\n",
        'bpmn/pipeline.bpmn': PIPELINE,
        'bpmn/doubling.bpmn': DOUBLING,
      });
    });

    it('npx forager check, deploy and run: a .ts and a .js worker complete an instance', async () => {
      if (!STRIPS_TYPES) {
        // Node 20 runs no TypeScript by itself: the message says what to do, and tsx does it.
        const check = await forager(['check'], esm);
        assert.equal(check.code, 2, check.stderr);
        assert.match(check.stderr, /workers\/greet\.ts is TypeScript and Node v\S+ cannot run TypeScript by itself: install tsx in the project \(npm install --save-dev tsx\)/);
        ok(await npm(['install', '--save-dev', 'tsx'], esm), 'npm install tsx');
      }
      ok(await forager(['check'], esm), 'forager check');
      const up = ok(await forager(['engine', 'up'], esm), 'forager engine up');
      const env = userEnv(Object.fromEntries(up.stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string])));
      assert.match(ok(await forager(['deploy', 'bpmn/'], esm, env), 'forager deploy').stdout, /deployed pipeline version 1/);
      // The bin itself, as a container or a service manager runs it (npx would stand between it and SIGTERM).
      const host = start(join(esm, 'node_modules', '.bin', 'forager'), ['run', '--http-port', '0', '--log-format', 'json'], esm, env);
      await waitFor(host, /"jobTypes":\["double","greet"\]|"jobTypes":\["greet","double"\]/);
      const started = ok(await forager(['start', 'pipeline', '--variables', '{"name":"Ada","n":21}', '--await'], esm, env), 'forager start --await');
      const result = JSON.parse(started.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      assert.equal(result.greeting, 'Hello, Ada');
      assert.equal(result.doubled, 42);
      host.kill('SIGTERM');
      assert.equal(await new Promise((resolve) => host.once('exit', resolve)), 0, 'the host drains and exits 0 on SIGTERM');
    });

    it('the engine started here is seen and stopped from the other project', async () => {
      const status = ok(await forager(['engine', 'status'], pod), 'engine status from the pod project');
      assert.match(status.stdout, /running at 127\.0\.0\.1:\d+/);
      const pid = Number(/pid (\d+)/.exec(status.stdout)?.[1]);
      assert.ok(pid > 0, status.stdout);
      ok(await forager(['engine', 'down'], pod), 'engine down from the pod project');
      const after = await forager(['engine', 'status'], esm);
      assert.equal(after.code, 3, after.stdout);
      assert.ok(hasExited(pid), `the engine (pid ${pid}) is gone once engine down returns`);
    });

    it('a kit test runs with plain node --test (JavaScript, and TypeScript where Node strips types)', async () => {
      await files(esm, {
        'test/pipeline.test.js': KIT_TEST_ESM,
        'test/greet.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestKit, type TestKit } from 'forager/testing';
import greet from '../workers/greet.ts';
import double from '../workers/double.js';

test('greets and doubles', async () => {
  const kit: TestKit = await createTestKit({ bpmn: ['bpmn/pipeline.bpmn'], workers: [greet, double] });
  try {
    const result = await (await kit.start('pipeline', { name: 'Ada', n: 2 })).completed();
    assert.deepEqual([result.greeting, result.doubled], ['Hello, Ada', 4]);
  } finally {
    await kit.stop();
  }
});
`,
      });
      const js = ok(await node(['--test', '--test-reporter=tap', 'test/pipeline.test.js'], esm), 'node --test (JavaScript)');
      assert.match(js.stdout, /# pass 1/);
      const ts = await node([...(STRIPS_TYPES ? [] : ['--import', 'tsx']), '--test', '--test-reporter=tap', 'test/greet.test.ts'], esm);
      ok(ts, 'node --test (TypeScript)');
      assert.match(ts.stdout, /# pass 1/);
    });

    it('a strict TypeScript project type-checks against the published declarations', async () => {
      ok(await npm(['install', '--save-dev', '@types/node@20'], esm), 'npm install @types/node');
      await files(esm, {
        'src/app.ts': `import { z } from 'zod';
import { BpmnError, defineWorker, exponential, NonRetryableError, postgresStore, redisStore, resolveConfig, runWorkers, type JobContext, type RunningWorkers } from 'forager';
import { createTestKit, EngineNotInstalledError, startEngine, type RunningEngine, type TestKit } from 'forager/testing';

export const sendEmail = defineWorker({
  type: 'send-email',
  variables: z.object({ studentId: z.string(), email: z.string().email() }),
  timeout: '30s',
  maxJobsActive: 8,
  retryBackoff: exponential({ initial: '1s', max: '5m' }),
  async handler({ studentId, email }, ctx: JobContext) {
    if (email.endsWith('@example.invalid')) throw new NonRetryableError(\`no mailbox for \${studentId}\`);
    if (ctx.job.retries < 1) throw new BpmnError('EMAIL_BOUNCED', 'bounced', { studentId });
    const id = await ctx.once('send', async () => \`sent-\${studentId}\`);
    return { messageId: id };
  },
});

export function startAll(): RunningWorkers {
  return runWorkers([sendEmail], {
    config: resolveConfig(process.env),
    idempotency: process.env['REDIS_URL'] ? redisStore({ url: process.env['REDIS_URL'] }) : postgresStore({ connectionString: 'postgres://localhost/db' }),
  });
}

export async function harness(): Promise<[TestKit, RunningEngine] | EngineNotInstalledError> {
  try {
    return [await createTestKit({ workers: [sendEmail] }), await startEngine()];
  } catch (error) {
    if (error instanceof EngineNotInstalledError) return error;
    throw error;
  }
}
`,
      });
      const strict = {
        strict: true,
        exactOptionalPropertyTypes: true,
        noPropertyAccessFromIndexSignature: true,
        noUncheckedIndexedAccess: true,
        noImplicitOverride: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      };
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      for (const [module, moduleResolution] of [['node16', 'node16'], ['nodenext', 'nodenext'], ['esnext', 'bundler']] as const) {
        const config = `tsconfig.${moduleResolution}.json`;
        await writeFile(join(esm, config), JSON.stringify({ compilerOptions: { ...strict, target: 'es2022', module, moduleResolution }, include: ['src'] }));
        const result = await node([tsc, '-p', config], esm);
        assert.equal(result.code, 0, `tsc with moduleResolution ${moduleResolution}:\n${result.stdout}${result.stderr}`);
      }
    });
  });
});
