/**
 * `forager deploy <files or dirs…>`: BPMN, DMN and forms in one deployment. Every file is read and checked
 * first (well-formed, executable, job types, messages, unique ids, Camunda's lint rules for `--target`, and
 * what forager's engine refuses); one error anywhere and nothing is sent. Then all files go in one
 * DeployResource call, so the broker deploys all or none.
 *
 * What forager's engine refuses is an error when the broker is that engine (an address `forager engine up`
 * recorded, or `--target forager`), so the check and the engine's answer agree; against other brokers it is
 * a warning.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, normalize, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkResource, formatProblem, parseTarget, type LintTarget, type Problem, type ResourceReport } from '../../src/bpmn/index.ts';
import { hostPort, resolveConfig, type ConfigFlags } from '../../src/config/index.ts';
import type { DeployedResource, Resource } from '../../src/transport/index.ts';
import { withBroker } from '../lib/broker.ts';
import { recordedEngineAt, type RecordedEngine } from '../lib/engine-records.ts';
import { CliError, EXIT } from '../lib/exit.ts';
import type { CliIo } from '../lib/io.ts';
import { locateJsonError } from '../lib/json-position.ts';
import { globalFlags } from '../lib/flags.ts';
import { output } from '../lib/output.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'no such file',
};

const DEPLOYABLE = /\.(bpmn|dmn|form)$/i;

/** The deployable files under `dir` (recursively, skipping `node_modules` and dot folders), sorted. */
async function filesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesIn(path)));
    else if (entry.isFile() && DEPLOYABLE.test(entry.name)) found.push(path);
  }
  return found.sort();
}

/** Expands directories into their BPMN, DMN and form files (names relative to `cwd` when given relatively). */
export async function expandPaths(paths: readonly string[], cwd: string): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isDirectory()) {
      const inside = await filesIn(absolute);
      if (inside.length === 0) throw new CliError(`${path}: no .bpmn, .dmn or .form files in this directory`, EXIT.BAD_INPUT);
      files.push(...inside.map((f) => (path.startsWith('/') ? f : relative(cwd, f))));
    } else {
      if (info && !DEPLOYABLE.test(path)) throw new CliError(`${path}: not a BPMN, DMN or form file (.bpmn, .dmn, .form)`, EXIT.BAD_INPUT);
      files.push(path);
    }
  }
  return files;
}

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

/** Problems across files: a process id defined in two files of one deployment. */
function crossFileProblems(reports: readonly ResourceReport[]): Problem[] {
  const firstFile = new Map<string, string>();
  const problems: Problem[] = [];
  for (const report of reports) {
    for (const process of report.processes) {
      const other = firstFile.get(process.processId);
      if (other !== undefined && other !== report.file) {
        problems.push({ severity: 'error', file: report.file, elementId: process.processId, kind: 'bpmn:Process', message: `the process id '${process.processId}' is also defined in ${other}` });
      } else firstFile.set(process.processId, report.file);
    }
  }
  return problems;
}

/**
 * The engine `forager engine up` started at the address the deployment would go to, if it is one. Settings
 * that do not resolve say nothing here: the deployment itself reports them when it opens the broker.
 */
async function foragerEngineOf(io: CliIo, flags: ConfigFlags): Promise<(RecordedEngine & { at: string }) | undefined> {
  let config;
  try {
    config = resolveConfig(io.env, flags);
  } catch {
    return undefined;
  }
  if (!config.address) return undefined;
  const engine = await recordedEngineAt(config.stateDir, config.address);
  return engine && { ...engine, at: hostPort(config.address) };
}

/** Checks every resource for `target`; returns the reports and all problems. */
export async function checkResources(resources: readonly Resource[], options: { target: LintTarget; lint: boolean }) {
  const { target } = options;
  const reports: ResourceReport[] = [];
  for (const resource of resources) {
    reports.push(await checkResource(resource.name, resource.content.toString('utf8'), { target, lint: options.lint, locateJsonError }));
  }
  const problems = [...reports.flatMap((r) => r.problems), ...crossFileProblems(reports)];
  return { target, reports, problems };
}

export function registerDeploy(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('deploy')
    .description(COMMAND_SUMMARIES.deploy)
    .argument('<paths...>', 'files, or directories searched for .bpmn, .dmn and .form files')
    .option('--dry-run', 'check only: parse, validate and lint, send nothing')
    .option(
      '--target <version>',
      "the Camunda version to lint for (8.8 by default), or 'forager': what forager's engine refuses is an error (it is anyway when the broker is an engine `forager engine up` started)",
    )
    .option('--no-lint', "skip Camunda's lint rules (the checks a deployment needs still run)")
    .addHelpText(
      'after',
      `
Examples:
  $ forager deploy bpmn/                         # every .bpmn, .dmn and .form file under bpmn/
  $ forager deploy bpmn/order.bpmn forms/ --dry-run --target 8.7
  deployed order version 3 (key 2251799813685251) from bpmn/order.bpmn`,
    )
    .action(async (paths: string[], opts: { dryRun?: boolean; target?: string; lint: boolean }) => {
      const out = output(io, command);
      const files = await expandPaths(paths, io.cwd);
      const resources = await readResources(files, io.cwd);
      const asked = parseTarget(opts.target);
      // The broker is forager's own engine: it refuses at deploy what it does not run, so the check says so as an error.
      const engine = asked.kind === 'camunda' ? await foragerEngineOf(io, globalFlags(program)) : undefined;
      const target: LintTarget = engine ? { kind: 'forager', version: asked.version } : asked;
      const { reports, problems } = await checkResources(resources, { target, lint: opts.lint });
      const errors = problems.filter((p) => p.severity === 'error');
      const warnings = problems.filter((p) => p.severity === 'warning');
      if (engine && problems.some((p) => p.rule === 'forager/engine')) {
        out.note(`${engine.at} is forager's engine (\`forager engine up\` started it): what it refuses at deploy is an error`);
      }
      if (!out.flags.json) for (const warning of warnings) out.warn(formatProblem(warning));
      if (errors.length > 0) {
        if (!out.flags.json) for (const error of errors) io.err(`forager: ${formatProblem(error)}`);
        const fileCount = new Set(errors.map((e) => e.file)).size;
        throw new CliError(`nothing deployed: ${errors.length} error${errors.length === 1 ? '' : 's'} in ${fileCount} file${fileCount === 1 ? '' : 's'}`, EXIT.BAD_INPUT, { problems });
      }
      const checked = reports.map((r) => ({ file: r.file, kind: r.kind, processes: r.processes.map((p) => p.processId) }));
      if (opts.dryRun) {
        const lines = checked.map((r) => `ok ${r.file}${r.processes.length ? ` (${r.processes.map((p) => `process ${p}`).join(', ')})` : ''}`);
        const checkedFor = target.kind === 'forager' ? `forager's engine${engine ? ` at ${engine.at}` : ''} (Camunda ${target.version}'s rules)` : `Camunda ${target.version}`;
        out.result([...lines, `nothing deployed (--dry-run); checked for ${checkedFor}`], { dryRun: true, target, resources: checked, warnings });
        setExit(EXIT.OK);
        return;
      }
      const deployment = await withBroker(io, globalFlags(program), ({ transport }) => transport.deploy(resources));
      out.result(deployment.resources.map(describeDeployed), { deploymentKey: deployment.key, resources: deployment.resources, warnings });
      setExit(EXIT.OK);
    });
}
