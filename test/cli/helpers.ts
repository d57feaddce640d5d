/** Helpers for the CLI's whole-program tests: spawn `node --import tsx cli/forager.ts …` as a user would, and clean up. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** The CLI's entry from the sources, and the node arguments that run it as a user's `forager` would run. */
export const CLI = join(ROOT, 'cli', 'forager.ts');
// tsx by its resolved URL: a test may run the CLI from any working directory.
export const CLI_ARGS: readonly string[] = ['--import', import.meta.resolve('tsx'), CLI];
export const HELLO = join(ROOT, 'bpmn', 'hello.bpmn');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Every process a test spawned, so that `after` hooks can kill what is left. */
export const spawned = new Set<ChildProcess>();

/** The environment of the test process without any broker settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(ZEEBE_|CAMUNDA_|FORAGER_)/.test(key) && !key.startsWith('NODE_TEST')) env[key] = value;
  }
  return { ...env, ...extra };
}

export function start(args: string[], env: Record<string, string>, cwd = ROOT): ChildProcess {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return child;
}

export function forager(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Result> {
  const t0 = Date.now();
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`forager ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) {
        cleanup();
        resolve(seen);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`exited (${code}) before printing ${pattern}: ${seen}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${seen}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** True once `pid` has exited (a zombie not yet reaped by init counts as exited), polling up to 2 s. */
export async function isGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    try {
      process.kill(pid, 0);
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (/^\d+ \(.*\) Z/.test(stat)) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Parses the three lines `engine up` prints. */
export function parseUp(stdout: string): { ZEEBE_ADDRESS: string; ZEEBE_GRPC_ADDRESS: string; ZEEBE_REST_ADDRESS: string } {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 3, `expected exactly three lines, got: ${stdout}`);
  const [a, g, r] = lines as [string, string, string];
  const address = /^ZEEBE_ADDRESS=(127\.0\.0\.1:\d+)$/.exec(a)?.[1];
  assert.ok(address, a);
  assert.equal(g, `ZEEBE_GRPC_ADDRESS=grpc://${address}`);
  const rest = /^ZEEBE_REST_ADDRESS=(http:\/\/127\.0\.0\.1:\d+)$/.exec(r)?.[1];
  assert.ok(rest, r);
  return { ZEEBE_ADDRESS: address, ZEEBE_GRPC_ADDRESS: `grpc://${address}`, ZEEBE_REST_ADDRESS: rest };
}

/** A port that nothing listens on (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Kills every process this test file spawned that still runs (for a file's last `after` hook). */
export function killSpawned(): void {
  for (const child of spawned) child.kill('SIGKILL');
}

/** The pids of the engines recorded in `home` (`engines/<name>.json`, and an older forager's `engine.json`). */
async function recordedEnginePids(home: string): Promise<number[]> {
  const dir = join(home, 'engines');
  const files = [join(home, 'engine.json'), ...(await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => join(dir, f))];
  const pids: number[] = [];
  for (const file of files) {
    const record = await readFile(file, 'utf8').catch(() => undefined);
    if (record) pids.push((JSON.parse(record) as { pid: number }).pid);
  }
  return pids;
}

/** Stops every engine recorded in `home` (`forager engine down --all`, then SIGKILL as a last resort) and removes `home`. */
export async function cleanUp(home: string): Promise<void> {
  await forager(['engine', 'down', '--all'], { FORAGER_HOME: home }, 30_000).catch(() => undefined);
  for (const pid of await recordedEnginePids(home).catch(() => [])) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(home, { recursive: true, force: true });
}

export function bpmn(processId: string, body = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_${processId}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f</bpmn:incoming></bpmn:endEvent>${body}
  </bpmn:process>
</bpmn:definitions>
`;
}

