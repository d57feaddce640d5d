/**
 * Importing a user's file (a worker, later a trigger) as Node would, in whatever project it is in:
 *
 * - JavaScript as Node imports it: `.mjs` ESM, `.cjs` CommonJS, `.js` as the nearest package.json's `"type"`
 *   says (CommonJS when it says `commonjs` or nothing).
 * - TypeScript (`.ts`, `.mts`, `.cts`) with Node's own type stripping where the running Node has it (22.18+,
 *   24; 22.6+ with `--experimental-strip-types`), or an already registered loader (`node --import tsx`).
 *   When that cannot load the file (an older Node, `import`/`export` in a `.ts` file that package.json makes
 *   CommonJS, syntax Node cannot strip such as `enum`), tsx does, if the project has it installed (or
 *   forager's own install does). Otherwise `ModuleLoadError` says what to install or change.
 *
 * A CommonJS file's `module.exports` is its default export; a CommonJS file compiled from TypeScript
 * (`exports.default = …`) has its `default` inside it: `exportedValues` looks in both.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Why a file could not be imported, when it is about how rather than what the file does. */
export type ModuleLoadProblem = 'TYPESCRIPT_NEEDS_LOADER' | 'ESM_SYNTAX_IN_COMMONJS' | 'TYPESCRIPT_SYNTAX_NOT_STRIPPABLE';

/** A file forager cannot import as it is; `message` names the file and what to do. */
export class ModuleLoadError extends Error {
  override readonly name = 'ModuleLoadError';
  constructor(
    message: string,
    readonly code: ModuleLoadProblem,
  ) {
    super(message);
  }
}

export interface FileImporter {
  /** Imports `path` (absolute) and returns its module namespace. `shown` is how messages name the file. */
  import(path: string, shown: string): Promise<Record<string, unknown>>;
}

type TsImport = (specifier: string, parentURL: string) => Promise<Record<string, unknown>>;

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

/** What went wrong, from Node's error, when it is the file's module system or a missing TypeScript loader. */
function classify(error: unknown): ModuleLoadProblem | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') return 'TYPESCRIPT_NEEDS_LOADER';
  if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || code === 'ERR_INVALID_TYPESCRIPT_SYNTAX') return 'TYPESCRIPT_SYNTAX_NOT_STRIPPABLE';
  if (error instanceof SyntaxError && /Cannot use import statement outside a module|Unexpected token 'export'|import\.meta.*outside a module/.test(text)) {
    return 'ESM_SYNTAX_IN_COMMONJS';
  }
  return undefined;
}

/** tsx's `tsImport`, from the project's own install or forager's, or undefined when neither has tsx. */
async function findTsx(projectDir: string): Promise<TsImport | undefined> {
  for (const base of [join(projectDir, 'package.json'), import.meta.url]) {
    let manifest: string;
    try {
      manifest = createRequire(base).resolve('tsx/package.json');
    } catch {
      continue;
    }
    // The ESM build of tsx's API (its `import` condition): the CommonJS one cannot register ESM hooks here.
    const entry = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports?.['./esm/api'] as
      | { import?: { default?: string } | string }
      | undefined;
    const target = typeof entry?.import === 'string' ? entry.import : entry?.import?.default;
    if (target === undefined) continue;
    const api = (await import(pathToFileURL(join(dirname(manifest), target)).href)) as { tsImport?: TsImport };
    if (typeof api.tsImport === 'function') return api.tsImport;
  }
  return undefined;
}

function advice(problem: ModuleLoadProblem, shown: string): string {
  const ext = extname(shown);
  switch (problem) {
    case 'TYPESCRIPT_NEEDS_LOADER':
      return (
        `${shown} is TypeScript and Node ${process.version} cannot run TypeScript by itself: ` +
        'install tsx in the project (npm install --save-dev tsx), use Node 22.18 or later, or build the file to JavaScript'
      );
    case 'ESM_SYNTAX_IN_COMMONJS': {
      const esm = TYPESCRIPT.has(ext) ? '.mts' : '.mjs';
      return (
        `${shown} uses import/export, but the project's package.json makes ${ext} files CommonJS: ` +
        `name it ${esm}, set "type": "module" in package.json, use require/module.exports` +
        (TYPESCRIPT.has(ext) ? ', or install tsx (npm install --save-dev tsx)' : '')
      );
    }
    case 'TYPESCRIPT_SYNTAX_NOT_STRIPPABLE':
      return (
        `${shown} uses TypeScript that Node can only strip, not compile (enum, namespace, parameter properties): ` +
        'install tsx (npm install --save-dev tsx) or write it without them'
      );
  }
}

/**
 * @example
 * const importer = createFileImporter(process.cwd());
 * const module = await importer.import('/app/workers/send-email.ts', 'workers/send-email.ts');
 */
export function createFileImporter(projectDir: string): FileImporter {
  let tsx: Promise<TsImport | undefined> | undefined;
  return {
    async import(path, shown) {
      const url = pathToFileURL(path).href;
      try {
        return (await import(url)) as Record<string, unknown>;
      } catch (error) {
        const problem = classify(error);
        // A JavaScript file is what it is; a TypeScript file gets a second chance with tsx.
        if (problem === undefined || !TYPESCRIPT.has(extname(path))) {
          if (problem !== undefined) throw new ModuleLoadError(advice(problem, shown), problem);
          throw error;
        }
        tsx ??= findTsx(projectDir);
        const tsImport = await tsx;
        if (tsImport === undefined) throw new ModuleLoadError(advice(problem, shown), problem);
        return tsImport(url, pathToFileURL(join(projectDir, 'package.json')).href);
      }
    },
  };
}

/**
 * The values a module exports, with a CommonJS module's `module.exports` (its default export) looked into
 * as well, so that `module.exports = worker`, `exports.a = worker` and TypeScript's `exports.default = worker`
 * are found like ESM's `export default worker`. Each value once.
 */
export function exportedValues(namespace: Readonly<Record<string, unknown>>): unknown[] {
  const values = new Set<unknown>();
  for (const value of Object.values(namespace)) values.add(value);
  const cjs = namespace.default;
  if (typeof cjs === 'object' && cjs !== null && !Array.isArray(cjs)) {
    for (const value of Object.values(cjs)) values.add(value);
  }
  return [...values];
}
