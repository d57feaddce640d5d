/**
 * Checks a resource before it is deployed, without a broker: BPMN parsed with `bpmn-moddle` and Zeebe's
 * extension schema (well-formed XML, known elements, unique ids, at least one executable process, a job type
 * on every job-based task, a name and correlation key on every message catch event), linted with Camunda's
 * compatibility rules for the target version, and held to what forager's engine runs; DMN parsed with
 * `dmn-moddle`; a form must be a JSON object with an `id`. Every problem names the file, the element id and,
 * where it can be found, the line.
 *
 * It also summarises each executable process (its job types, and the variables it sets) for `forager check`.
 *
 * @example
 *   const report = await checkResource('bpmn/order.bpmn', xml, { target: parseTarget('8.8') });
 *   for (const p of report.problems) console.error(formatProblem(p));
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { engineGaps } from './engine-support.ts';
import { lintDefinitions, type LintTarget } from './lint.ts';

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any -- moddle's element tree is untyped */
type Moddle = any;

export type Severity = 'error' | 'warning';

export interface Problem {
  readonly severity: Severity;
  readonly file: string;
  readonly elementId?: string;
  /** The element's type, e.g. `bpmn:ServiceTask`. */
  readonly kind?: string;
  /** 1-based, where it could be found. */
  readonly line?: number;
  readonly message: string;
  /** The lint rule, for findings of bpmnlint. */
  readonly rule?: string;
}

/** A job a process creates: its type (or a FEEL expression for it) and the element. */
export interface JobUse {
  readonly type: string;
  readonly typeIsExpression: boolean;
  readonly elementId: string;
  /** Targets of the element's input mappings: what the job gets beyond the process's variables. */
  readonly inputs: readonly string[];
}

export interface ProcessSummary {
  readonly processId: string;
  readonly file: string;
  readonly jobs: readonly JobUse[];
  /** Variables the process itself sets: output mappings, result variables, multi-instance output collections, … */
  readonly sets: readonly string[];
}

export interface ResourceReport {
  readonly file: string;
  readonly kind: 'bpmn' | 'dmn' | 'form' | 'other';
  readonly problems: readonly Problem[];
  readonly processes: readonly ProcessSummary[];
}

export interface CheckOptions {
  readonly target: LintTarget;
  /** Run bpmnlint (default true). */
  readonly lint?: boolean;
}

export function resourceKind(file: string): ResourceReport['kind'] {
  if (/\.bpmn$/i.test(file)) return 'bpmn';
  if (/\.dmn$/i.test(file)) return 'dmn';
  if (/\.form$/i.test(file)) return 'form';
  return 'other';
}

/** `file:line: id (kind): message`, the way compilers name a place. */
export function formatProblem(problem: Problem): string {
  const where = problem.line !== undefined ? `${problem.file}:${problem.line}` : problem.file;
  const element = problem.elementId ? `element '${problem.elementId}'${problem.kind ? ` (${problem.kind})` : ''}: ` : '';
  const rule = problem.rule ? ` [${problem.rule}]` : '';
  return `${where}: ${problem.severity}: ${element}${problem.message}${rule}`;
}

/** The 1-based line of the start tag carrying `id="…"`, if the text has one. */
export function lineOfId(xml: string, id: string): number | undefined {
  if (!id) return undefined;
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`\\sid\\s*=\\s*["']${escaped}["']`).exec(xml);
  return match ? xml.slice(0, match.index).split('\n').length : undefined;
}

/** The id of the first `<tag …>` on or after `line` (1-based), for elements moddle could not read. */
function idOfTagAt(xml: string, tag: string, line: number | undefined): string | undefined {
  const lines = xml.split('\n');
  const from = lines.slice(0, Math.max(0, (line ?? 1) - 1)).join('\n').length;
  const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`<${escaped}\\b[^>]*?\\sid\\s*=\\s*["']([^"']+)["']`).exec(xml.slice(from));
  return match?.[1];
}

/** moddle's messages carry `line: N` (0-based) and a nested error; returns a 1-based line and a short text. */
function moddleMessage(message: string): { line?: number; text: string } {
  const line = /\bline: (\d+)/.exec(message)?.[1];
  const nested = /nested error: (.*)/.exec(message)?.[1];
  const head = message.split('\n')[0]!.replace(/; this may indicate.*$/, '');
  const text = nested ? `${head}: ${nested}` : head;
  return { line: line === undefined ? undefined : Number(line) + 1, text };
}

