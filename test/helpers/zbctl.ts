/**
 * Runs `zbctl` (the Go CLI from the npm package `zbctl`, a client no one here wrote) against an engine.
 * Every run has a wall-clock limit, so an engine that never answers fails the test instead of hanging it.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const ZBCTL = join(dirname(require.resolve('zbctl/package.json')), 'bin', 'zbctl-cli.linux');

export interface ZbctlResult {
  /** The exit code (0 on success). */
  code: number;
  stdout: string;
  stderr: string;
}

export function zbctl(address: string, args: string[], timeoutMs = 12_000): Promise<ZbctlResult> {
  return new Promise((resolve) => {
    execFile(
      ZBCTL,
      ['--insecure', '--address', address, ...args],
      { timeout: timeoutMs, env: { ...process.env, ZEEBE_ADDRESS: address } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : error.killed ? -1 : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs zbctl and parses its JSON output; throws with zbctl's stderr when it failed. */
export async function zbctlJson<T = Record<string, unknown>>(address: string, args: string[]): Promise<T> {
  const result = await zbctl(address, args);
  if (result.code !== 0) throw new Error(`zbctl ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * zbctl prints gRPC errors as `Error: rpc error: code = NotFound desc = ...`; these are the names of the
 * numeric status codes in that text.
 */
export const GO_CODE_NAMES: Record<number, string> = {
  3: 'InvalidArgument',
  4: 'DeadlineExceeded',
  5: 'NotFound',
  6: 'AlreadyExists',
  9: 'FailedPrecondition',
  12: 'Unimplemented',
};
