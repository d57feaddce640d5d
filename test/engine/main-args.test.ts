/**
 * The engine as a program (`src/engine/main.ts`, what the image runs): a bad argument exits 2 with a line naming
 * the flag and the value, before anything listens.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const MAIN = join(ROOT, 'src/engine/main.ts');

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--rest-port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

test('bad arguments of main.ts exit 2 naming the flag and the value, and nothing listens', { timeout: 120_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['--retention-ms', '1h'], /--retention-ms must be a whole number of milliseconds \(0 or more\), not '1h'/],
    [['--retention-ms=-5'], /--retention-ms must be a whole number of milliseconds \(0 or more\), not '-5'/],
    [['--max-ended-instances', 'many'], /--max-ended-instances must be a whole number of at least 0, not 'many'/],
    [['--max-in-flight', '1.5'], /--max-in-flight must be a whole number of at least 0, not '1.5'/],
    [['--snapshot-every', '10'], /--snapshot-every needs --data-dir/],
    [['--colour', 'red'], /forager engine: Unknown option '--colour'/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach(({ code, output }, i) => {
    const [args, message] = cases[i]!;
    assert.equal(code, 2, `${args.join(' ')}: ${output}`);
    assert.match(output, message);
    assert.doesNotMatch(output, /listening on/);
  });
});
