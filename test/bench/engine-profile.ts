/**
 * The top self-time functions of a V8 CPU profile (`node --cpu-prof`), with file:line in the TypeScript
 * source where tsx's inline source map of the file can be rebuilt (esbuild, the transform tsx uses), else in
 * the JavaScript V8 ran.
 *
 * @example
 * node --import tsx test/bench/engine-profile.ts test/bench/results/CPU.….cpuprofile 10
 */
import { readFileSync } from 'node:fs';
import { createRequire, SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './lib.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  readonly name: string;
  /** file:line (1-based), relative to the repository when inside it. */
  readonly where: string;
  readonly selfMs: number;
  /** Share of the busy time (all sampled time but '(idle)'; GC and '(program)' count as busy). */
  readonly share: number;
}

const maps = new Map<string, SourceMap | null>();

/** The source map tsx would have made for a .ts file (esbuild transform with an inline map); null if none. */
async function sourceMapOf(file: string): Promise<SourceMap | null> {
  if (maps.has(file)) return maps.get(file)!;
  let map: SourceMap | null = null;
  if (/\.[cm]?tsx?$/.test(file)) {
    try {
      // The esbuild that tsx itself uses (a dependency of tsx, not of this project): the same transform.
      const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
      const esbuild = fromTsx('esbuild') as {
        transform(code: string, options: Record<string, unknown>): Promise<{ map: string }>;
      };
      const out = await esbuild.transform(readFileSync(file, 'utf8'), {
        loader: file.endsWith('x') ? 'tsx' : 'ts',
        format: 'esm',
        sourcemap: 'external',
        sourcefile: file,
        // As tsx does (its transform options): whitespace minified, names kept, this Node as the target.
        target: `node${process.versions.node}`,
        minifyWhitespace: true,
        keepNames: true,
      });
      map = new SourceMap(JSON.parse(out.map) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
  }
  maps.set(file, map);
  return map;
}

async function locate(frame: ProfileNode['callFrame']): Promise<string> {
  if (!frame.url) return '(native)';
  let file = frame.url;
  if (file.startsWith('file://')) file = fileURLToPath(file.split('?')[0]!);
  let line = frame.lineNumber + 1;
  const map = file.startsWith('/') ? await sourceMapOf(file) : null;
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalLine?: number };
    if (typeof entry.originalLine === 'number') line = entry.originalLine + 1;
  }
  const shown = file.startsWith(ROOT) ? relative(ROOT, file) : file;
  return `${shown}:${line}`;
}

/** The `top` functions by self time, merged by name and place; idle time left out (and reported as `idleMs`). */
export async function hotFunctions(
  profilePath: string,
  top = 10,
): Promise<{ totalMs: number; idleMs: number; functions: HotFunction[]; files: { file: string; selfMs: number; share: number }[] }> {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  const merged = new Map<string, { frame: ProfileNode['callFrame']; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
    const m = merged.get(key);
    if (m) m.us += us;
    else merged.set(key, { frame, us });
  }
  const idleUs = [...merged.values()].filter((m) => m.frame.functionName === '(idle)').reduce((n, m) => n + m.us, 0);
  const busyUs = totalUs - idleUs;
  const sorted = [...merged.values()]
    .filter((m) => m.frame.functionName !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top);
  const functions: HotFunction[] = [];
  for (const { frame, us } of sorted) {
    functions.push({ name: frame.functionName || '(anonymous)', where: await locate(frame), selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 });
  }
  const byFile = new Map<string, number>();
  for (const { frame, us } of merged.values()) {
    if (frame.functionName === '(idle)') continue;
    const file = frame.url ? (await locate(frame)).replace(/:\d+$/, '') : frame.functionName;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const files = [...byFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([file, us]) => ({ file, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, functions, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [path, top] = process.argv.slice(2);
  if (!path) {
    console.error('usage: node --import tsx test/bench/engine-profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const { totalMs, idleMs, functions, files } = await hotFunctions(path, top ? Number(top) : 10);
  console.log(`${(totalMs / 1000).toFixed(1)} s profiled, ${(idleMs / 1000).toFixed(1)} s of it idle; share of the busy time:`);
  for (const f of functions) console.log(`${f.selfMs.toFixed(0).padStart(7)} ms  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  console.log('by file:');
  for (const f of files) console.log(`${f.selfMs.toFixed(0).padStart(7)} ms  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.file}`);
}