let zeebeSchema: unknown;
function zeebe(): unknown {
  zeebeSchema ??= JSON.parse(readFileSync(require.resolve('zeebe-bpmn-moddle/resources/zeebe.json'), 'utf8'));
  return zeebeSchema;
}

const isExpression = (text: string) => text.trim().startsWith('=');
const extension = (el: Moddle, type: string): Moddle | undefined =>
  ((el?.extensionElements?.values ?? []) as Moddle[]).find((v) => v.$type === type);

/** Collects every flow element of a process, subprocesses included. */
function flowElements(container: Moddle, out: Moddle[] = []): Moddle[] {
  for (const el of (container.flowElements ?? []) as Moddle[]) {
    out.push(el);
    if (el.$type === 'bpmn:SubProcess') flowElements(el, out);
  }
  return out;
}

function messageDefinition(el: Moddle): Moddle | undefined {
  if (el.$type === 'bpmn:ReceiveTask') return { messageRef: el.messageRef, $receive: true };
  return ((el.eventDefinitions ?? []) as Moddle[]).find((d) => d.$type === 'bpmn:MessageEventDefinition');
}

/** Is this element's job created from a `zeebe:taskDefinition`? */
function isJobBased(el: Moddle): boolean {
  switch (el.$type) {
    case 'bpmn:ServiceTask':
    case 'bpmn:SendTask':
      return true;
    case 'bpmn:ScriptTask':
      return !extension(el, 'zeebe:Script');
    case 'bpmn:BusinessRuleTask':
      return !extension(el, 'zeebe:CalledDecision');
    case 'bpmn:IntermediateThrowEvent':
    case 'bpmn:EndEvent':
      return messageDefinition(el) !== undefined;
    default:
      return false;
  }
}

function summarise(process: Moddle, file: string, problem: (el: Moddle, message: string) => void, eventSubProcessIds: Set<string>): ProcessSummary {
  const jobs: JobUse[] = [];
  const sets = new Set<string>();
  const elements = flowElements(process);
  for (const el of elements) {
    const io = extension(el, 'zeebe:IoMapping');
    const inputs = ((io?.inputParameters ?? []) as Moddle[]).map((p) => String(p.target ?? '').split('.')[0]!).filter(Boolean);
    for (const p of (io?.outputParameters ?? []) as Moddle[]) if (p.target) sets.add(String(p.target).split('.')[0]!);
    for (const kind of ['zeebe:Script', 'zeebe:CalledDecision']) {
      const result = extension(el, kind)?.resultVariable;
      if (result) sets.add(String(result));
    }
    const loop = extension(el.loopCharacteristics, 'zeebe:LoopCharacteristics');
    if (loop?.outputCollection) sets.add(String(loop.outputCollection));
    if (loop?.inputElement) inputs.push(String(loop.inputElement));

    if (isJobBased(el)) {
      const task = extension(el, 'zeebe:TaskDefinition');
      const type = String(task?.type ?? '').trim();
      if (!task) problem(el, `no job type: add <zeebe:taskDefinition type="…" /> so that a worker can take its jobs`);
      else if (type === '') problem(el, `the job type of <zeebe:taskDefinition> is empty`);
      else jobs.push({ type, typeIsExpression: isExpression(type), elementId: String(el.id), inputs });
    }

    const message = messageDefinition(el);
    const throws = el.$type === 'bpmn:IntermediateThrowEvent' || el.$type === 'bpmn:EndEvent';
    if (message && !throws) {
      const ref = message.messageRef;
      const inEventSubProcess = el.$parent && eventSubProcessIds.has(String(el.$parent.id));
      const needsKey = el.$type !== 'bpmn:StartEvent' || inEventSubProcess;
      if (!ref) problem(el, 'no message: reference a <bpmn:message> with a name');
      else {
        if (String(ref.name ?? '').trim() === '') problem(el, `the message '${ref.id}' has no name`);
        const key = String(extension(ref, 'zeebe:Subscription')?.correlationKey ?? '').trim();
        if (needsKey && key === '') problem(el, `the message '${ref.name || ref.id}' has no correlation key: add <zeebe:subscription correlationKey="=…" /> to it`);
      }
    }
  }
  return { processId: String(process.id), file, jobs, sets: [...sets].sort() };
}

