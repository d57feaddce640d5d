/**
 * Measures the worker host as an operator would see it: time from spawning `forager run` with 5 worker
 * files (a temporary directory) to /readyz answering 200, and its resident memory once idle (VmRSS after
 * `IDLE_MS` with no jobs). Runs the TypeScript CLI (`node --import tsx cli/forager.ts`) and, with `--built DIR`
 * (the output of `tsc -p docker/tsconfig.build.json --outDir DIR/dist`), the built JS the image runs.
 *   node --import tsx test/host/measure.ts [--runs 3] [--built /tmp/app]
 * Starts its own engine (`forager engine up`, private FORAGER_HOME) and stops everything it started.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLI_ARGS, cleanEnv, cleanUp, forager, parseUp } from '../cli/helpers.ts';
import { ROOT, SDK, until } from './helpers.ts';

const IDLE_MS = 5_000;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, built: { type: 'string' } } });

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
}

async function measure(label: string, command: string[], cwd: string, env: Record<string, string>): Promise<void> {
  const readyMs: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const t0 = performance.now();
    const child = spawn(process.execPath, command, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    try {
      let url: string | undefined;
      while (!url) {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
        if (!url) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await until(`${url}/readyz`, 200, 30_000);
      readyMs.push(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      rss.push((await rssKb(child.pid!)) / 1024);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `${label}: start to ready ${readyMs.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(readyMs).toFixed(0)}); idle RSS ${rss.map((x) => x.toFixed(1)).join(', ')} MiB (median ${median(rss).toFixed(1)})`,
  );
}

const home = await mkdtemp(join(tmpdir(), 'forager-measure-'));
const project = await mkdtemp(join(tmpdir(), 'forager-measure-project-'));
try {
  await writeFile(join(project, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  await mkdir(join(project, 'workers'));
  for (const name of ['charge', 'ship', 'email', 'invoice', 'audit']) {
    await writeFile(
      join(project, 'workers', `${name}.ts`),
      `import { z } from 'zod';\nimport { defineWorker } from '${SDK}';\nexport default defineWorker({ type: 'measure-${name}', variables: z.object({ id: z.string() }), handler: async ({ id }) => ({ done: id }) });\n`,
    );
  }
  const up = await forager(['engine', 'up'], { FORAGER_HOME: home });
  if (up.code !== 0) throw new Error(up.stderr);
  const { ZEEBE_GRPC_ADDRESS } = parseUp(up.stdout);
  const env = { ZEEBE_GRPC_ADDRESS, FORAGER_HTTP_PORT: '0', FORAGER_LOG_FORMAT: 'json' };
  await measure('node --import tsx cli/forager.ts run (tsx, 5 .ts workers)', [...CLI_ARGS, 'run', '--workers', join(project, 'workers')], project, env);
  if (values.built) {
    // The image's layout: dist/workers/*.js built from the same files.
    const built = values.built;
    await mkdir(join(built, 'dist', 'measure-workers'), { recursive: true });
    const sdk = `file://${join(built, 'dist', 'src', 'index.js')}`;
    for (const name of ['charge', 'ship', 'email', 'invoice', 'audit']) {
      await writeFile(
        join(built, 'dist', 'measure-workers', `${name}.js`),
        `import { z } from 'zod';\nimport { defineWorker } from '${sdk}';\nexport default defineWorker({ type: 'measure-${name}', variables: z.object({ id: z.string() }), handler: async ({ id }) => ({ done: id }) });\n`,
      );
    }
    await measure('node dist/cli/forager.js run (built JS, 5 .js workers)', ['dist/cli/forager.js', 'run', '--workers', 'dist/measure-workers'], built, env);
  }
} finally {
  await cleanUp(home);
  await rm(project, { recursive: true, force: true });
}
