/** The program-wide flags a broker command passes to `resolveConfig`. */
import type { Command } from 'commander';
import type { ConfigFlags } from '../../src/config/index.ts';

export function globalFlags(command: Command): ConfigFlags {
  const opts = command.optsWithGlobals<{ address?: string }>();
  return { address: opts.address };
}
