/** `forager status`: the broker's topology (brokers, partitions with their leaders, versions). */
import type { Command } from 'commander';
import { withBroker } from '../lib/broker.ts';
import { EXIT } from '../lib/exit.ts';
import type { CliIo } from '../lib/io.ts';
import { globalFlags } from '../lib/flags.ts';
import { output } from '../lib/output.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

export function registerStatus(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('status')
    .description(COMMAND_SUMMARIES.status)
    .addHelpText(
      'after',
      `
Example:
  $ forager status
  gateway 8.8.0 at 127.0.0.1:26500: 1 broker, 1 partition, replication factor 1
  broker 0 at 127.0.0.1:26501 (version 8.8.0)
    partition 1: LEADER, HEALTHY`,
    )
    .action(async () => {
      const out = output(io, command);
      const { address, topology } = await withBroker(io, globalFlags(program), async ({ transport }) => ({
        address: `${transport.address.host}:${transport.address.port}`,
        topology: await transport.topology(),
      }));
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      const lines = [
        `gateway ${topology.gatewayVersion} at ${address}: ${plural(topology.clusterSize, 'broker')}, ${plural(topology.partitionsCount, 'partition')}, replication factor ${topology.replicationFactor}`,
      ];
      for (const broker of topology.brokers) {
        lines.push(`broker ${broker.nodeId} at ${broker.host}:${broker.port} (version ${broker.version})`);
        for (const p of [...broker.partitions].sort((a, b) => a.partitionId - b.partitionId)) lines.push(`  partition ${p.partitionId}: ${p.role}, ${p.health}`);
      }
      out.result(lines, { address, ...topology });
      setExit(EXIT.OK);
    });
}
