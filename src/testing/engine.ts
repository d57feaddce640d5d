/**
 * forager's engine for the test kit and `startBroker`: the package `forager-engine`, loaded when a test first
 * needs it. A project that only runs workers neither installs nor loads it; one that tests with
 * `forager/testing` adds it (`npm install --save-dev forager-engine`) and is told so when it is missing.
 */
import type * as EngineModule from 'forager-engine';
import type { EngineOptions, RunningEngine } from 'forager-engine';

export type { Clock, EngineOptions, RunningEngine } from 'forager-engine';

/** The package that carries forager's engine. */
export const ENGINE_PACKAGE = 'forager-engine';

/**
 * forager's engine is not installed: `forager/testing` (and `forager engine up`) need the package
 * `forager-engine` beside `forager`.
 */
export class EngineNotInstalledError extends Error {
  override readonly name = 'EngineNotInstalledError';
  readonly code = 'ENGINE_NOT_INSTALLED';
  constructor(readonly neededBy: string) {
    super(`${neededBy} needs forager's engine, the package ${ENGINE_PACKAGE}: npm install --save-dev ${ENGINE_PACKAGE}`);
  }
}

/** Whether `error` says that `specifier` itself (not something it imports) cannot be found. */
function isMissing(error: unknown, specifier: string): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    (message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`))
  );
}

/**
 * Imports the engine: in forager's own repository (running from its TypeScript sources) the sources beside
 * this folder, otherwise the installed package.
 */
export async function loadEngine(neededBy = 'forager/testing'): Promise<typeof EngineModule> {
  if (import.meta.url.endsWith('.ts')) {
    return (await import(new URL('../engine/index.ts', import.meta.url).href)) as typeof EngineModule;
  }
  try {
    return await import(ENGINE_PACKAGE);
  } catch (error) {
    if (isMissing(error, ENGINE_PACKAGE)) throw new EngineNotInstalledError(neededBy);
    throw error;
  }
}

/**
 * Starts forager's engine in this process (127.0.0.1, a free port unless `options.port` is given).
 *
 * @example
 * import { startEngine } from 'forager/testing';
 * const engine = await startEngine();
 * process.env.ZEEBE_GRPC_ADDRESS = `grpc://${engine.address}`;
 * await engine.advanceClock(60_000);   // job deadlines, backoffs, timers and message TTLs move with it
 * await engine.stop();
 */
export async function startEngine(options?: EngineOptions): Promise<RunningEngine> {
  const engine = await loadEngine('startEngine()');
  return engine.startEngine(options);
}
