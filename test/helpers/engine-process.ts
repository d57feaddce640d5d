/**
 * The standalone engine (`src/engine/main.ts`) as a child process, for tests that kill it (`kill -9`) or
 * restart it on a data directory. It is killed in the test's `after` hook if it is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const MAIN = join(ROOT, 'src/engine/main.ts');

export interface EngineProcess {
  process: ChildProcess;
  /** `host:port` of the gRPC gateway. */
  address: string;
  restAddress: string;
  /** Everything the engine printed so far (stdout and stderr). */
  output(): string;
}

/** Starts `main.ts --data-dir dir --port 0 --rest-port 0 …args` and resolves once it listens. */
export async function spawnEngine(t: TestContext, dir: string, args: string[] = []): Promise<EngineProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--data-dir', dir, '--port', '0', '--rest-port', '0', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /forager engine listening on (\S+) \(REST (http:\/\/\S+?),/.exec(output);
      if (m) resolve(m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the engine exited (${code}) before it was ready:\n${output}`)));
  });
  return { process: child, address: ready[1]!, restAddress: ready[2]!, output: () => output };
}

/** Resolves with the exit code and signal once the process has ended. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}
