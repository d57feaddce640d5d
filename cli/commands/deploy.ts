/**
 * `forager deploy <files…>`: every file read first (nothing is sent if one is missing), then all of them in
 * one DeployResource call, so the broker deploys all or none.
 */
import { readFile } from 'node:fs/promises';
import { normalize, resolve } from 'node:path';
import type { Command } from 'commander';
import type { DeployedResource, Resource } from '../../src/transport/index.ts';
import { withBroker } from '../lib/broker.ts';
import { CliError, EXIT } from '../lib/errors.ts';
import type { CliIo } from '../lib/io.ts';
import { globalFlags } from '../lib/flags.ts';

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'no such file',
};

/** Reads every file; the first unreadable one ends the command before anything is sent. */
export async function readResources(files: readonly string[], cwd: string): Promise<Resource[]> {
  const seen = new Set<string>();
  const resources: Resource[] = [];
  for (const file of files) {
    const absolute = resolve(cwd, file);
    if (seen.has(absolute)) continue;
    seen.add(absolute);
    try {
      // The name as the user typed it: the broker reports it back, in errors and in the deployment.
      resources.push({ name: normalize(file), content: await readFile(absolute) });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      throw new CliError(`cannot read ${file}: ${READ_ERRORS[code] ?? (error as Error).message}`, EXIT.BAD_INPUT);
    }
  }
  return resources;
}

export function describeDeployed(resource: DeployedResource): string {
  switch (resource.kind) {
    case 'process':
      return `deployed ${resource.bpmnProcessId} version ${resource.version} (key ${resource.key}) from ${resource.resourceName}`;
    case 'decision':
      return `deployed decision ${resource.decisionId} version ${resource.version} (key ${resource.key}) from ${resource.resourceName}`;
    case 'decisionRequirements':
      return `deployed decision requirements ${resource.decisionRequirementsId} version ${resource.version} (key ${resource.key}) from ${resource.resourceName}`;
    case 'form':
      return `deployed form ${resource.formId} version ${resource.version} (key ${resource.key}) from ${resource.resourceName}`;
  }
}

export function registerDeploy(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('deploy')
    .description('deploy BPMN, DMN and form files, all in one deployment (all or none)')
    .argument('<files...>', 'files to deploy')
    .action(async (files: string[]) => {
      const resources = await readResources(files, io.cwd);
      const deployment = await withBroker(io, globalFlags(program), ({ transport }) => transport.deploy(resources));
      for (const resource of deployment.resources) io.out(describeDeployed(resource));
      setExit(EXIT.OK);
    });
}
