/**
 * A copy of this repository's sources, in a directory of the test's own, with `node_modules` linked to the
 * repository's (and `forager-engine` to the copy's engine), built as `npm run build` builds it when asked.
 * Tests that pack or run the built packages use a copy so that none of them rebuilds, or reads, the
 * repository's own `dist/` while another test file runs.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

const COPIED = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'build.ts', 'README.md', 'LICENSE', 'src', 'cli', 'workers', 'bpmn', 'docker'];
const NOT_COPIED = /(^|\/)(dist|node_modules)(\/|$)/;

/** Runs a command to its end: its exit code and everything it printed (stdout and stderr). */
export function runToEnd(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * Copies the sources into `dir` (which must exist and be empty) and, with `build`, runs `build.ts` there.
 *
 * @example
 * const app = await mkdtemp(join(tmpdir(), 'forager-built-'));
 * await copyRepository(app, { build: true });   // app/dist/cli/forager.js, app/src/engine/dist/main.js
 */
export async function copyRepository(dir: string, options: { build: boolean }): Promise<void> {
  for (const name of COPIED) {
    await cp(join(ROOT, name), join(dir, name), { recursive: true, filter: (source) => !NOT_COPIED.test(source.slice(ROOT.length)) });
  }
  const modules = join(dir, 'node_modules');
  await mkdir(modules);
  for (const entry of await readdir(join(ROOT, 'node_modules'))) {
    if (entry === 'forager-engine' || entry.startsWith('.package-lock')) continue;
    await symlink(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  await symlink(join(dir, 'src', 'engine'), join(modules, 'forager-engine'));
  if (options.build) {
    const { code, output } = await runToEnd(process.execPath, ['--import', 'tsx', 'build.ts'], { cwd: dir });
    if (code !== 0) throw new Error(`build.ts in ${dir} failed (exit ${code}):\n${output}`);
  }
}
