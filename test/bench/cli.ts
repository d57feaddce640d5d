/**
 * The CLI's start-up, as a user waits for it: forager's built `forager` command (the package's bin, plain
 * `node`, no TypeScript loader) beside zbctl (Zeebe's Go CLI, the peer a modeller has), the same commands
 * against one forager engine, wall time from spawn to exit, medians of BENCH_CLI_RUNS (default 9) runs each.
 * The figures and ratios go to the bench's table and JSON. `npm run bench` runs it as the case `cli`;
 * `BENCH_CASES=cli npm run bench` alone.
 *
 * forager is built as it ships (build.ts) in a copy of the sources; the engine is started by that build's
 * `forager engine up` in a FORAGER_HOME of the bench's own and stopped at the end, also on failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyRepository, ROOT, runToEnd } from '../helpers/build-copy.ts';
import { ZBCTL } from '../helpers/zbctl.ts';

export const CLI_CASES = ['cli'] as const;
export const isCliCase = (name: string): boolean => (CLI_CASES as readonly string[]).includes(name);

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 9);

interface Timed {
  readonly code: number | null;
  readonly ms: number;
  readonly output: string;
}

async function timed(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const t0 = performance.now();
  const { code, output } = await runToEnd(command, args, { env });
  return { code, ms: performance.now() - t0, output };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface CliFigure {
  readonly command: string;
  readonly foragerMs: number;
  readonly zbctlMs: number | undefined;
  /** forager's median over zbctl's: below 1 means forager answers sooner. */
  readonly ratio: number | undefined;
}

async function medianOf(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await timed(command, args, env);
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.output}`);
    times.push(result.ms);
  }
  return median(times);
}

export async function runCliBench(): Promise<CliFigure[]> {
  const app = await mkdtemp(join(tmpdir(), 'forager-bench-cli-'));
  const home = join(app, 'forager-home');
  const forager = join(app, 'dist', 'cli', 'forager.js');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, FORAGER_HOME: home };
  try {
    await copyRepository(app, { build: true });
    const up = await timed(process.execPath, [forager, 'engine', 'up'], env);
    if (up.code !== 0) throw new Error(`engine up: ${up.output}`);
    const address = /^ZEEBE_ADDRESS=(\S+)$/m.exec(up.output)?.[1];
    if (!address) throw new Error(`engine up printed no address: ${up.output}`);
    const withBroker = { ...env, ZEEBE_ADDRESS: address, ZEEBE_GRPC_ADDRESS: `grpc://${address}` };
    const zb = (args: readonly string[]) => ['--insecure', '--address', address, ...args];
    const hello = join(ROOT, 'bpmn', 'hello.bpmn');
    const cases: { command: string; forager: readonly string[]; zbctl?: readonly string[] }[] = [
      { command: '--version', forager: ['--version'], zbctl: ['version'] },
      { command: '--help', forager: ['--help'], zbctl: ['--help'] },
      { command: 'status', forager: ['status'], zbctl: zb(['status']) },
      { command: 'deploy bpmn/hello.bpmn', forager: ['deploy', hello], zbctl: zb(['deploy', hello]) },
      { command: 'start hello', forager: ['start', 'hello', '--variables', '{"name":"Ada"}'], zbctl: zb(['create', 'instance', 'hello', '--variables', '{"name":"Ada"}']) },
      { command: 'engine status', forager: ['engine', 'status'] },
    ];
    const figures: CliFigure[] = [];
    for (const c of cases) {
      const foragerMs = await medianOf(process.execPath, [forager, ...c.forager], withBroker);
      const zbctlMs = c.zbctl ? await medianOf(ZBCTL, c.zbctl, withBroker) : undefined;
      figures.push({ command: c.command, foragerMs, zbctlMs, ratio: zbctlMs === undefined ? undefined : foragerMs / zbctlMs });
    }
    return figures;
  } finally {
    await timed(process.execPath, [forager, 'engine', 'down', '--all'], env).catch(() => undefined);
    await rm(app, { recursive: true, force: true });
  }
}

export function printCliTable(figures: readonly CliFigure[]): void {
  console.log(`\nCLI start-up, wall time spawn → exit, median of ${RUNS} runs (forager: the built bin on node ${process.version}; zbctl: Go)`);
  console.log(`  ${'command'.padEnd(26)} ${'forager'.padStart(9)} ${'zbctl'.padStart(9)} ${'ratio'.padStart(7)}`);
  for (const f of figures) {
    const zbctl = f.zbctlMs === undefined ? '–' : `${f.zbctlMs.toFixed(0)} ms`;
    const ratio = f.ratio === undefined ? '–' : `${f.ratio.toFixed(2)}×`;
    console.log(`  ${f.command.padEnd(26)} ${`${f.foragerMs.toFixed(0)} ms`.padStart(9)} ${zbctl.padStart(9)} ${ratio.padStart(7)}`);
  }
}