async function checkBpmn(file: string, xml: string, options: CheckOptions): Promise<ResourceReport> {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const add = (severity: Severity, message: string, el?: { id?: string; kind?: string; line?: number; rule?: string }) => {
    const key = `${severity}|${el?.id ?? ''}|${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({
      severity,
      file,
      message,
      ...(el?.id ? { elementId: el.id } : {}),
      ...(el?.kind ? { kind: el.kind } : {}),
      ...(el?.line !== undefined ? { line: el.line } : el?.id ? { line: lineOfId(xml, el.id) } : {}),
      ...(el?.rule ? { rule: el.rule } : {}),
    });
  };

  const { BpmnModdle } = await import('bpmn-moddle');
  const moddle = new BpmnModdle({ zeebe: zeebe() } as Record<string, unknown>);
  let definitions: Moddle;
  try {
    const parsed = await moddle.fromXML(xml, 'bpmn:Definitions');
    const unknownIds = new Set<string>();
    // moddle reports unresolved references before the elements it could not read: look at those first.
    (parsed.warnings as { message: string }[]).sort((a, b) => Number(/^unresolved/.test(a.message)) - Number(/^unresolved/.test(b.message)));
    definitions = parsed.rootElement;
    for (const warning of parsed.warnings as { message: string; element?: Moddle; property?: string; value?: unknown }[]) {
      const { line, text } = moddleMessage(warning.message);
      const reference = /^unresolved reference <([^>]+)>/.exec(text)?.[1];
      // A reference to an element already reported as unknown says nothing new.
      if (reference !== undefined && unknownIds.has(reference)) continue;
      // Zeebe validates the process, not its drawing: a diagram element naming something not in the file
      // (common after copying a diagram) deploys. A warning: the drawing is out of step with the process.
      if (reference !== undefined && DIAGRAM_TYPE.test(String(warning.element?.$type ?? ''))) {
        const property = String(warning.property ?? 'a reference').replace(/^bpmndi:/, '');
        add('warning', `diagram only: its ${property} '${reference}' names no element (the process still deploys: the diagram is not executed)`, {
          id: warning.element?.id ? String(warning.element.id) : undefined,
          kind: warning.element?.$type,
        });
        continue;
      }
      if (reference !== undefined && warning.element?.id) {
        const property = String(warning.property ?? 'a reference').replace(/^bpmn:/, '');
        add('error', `its ${property} '${reference}' names no element`, { id: String(warning.element.id), kind: warning.element.$type });
        continue;
      }
      // An attribute moddle does not know is ignored by Zeebe too; an element it does not know is not.
      const severity: Severity = /^unknown attribute/.test(text) ? 'warning' : 'error';
      const duplicate = /duplicate ID <([^>]+)>/.exec(text)?.[1];
      const unknown = /^unparsable content <([^>\s]+)> detected: unknown type/.exec(text)?.[1];
      if (duplicate) add(severity, `the id '${duplicate}' is used more than once`, { id: duplicate, line });
      else if (unknown) {
        const id = idOfTagAt(xml, unknown, line);
        if (id) unknownIds.add(id);
        add(severity, `unknown element <${unknown}>: not part of BPMN 2.0 or Zeebe's extensions`, { id, line });
      }
      else add(severity, text, { line });
    }
  } catch (error) {
    const { line, text } = moddleMessage((error as Error).message);
    add('error', `not well-formed XML: ${text}`, { line });
    return { file, kind: 'bpmn', problems, processes: [] };
  }

  const roots = (definitions?.rootElements ?? []) as Moddle[];
  const executable = roots.filter((r) => r.$type === 'bpmn:Process' && r.isExecutable === true);
  if (executable.length === 0) {
    const processes = roots.filter((r) => r.$type === 'bpmn:Process');
    const hint = processes.length > 0 ? `: set isExecutable="true" on ${processes.map((p) => `'${p.id}'`).join(', ')}` : '';
    add('error', `no executable process${hint}`, { id: processes[0]?.id, kind: processes[0] ? 'bpmn:Process' : undefined });
  }

  const eventSubProcessIds = new Set<string>();
  for (const process of executable) {
    for (const el of flowElements(process)) if (el.$type === 'bpmn:SubProcess' && el.triggeredByEvent) eventSubProcessIds.add(String(el.id));
  }
  const processes = executable.map((process) =>
    summarise(process, file, (el, message) => add('error', message, { id: String(el.id), kind: String(el.$type) }), eventSubProcessIds),
  );

  // Elements with a problem of their own already: a lint finding on them would say the same again.
  const named = new Set(problems.filter((p) => p.severity === 'error' && p.elementId).map((p) => p.elementId));
  if (options.lint !== false && executable.length > 0) {
    for (const finding of await lintDrawable(definitions, options.target)) {
      if (named.has(finding.elementId)) continue;
      add(finding.severity, finding.message.replace(/^./, (c) => c.toLowerCase()), { id: finding.elementId, kind: finding.kind, rule: finding.rule });
    }
  }

  const gapSeverity: Severity = options.target.kind === 'forager' ? 'error' : 'warning';
  for (const gap of engineGaps(definitions)) {
    add(gapSeverity, `forager's engine refuses this at deploy: ${gap.reason}`, { id: gap.elementId, kind: gap.kind, rule: 'forager/engine' });
  }
  return { file, kind: 'bpmn', problems, processes };
}

