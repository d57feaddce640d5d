/**
 * `npm run build`: compiles the two packages of this repository to JavaScript with declarations and source
 * maps, as they ship.
 *
 *   forager-engine   src/engine/ → src/engine/dist/   (src/engine/tsconfig.build.json)
 *   forager          src/, cli/  → dist/              (tsconfig.build.json; needs the engine's declarations)
 *
 * `node --import tsx build.ts [forager-engine|forager]` builds one (the engine first when both). tsc writes
 * the files; this script then makes the declarations' relative imports name `.js` files as the JavaScript's
 * do (tsc's rewriteRelativeImportExtensions leaves `.ts` in declarations, which TypeScript before 5.0 and
 * some tools refuse) and drops the CLI's declarations (it has no API). Exit 1 when tsc reports an error.
 */
import { spawnSync } from 'node:child_process';
import { chmod, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

interface PackageBuild {
  readonly name: string;
  readonly tsconfig: string;
  readonly outDir: string;
  /** Folders of the output whose declarations are not part of the package's API. */
  readonly noDeclarations: readonly string[];
  /** The package's bin files, made executable (`npx` in this repository runs them as they are). */
  readonly bins: readonly string[];
}

const PACKAGES: readonly PackageBuild[] = [
  { name: 'forager-engine', tsconfig: 'src/engine/tsconfig.build.json', outDir: 'src/engine/dist', noDeclarations: [], bins: ['main.js'] },
  { name: 'forager', tsconfig: 'tsconfig.build.json', outDir: 'dist', noDeclarations: ['cli'], bins: ['cli/forager.js'] },
];

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** `from './x.ts'`, `import('./x.ts')`, `declare module './x.ts'` → `.js` (relative specifiers only). */
function declarationsWithJsImports(text: string): string {
  return text.replace(/((?:from|import\(|module)\s*['"])(\.{1,2}\/[^'"]*?)\.(m?)ts(['"])/g, '$1$2.$3js$4');
}

async function build(pkg: PackageBuild): Promise<void> {
  const outDir = join(ROOT, pkg.outDir);
  await rm(outDir, { recursive: true, force: true });
  const started = performance.now();
  const tsc = spawnSync(process.execPath, [TSC, '-p', join(ROOT, pkg.tsconfig)], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc -p ${pkg.tsconfig} failed (exit ${tsc.status ?? tsc.signal})`);
  let declarations = 0;
  for await (const file of files(outDir)) {
    if (!/\.d\.m?ts$/.test(file)) continue;
    if (pkg.noDeclarations.some((dir) => file.startsWith(join(outDir, dir) + '/'))) {
      await rm(file);
      continue;
    }
    const text = await readFile(file, 'utf8');
    const rewritten = declarationsWithJsImports(text);
    if (rewritten !== text) await writeFile(file, rewritten);
    declarations++;
  }
  for (const bin of pkg.bins) await chmod(join(outDir, bin), 0o755);
  console.error(`built ${pkg.name} into ${pkg.outDir}/ (${declarations} declaration files) in ${Math.round(performance.now() - started)} ms`);
}

const only = process.argv[2];
const chosen = only === undefined ? PACKAGES : PACKAGES.filter((pkg) => pkg.name === only);
if (chosen.length === 0) {
  console.error(`build: no package named ${JSON.stringify(only)} (${PACKAGES.map((pkg) => pkg.name).join(', ')})`);
  process.exit(2);
}
try {
  for (const pkg of chosen) await build(pkg);
} catch (error) {
  console.error(`build: ${(error as Error).message}`);
  process.exit(1);
}
