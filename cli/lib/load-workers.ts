/**
 * The worker files of a directory for a command (`run`, `check`, the demo): the host's discovery
 * (`src/host/discover.ts`: one job type per file, `.ts` or built `.js`), with its problems as exit code 2.
 */
import { discoverWorkers, WorkerDiscoveryError, type LoadedWorker } from '../../src/host/index.ts';
import { CliError, EXIT } from './exit.ts';

export type { LoadedWorker };

export async function loadWorkers(dir: string, cwd: string): Promise<LoadedWorker[]> {
  try {
    return await discoverWorkers(dir, cwd);
  } catch (error) {
    if (error instanceof WorkerDiscoveryError) throw new CliError(error.message, EXIT.BAD_INPUT, { problem: error.code });
    throw error;
  }
}
