/**
 * Where forager's engine program is and how to run it, for `forager engine up`: in forager's repository its
 * TypeScript sources through tsx; in an install, the built `main` of the package forager-engine beside forager.
 * Worker pods install no engine: then `engine up` says which package to add (exit 2).
 */
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from './exit.ts';

export interface EngineProgram {
  /** Node's own arguments before the file (a loader, from the sources). */
  readonly nodeArgs: readonly string[];
  /** The engine's main file, absolute. */
  readonly main: string;
}

export const ENGINE_PACKAGE = 'forager-engine';

export function findEngineProgram(): EngineProgram {
  if (import.meta.url.endsWith('.ts')) {
    return { nodeArgs: ['--import', import.meta.resolve('tsx')], main: fileURLToPath(new URL('../../src/engine/main.ts', import.meta.url)) };
  }
  try {
    return { nodeArgs: [], main: fileURLToPath(import.meta.resolve(`${ENGINE_PACKAGE}/main`)) };
  } catch {
    throw new CliError(
      `forager engine up needs forager's engine, the package ${ENGINE_PACKAGE}, which is not installed: npm install --save-dev ${ENGINE_PACKAGE}`,
      EXIT.BAD_INPUT,
      { problem: 'ENGINE_NOT_INSTALLED', package: ENGINE_PACKAGE },
    );
  }
}
