/**
 * Worker discovery: the files of a directory (`workers/`, one job type each: `.ts`, `.mts`, `.cts`, `.js`,
 * `.mjs`, `.cjs`) imported and checked. A file must export a worker (`export default defineWorker(…)`, named
 * exports of workers, or `module.exports = defineWorker(…)`); two files claiming one job type, a file
 * exporting none, or a file that does not load is a `WorkerDiscoveryError` naming the file. Files starting
 * with `_` or `.`, tests, `.d.ts` and source maps are skipped. How TypeScript and CommonJS files are loaded:
 * `import-file.ts`.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isWorkerDefinition, type WorkerDefinition } from '../worker/index.ts';
import { createFileImporter, exportedValues, ModuleLoadError, type ModuleLoadProblem } from './import-file.ts';

const WORKER_FILE = /^[^._].*\.(ts|mts|cts|js|mjs|cjs)$/;
const NOT_A_WORKER = /(\.d\.(ts|mts|cts)|\.(test|spec)\.(ts|mts|cts|js|mjs|cjs))$/;

export type DiscoveryProblem = 'NO_DIRECTORY' | 'LOAD_FAILED' | 'NO_WORKER' | 'DUPLICATE_TYPE' | ModuleLoadProblem;

/** Why the workers of a directory cannot be run; `message` names the file(s). */
export class WorkerDiscoveryError extends Error {
  override readonly name = 'WorkerDiscoveryError';
  constructor(
    message: string,
    readonly code: DiscoveryProblem,
  ) {
    super(message);
  }
}

export interface LoadedWorker {
  /** The file, relative to the working directory when inside it. */
  readonly file: string;
  readonly definition: WorkerDefinition;
}

/** A path as shown in messages: relative to the working directory when inside it, else absolute. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function firstLine(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

/**
 * Imports every worker file of `dir` in name order and returns one entry per worker.
 *
 * @example
 * const workers = await discoverWorkers(resolve('workers'), process.cwd());
 * workers.map((w) => w.definition.type); // ['greet', 'send-email']
 */
export async function discoverWorkers(dir: string, cwd: string): Promise<LoadedWorker[]> {
  const shownDir = shownPath(dir, cwd);
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && WORKER_FILE.test(e.name) && !NOT_A_WORKER.test(e.name))
      .map((e) => e.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : firstLine(error);
    throw new WorkerDiscoveryError(`cannot read workers directory ${shownDir}: ${why}`, 'NO_DIRECTORY');
  }
  names.sort();
  const importer = createFileImporter(cwd);
  const loaded: LoadedWorker[] = [];
  const byType = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const shown = shownPath(path, cwd);
    let module: Record<string, unknown>;
    try {
      module = await importer.import(path, shown);
    } catch (error) {
      if (error instanceof ModuleLoadError) throw new WorkerDiscoveryError(error.message, error.code);
      throw new WorkerDiscoveryError(`cannot load ${shown}: ${firstLine(error)}`, 'LOAD_FAILED');
    }
    const definitions = exportedValues(module).filter(isWorkerDefinition);
    if (definitions.length === 0) {
      throw new WorkerDiscoveryError(`${shown} exports no worker: add \`export default defineWorker({ type, handler })\``, 'NO_WORKER');
    }
    for (const definition of definitions) {
      const other = byType.get(definition.type);
      if (other !== undefined) {
        throw new WorkerDiscoveryError(`${other} and ${shown} both define job type "${definition.type}": one file per job type`, 'DUPLICATE_TYPE');
      }
      byType.set(definition.type, shown);
      loaded.push({ file: shown, definition });
    }
  }
  return loaded;
}
