/**
 * bpmnlint with Camunda's compatibility rules (`bpmnlint-plugin-camunda-compat`) for the Camunda version a
 * modeller targets, run on a `bpmn-moddle` tree in Node (no browser). A target is `8.8` (Camunda 8.8, the
 * default), another `8.x` the plug-in knows, or `forager` (Camunda 8.8's rules, and every element forager's
 * own engine refuses at deploy is an error instead of a warning).
 *
 * @example
 *   const target = parseTarget('8.7');
 *   const findings = await lintDefinitions(definitions, target);
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any -- bpmnlint and moddle are untyped */
type Moddle = any;

export const DEFAULT_CAMUNDA_VERSION = '8.8';

export type LintTarget =
  /** Camunda 8.x: its compatibility rules; elements forager's engine refuses at deploy are warnings. */
  | { readonly kind: 'camunda'; readonly version: string }
  /**
   * forager's engine: Camunda `version`'s rules (8.8 for `--target forager`), and elements the engine refuses at
   * deploy are errors. The CLI also uses it when the broker is an engine `forager engine up` started.
   */
  | { readonly kind: 'forager'; readonly version: string };

export class LintTargetError extends Error {
  override readonly name = 'LintTargetError';
  readonly code = 'BAD_LINT_TARGET';
}

interface CompatPlugin {
  configs: Record<string, unknown>;
}

/** The Camunda 8 versions the installed plug-in has rules for, e.g. `['1.0', …, '8.8', '8.9', '8.10']`. */
export function camundaVersions(): string[] {
  const plugin = require('bpmnlint-plugin-camunda-compat') as CompatPlugin;
  return Object.keys(plugin.configs)
    .map((name) => /^camunda-cloud-(\d+)-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}.${m[2]}`);
}

/** Parses `--target`: `8.8`, `8.8.3` (the patch is ignored), `camunda-8.8` or `forager`. */
export function parseTarget(text: string | undefined): LintTarget {
  const raw = (text ?? DEFAULT_CAMUNDA_VERSION).trim().toLowerCase();
  if (raw === 'forager') return { kind: 'forager', version: DEFAULT_CAMUNDA_VERSION };
  const match = /^(?:camunda-?)?(\d+)\.(\d+)(?:\.\d+)?$/.exec(raw);
  const versions = camundaVersions();
  const version = match ? `${match[1]}.${match[2]}` : undefined;
  if (!version || !versions.includes(version)) {
    const eights = versions.filter((v) => v.startsWith('8.'));
    throw new LintTargetError(`--target must be a Camunda version (${eights.join(', ')}) or 'forager', not ${JSON.stringify(text)}`);
  }
  return { kind: 'camunda', version };
}

export interface LintFinding {
  readonly elementId: string;
  readonly kind: string | undefined;
  readonly message: string;
  /** The rule, e.g. `camunda-compat/implementation`. */
  readonly rule: string;
  readonly severity: 'error' | 'warning';
}

interface BpmnlintReport {
  id?: string;
  message: string;
  category: string;
  data?: { node?: { $type?: string } };
}

const linters = new Map<string, { lint(root: Moddle): Promise<Record<string, BpmnlintReport[]>> }>();

function linterFor(version: string) {
  let linter = linters.get(version);
  if (!linter) {
    const { Linter } = require('bpmnlint') as { Linter: new (options: unknown) => { lint(root: Moddle): Promise<Record<string, BpmnlintReport[]>> } };
    const NodeResolver = require('bpmnlint/lib/resolver/node-resolver') as new (options: { require: NodeJS.Require }) => unknown;
    // Rules and plug-ins resolve from forager's own dependencies, whatever the working directory.
    linter = new Linter({ config: { extends: `plugin:camunda-compat/camunda-cloud-${version.replace('.', '-')}` }, resolver: new NodeResolver({ require }) });
    linters.set(version, linter);
  }
  return linter;
}

/** Lints a `bpmn:Definitions` tree; rule failures (a rule that throws) are reported as warnings. */
export async function lintDefinitions(definitions: Moddle, target: LintTarget): Promise<LintFinding[]> {
  const results = await linterFor(target.version).lint(definitions);
  const findings: LintFinding[] = [];
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      if (report.category === 'info' || report.category === 'off') continue;
      findings.push({
        elementId: report.id ?? '',
        kind: report.data?.node?.$type,
        message: report.message,
        rule,
        severity: report.category === 'error' ? 'error' : 'warning',
      });
    }
  }
  return findings;
}
