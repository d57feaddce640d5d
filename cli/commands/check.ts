/**
 * `forager check`: holds the processes in `bpmn/` and the workers in `workers/` to each other. Every job
 * type a process uses needs a worker (exit 1 if one has none); a worker whose type no process uses is a
 * warning, and so is a variable a worker's schema requires that no process using it sets or maps (it
 * would have to come from the start variables or a message).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkResource, formatProblem, parseTarget, type ProcessSummary } from '../../src/bpmn/index.ts';
import type { WorkerDefinition } from '../../src/worker/index.ts';
import { CliError, EXIT } from '../lib/exit.ts';
import type { CliIo } from '../lib/io.ts';
import { loadWorkers } from '../lib/load-workers.ts';
import { output } from '../lib/output.ts';
import { expandPaths, readResources } from './deploy.ts';
import { COMMAND_SUMMARIES } from './summaries.ts';

interface Use {
  readonly file: string;
  readonly processId: string;
  readonly elementId: string;
  readonly inputs: readonly string[];
  readonly sets: readonly string[];
}

/** The variable names a worker's zod object schema cannot do without (those that reject `undefined`). */
export function requiredVariables(definition: WorkerDefinition): string[] {
  const shape = (definition.variables as { shape?: Record<string, { safeParse(value: unknown): { success: boolean } }> } | undefined)?.shape;
  if (!shape || typeof shape !== 'object') return [];
  return Object.entries(shape)
    .filter(([, field]) => typeof field?.safeParse === 'function' && !field.safeParse(undefined).success)
    .map(([name]) => name);
}

function usesByType(processes: readonly ProcessSummary[]) {
  const byType = new Map<string, Use[]>();
  const dynamic: (Use & { expression: string })[] = [];
  for (const process of processes) {
    for (const job of process.jobs) {
      const use = { file: process.file, processId: process.processId, elementId: job.elementId, inputs: job.inputs, sets: process.sets };
      if (job.typeIsExpression) dynamic.push({ ...use, expression: job.type });
      else byType.set(job.type, [...(byType.get(job.type) ?? []), use]);
    }
  }
  return { byType, dynamic };
}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('check')
    .description(COMMAND_SUMMARIES.check)
    .option('--bpmn <dir>', 'where the processes are', 'bpmn')
    .option('--workers <dir>', 'where the workers are (one file per job type)', 'workers')
    .addHelpText(
      'after',
      `
Example:
  $ forager check
  ok: job type 'greet' (hello: greet) has a worker: workers/greet.ts
  error: job type 'charge-card' (order: charge) has no worker in workers/
  forager: 1 job type has no worker`,
    )
    .action(async (opts: { bpmn: string; workers: string }) => {
      const out = output(io, command);
      const files = (await expandPaths([opts.bpmn], io.cwd)).filter((f) => /\.bpmn$/i.test(f));
      const resources = await readResources(files, io.cwd);
      const target = parseTarget(undefined);
      const processes: ProcessSummary[] = [];
      for (const resource of resources) {
        const report = await checkResource(resource.name, resource.content.toString('utf8'), { target, lint: false });
        const errors = report.problems.filter((p) => p.severity === 'error');
        if (errors.length > 0) {
          for (const error of errors) io.err(`forager: ${formatProblem(error)}`);
          throw new CliError(`cannot check ${resource.name}: fix it first (forager deploy --dry-run ${resource.name} says more)`, EXIT.BAD_INPUT, { problems: errors });
        }
        processes.push(...report.processes);
      }
      const workers = await loadWorkers(resolve(io.cwd, opts.workers), io.cwd);
      const { byType, dynamic } = usesByType(processes);
      const workerByType = new Map(workers.map((w) => [w.definition.type, w]));
      const where = (uses: readonly Use[]) => uses.map((u) => `${u.processId}: ${u.elementId}`).join(', ');

      const lines: string[] = [];
      const missing: { type: string; usedBy: Use[] }[] = [];
      const found: { type: string; worker: string; usedBy: Use[] }[] = [];
      for (const [type, uses] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
        const worker = workerByType.get(type);
        if (worker) {
          found.push({ type, worker: worker.file, usedBy: uses });
          lines.push(`ok: job type '${type}' (${where(uses)}) has a worker: ${worker.file}`);
        } else {
          missing.push({ type, usedBy: uses });
          lines.push(`error: job type '${type}' (${where(uses)}, in ${[...new Set(uses.map((u) => u.file))].join(', ')}) has no worker in ${opts.workers}/`);
        }
      }
      const unused = workers.filter((w) => !byType.has(w.definition.type)).map((w) => ({ type: w.definition.type, worker: w.file }));
      for (const w of unused) lines.push(`warning: worker '${w.type}' (${w.worker}) is not used by any process in ${opts.bpmn}/`);
      for (const d of dynamic) lines.push(`warning: job type of ${d.processId}: ${d.elementId} is an expression (${d.expression}): it cannot be checked before it runs`);
      const unprovided: { type: string; worker: string; variable: string }[] = [];
      for (const { type, worker, usedBy } of found) {
        const definition = workerByType.get(type)!.definition;
        for (const variable of requiredVariables(definition)) {
          if (usedBy.some((u) => u.sets.includes(variable) || u.inputs.includes(variable))) continue;
          unprovided.push({ type, worker, variable });
          lines.push(`warning: worker '${type}' (${worker}) requires variable '${variable}', which no process using it sets or maps: it must come with the start variables or a message`);
        }
      }
      // --quiet: the verdicts (ok / error) only, no warnings.
      out.result(out.flags.quiet ? lines.filter((line) => !line.startsWith('warning:')) : lines, {
        ok: missing.length === 0,
        jobTypes: found,
        missingWorkers: missing,
        unusedWorkers: unused,
        dynamicJobTypes: dynamic,
        unprovidedVariables: unprovided,
      });
      if (missing.length > 0) {
        out.note(`${missing.length} job type${missing.length === 1 ? ' has' : 's have'} no worker`);
        setExit(EXIT.RUNTIME);
      } else {
        out.note(`${found.length} job type${found.length === 1 ? '' : 's'}, every one with a worker`);
        setExit(EXIT.OK);
      }
    });
}
