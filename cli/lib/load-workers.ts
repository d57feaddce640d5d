/**
 * Finds the worker files of a directory (`workers/*.ts|js`, one job type each) and imports them. Each must
 * default-export what `defineWorker` returns. Files starting with `_` or `.`, tests and `.d.ts` are skipped.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isWorkerDefinition, type WorkerDefinition } from '../../src/worker/index.ts';
import { CliError, EXIT } from './errors.ts';

const WORKER_FILE = /^[^._].*\.(ts|mts|js|mjs)$/;
const NOT_A_WORKER = /(\.d\.ts|\.test\.(ts|mts|js|mjs))$/;

export interface LoadedWorker {
  readonly file: string;
  readonly definition: WorkerDefinition;
}

export async function loadWorkers(dir: string, cwd: string): Promise<LoadedWorker[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && WORKER_FILE.test(e.name) && !NOT_A_WORKER.test(e.name)).map((e) => e.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (error as Error).message;
    throw new CliError(`cannot read workers directory ${relative(cwd, dir) || dir}: ${why}`, EXIT.BAD_INPUT);
  }
  names.sort();
  const loaded: LoadedWorker[] = [];
  const byType = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const shown = relative(cwd, path) || path;
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (error) {
      throw new CliError(`cannot load ${shown}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, EXIT.BAD_INPUT);
    }
    if (!isWorkerDefinition(module.default)) {
      throw new CliError(`${shown} does not default-export a worker (export default defineWorker({ type, handler }))`, EXIT.BAD_INPUT);
    }
    const other = byType.get(module.default.type);
    if (other !== undefined) throw new CliError(`${shown} and ${other} both define job type "${module.default.type}"`, EXIT.BAD_INPUT);
    byType.set(module.default.type, shown);
    loaded.push({ file: shown, definition: module.default });
  }
  return loaded;
}