/** Diagram interchange (BPMN DI and the DD packages it builds on): planes, shapes, edges, labels. */
const DIAGRAM_TYPE = /^(bpmndi|di|dc):/;

/**
 * Lints `definitions`, leaving out the diagrams whose plane names no element (warned of above): camunda-compat's
 * rules read a plane's bpmnElement unchecked, and every one of them would throw on such a plane.
 */
async function lintDrawable(definitions: Moddle, target: LintTarget) {
  const diagrams = (definitions.diagrams ?? []) as Moddle[];
  const drawable = diagrams.filter((d) => d.plane?.bpmnElement);
  if (drawable.length === diagrams.length) return lintDefinitions(definitions, target);
  definitions.diagrams = drawable;
  try {
    return await lintDefinitions(definitions, target);
  } finally {
    definitions.diagrams = diagrams;
  }
}

async function checkDmn(file: string, xml: string): Promise<ResourceReport> {
  const problems: Problem[] = [];
  const { DmnModdle } = await import('dmn-moddle');
  const moddle = new DmnModdle();
  try {
    const parsed = await moddle.fromXML(xml, 'dmn:Definitions');
    for (const warning of parsed.warnings as { message: string }[]) {
      const { line, text } = moddleMessage(warning.message);
      if (/^unknown attribute/.test(text)) continue;
      problems.push({ severity: 'error', file, message: text, ...(line !== undefined ? { line } : {}) });
    }
  } catch (error) {
    const { line, text } = moddleMessage((error as Error).message);
    problems.push({ severity: 'error', file, message: `not well-formed XML: ${text}`, ...(line !== undefined ? { line } : {}) });
  }
  return { file, kind: 'dmn', problems, processes: [] };
}

function checkForm(file: string, text: string, locate: (text: string) => { line: number; column: number; reason: string } | undefined): ResourceReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const where = locate(text);
    const message = where ? `not valid JSON: ${where.reason} at line ${where.line}, column ${where.column}` : `not valid JSON: ${(error as Error).message}`;
    return { file, kind: 'form', problems: [{ severity: 'error', file, message, ...(where ? { line: where.line } : {}) }], processes: [] };
  }
  const id = (value as { id?: unknown } | null)?.id;
  const problems: Problem[] =
    typeof value !== 'object' || value === null || Array.isArray(value)
      ? [{ severity: 'error', file, message: 'a form must be a JSON object' }]
      : typeof id !== 'string' || id.trim() === ''
        ? [{ severity: 'error', file, message: 'a form needs an "id" (a non-empty string)' }]
        : [];
  return { file, kind: 'form', problems, processes: [] };
}

export interface ResourceCheckOptions extends CheckOptions {
  /** Finds where a JSON text goes wrong (for forms). */
  readonly locateJsonError?: (text: string) => { line: number; column: number; reason: string } | undefined;
}

/** Checks one resource by its file name's extension (`.bpmn`, `.dmn`, `.form`); other files pass unchecked. */
export async function checkResource(file: string, content: string, options: ResourceCheckOptions): Promise<ResourceReport> {
  switch (resourceKind(file)) {
    case 'bpmn':
      return checkBpmn(file, content, options);
    case 'dmn':
      return checkDmn(file, content);
    case 'form':
      return checkForm(file, content, options.locateJsonError ?? (() => undefined));
    default:
      return { file, kind: 'other', problems: [], processes: [] };
  }
}
