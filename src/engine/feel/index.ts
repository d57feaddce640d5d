// FEEL for the engine, with Zeebe 8.8 semantics, on top of feelin.
//
// - feelin evaluates; Camunda's extensions it lacks come from ./functions.ts as context entries.
// - Missing variables evaluate to null with a NO_VARIABLE_FOUND warning; unknown functions to null with
//   NO_FUNCTION_FOUND, as in FEEL-Scala 1.17+. feelin's warnings are re-worded to FEEL-Scala's texts,
//   since they end up in incident messages.
// - A failed assert() fails the evaluation: "Assertion failure on evaluate the expression ...".
// - Expected-type helpers produce Zeebe's incident texts (ExpressionProcessor), with the warnings
//   appended the way Zeebe does.
//
// Speed: feelin re-parses on every evaluation and cannot take a parsed tree, so per source text we cache
// an analysis (syntax check, call sites, which extensions it uses, a fast plan for plain names, paths
// and literals), and hand feelin a context holding only the variables the text can refer to.

import {
  evaluate as feelinEvaluate,
  FeelDateTime,
  parseExpression,
  SyntaxError as FeelSyntaxError,
  type FeelFunction,
} from 'feelin';
import { comparisonFunctions, evaluationState, extensionFunctions } from './functions.ts';
import { formatDateTime, formatValue, isPlainObject, resultTypeOf, toPlain, type ZeebeResultType } from './values.ts';

export type { ZeebeResultType } from './values.ts';

export type FeelResult = { ok: true; value: unknown; warnings: string[] } | { ok: false; message: string };

/** A warning as FEEL-Scala reports it: Zeebe prints it as `[TYPE] message`. */
interface Warning {
  type: string;
  message: string;
}

/** An evaluation before the result is turned into plain JSON: `value` is feelin's value. */
type Outcome = { ok: true; value: unknown; warnings: Warning[] } | { ok: false; message: string };

const DIALECT = 'camunda';
const CACHE_LIMIT = 4096;

// ── analysis (cached per source text) ────────────────────────────────────────────────────────────

interface CallSite {
  /** Span of the whole invocation, as in feelin's warning positions. */
  from: number;
  to: number;
  /** Span and normalized name of the callee when it is a plain name (not a path or literal). */
  calleeFrom: number;
  calleeTo: number;
  name: string | undefined;
  /** Number of positional arguments, or the names of named ones. */
  positional: number;
  named: string[] | undefined;
}

type FastPlan = { kind: 'literal'; value: unknown } | { kind: 'path'; root: string; keys: string[] };

interface Analysis {
  syntaxError: string | undefined;
  /** Invocations by start offset. */
  calls: Map<number, CallSite>;
  /** Invocations whose callee is a plain name: candidates for a clash with a variable of that name. */
  namedCalls: CallSite[];
  /** Extension functions the text mentions, to put into the evaluation context. */
  extensions: [string, FeelFunction][];
  fast: FastPlan | undefined;
  /** The text with comparisons turned into calls of FEEL-Scala-like comparison functions, if any. */
  rewritten: { text: string; functions: [string, FeelFunction][] } | undefined;
}

const analyses = new Map<string, Analysis>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, value);
  return value;
}

// The parser must know multi-word function names such as `get or else` (which contains a keyword).
const PARSE_CONTEXT: Record<string, unknown> = Object.fromEntries(extensionFunctions);

type Tree = ReturnType<typeof parseExpression>;
type TreeNode = Tree['topNode'];

function children(node: TreeNode): TreeNode[] {
  const out: TreeNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (!child.type.isSkipped) out.push(child);
  }
  return out;
}

function nameOf(node: TreeNode, text: string): string {
  const parts = children(node).map((part) => {
    const raw = text.slice(part.from, part.to);
    return part.name === 'BacktickIdentifier' ? raw.replace(/`/g, '') : raw;
  });
  return (parts.length > 0 ? parts.join(' ') : text.slice(node.from, node.to)).trim().replace(/\s+/g, ' ');
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before[before.length - 1] ?? '').length + 1}`;
}

/** Describes the first syntax error like feelin does (its SyntaxError), with a line:column. */
function describeSyntaxError(error: TreeNode, text: string): string {
  const parent = error.parent;
  const parentName = parent?.name ?? 'Expression';
  if (error.from !== error.to) {
    return `Unrecognized token in <${parentName}> at ${lineColumn(text, error.from)}`;
  }
  for (let node: TreeNode | null = error; node; node = node.parent) {
    const next = node.nextSibling;
    if (next) return `Unrecognized token <${next.name}> in <${parentName}> at ${lineColumn(text, next.from)}`;
  }
  const unfinished = parent?.enterUnfinishedNodesBefore(error.to);
  return `Incomplete <${(unfinished ?? parent)?.name ?? 'Expression'}> at ${lineColumn(text, error.from)}`;
}

const FEEL_KEYWORDS = new Set([
  'true', 'false', 'null', 'for', 'in', 'return', 'if', 'then', 'else', 'some', 'every', 'satisfies',
  'and', 'or', 'between', 'instance', 'of', 'not', 'function', 'external',
]);
const PATH = /^\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*$/;
const NUMBER = /^\s*(-?\d+(?:\.\d+)?)\s*$/;
const STRING = /^\s*"([^"\\]*)"\s*$/;

function fastPlan(text: string): FastPlan | undefined {
  const number = NUMBER.exec(text);
  if (number?.[1] !== undefined) return { kind: 'literal', value: Number(number[1]) };
  const string = STRING.exec(text);
  if (string?.[1] !== undefined) return { kind: 'literal', value: string[1] };
  const path = PATH.exec(text);
  if (!path?.[1]) return undefined;
  const root = path[1];
  if (root === 'true' || root === 'false' || root === 'null') {
    return path[2] ? undefined : { kind: 'literal', value: root === 'null' ? null : root === 'true' };
  }
  const keys = (path[2] ?? '').split('.').map((key) => key.trim()).filter((key) => key !== '');
  if (FEEL_KEYWORDS.has(root) || keys.some((key) => FEEL_KEYWORDS.has(key))) return undefined;
  return { kind: 'path', root, keys };
}

function analyse(text: string): Analysis {
  const cached = analyses.get(text);
  if (cached) return cached;

  const analysis: Analysis = {
    syntaxError: undefined,
    calls: new Map(),
    namedCalls: [],
    extensions: [],
    fast: undefined,
    rewritten: undefined,
  };
  let tree: Tree;
  try {
    tree = parseExpression(text, PARSE_CONTEXT, DIALECT);
  } catch (error) {
    analysis.syntaxError = `failed to parse expression '${text}': ${error instanceof Error ? error.message : String(error)}`;
    return remember(analyses, text, analysis);
  }

  const mentioned = new Set<string>();
  let syntaxError: TreeNode | undefined;
  let comparisons = false;
  tree.iterate({
    enter(ref) {
      if (syntaxError) return false;
      if (ref.type.isError) {
        syntaxError = ref.node;
        return false;
      }
      if (ref.name === 'Comparison' && comparisonOf(ref.node, text, COMPARISON_NAMES)) {
        comparisons = true;
      } else if (ref.name === 'VariableName') {
        mentioned.add(nameOf(ref.node, text));
      } else if (ref.name === 'FunctionInvocation') {
        const [callee, ...rest] = children(ref.node);
        if (!callee) return undefined;
        const parameters = rest.find((node) => node.name === 'PositionalParameters' || node.name === 'NamedParameters');
        const site: CallSite = {
          from: ref.from,
          to: ref.to,
          calleeFrom: callee.from,
          calleeTo: callee.to,
          name: callee.name === 'VariableName' ? nameOf(callee, text) : undefined,
          positional: parameters?.name === 'PositionalParameters' ? children(parameters).length : 0,
          named:
            parameters?.name === 'NamedParameters'
              ? children(parameters).map((parameter) => {
                  const name = parameter.firstChild;
                  return name ? nameOf(name, text) : '';
                })
              : undefined,
        };
        analysis.calls.set(site.from, site);
        if (site.name !== undefined) analysis.namedCalls.push(site);
      }
      return undefined;
    },
  });

  if (syntaxError) {
    analysis.syntaxError = `failed to parse expression '${text}': ${describeSyntaxError(syntaxError, text)}`;
    return remember(analyses, text, analysis);
  }
  for (const name of mentioned) {
    const fn = extensionFunctions.get(name);
    if (fn) analysis.extensions.push([name, fn]);
  }
  analysis.fast = fastPlan(text);
  if (comparisons) {
    // Prefer the borrowed builtin names (see below) unless the text uses one of them itself.
    const names = Object.values(COMPARISON_NAMES).some((name) => text.includes(name)) ? FALLBACK_COMPARISON_NAMES : COMPARISON_NAMES;
    const used = new Set<string>();
    const rewritten = render(tree.topNode, text, names, used);
    analysis.rewritten = {
      text: rewritten,
      functions: [...used].map((op) => [names[op] as string, comparisonFunctions[op] as FeelFunction]),
    };
  }
  return remember(analyses, text, analysis);
}

// ── comparisons ──────────────────────────────────────────────────────────────────────────────────
//
// `a < b` becomes `before((a), (b))`, a call of a FEEL-Scala-like comparison (./functions.ts) that reports
// NOT_COMPARABLE for values of different types. The function is bound, in the evaluation context, to the
// name of one of the range built-ins that Zeebe models hardly use: feelin scans all its built-ins
// (~40 µs) for every name that is not one, and a context entry shadows a built-in. A text that uses one
// of those names itself gets `__feel_lt`-style names instead. Comparisons inside a filter
// (`items[price > 5]`) stay: feelin evaluates a filter per item only when it is a comparison itself.

type ComparisonNames = Readonly<Record<string, string>>;

const COMPARISON_NAMES: ComparisonNames = {
  '<': 'before',
  '<=': 'starts',
  '>': 'after',
  '>=': 'finishes',
  '=': 'coincides',
  '!=': 'overlaps',
};
const FALLBACK_COMPARISON_NAMES: ComparisonNames = {
  '<': '__feel_lt',
  '<=': '__feel_le',
  '>': '__feel_gt',
  '>=': '__feel_ge',
  '=': '__feel_eq',
  '!=': '__feel_ne',
};

interface ComparisonParts {
  left: TreeNode;
  right: TreeNode;
  op: string;
  fn: string;
}

function insideFilter(node: TreeNode): boolean {
  for (let child: TreeNode = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (parent.name === 'FilterExpression' && parent.firstChild && child.from > parent.firstChild.from) return true;
  }
  return false;
}

function comparisonOf(node: TreeNode, text: string, names: ComparisonNames): ComparisonParts | undefined {
  const [left, op, right, ...rest] = children(node);
  if (!left || !op || !right || rest.length > 0 || op.name !== 'CompareOp') return undefined;
  const operator = text.slice(op.from, op.to).trim();
  const fn = names[operator];
  if (fn === undefined || insideFilter(node)) return undefined;
  return { left, right, op: operator, fn };
}

/** The source of `node`, with comparisons (at any depth) turned into function calls. */
function render(node: TreeNode, text: string, names: ComparisonNames, used: Set<string>): string {
  if (node.name === 'Comparison') {
    const parts = comparisonOf(node, text, names);
    if (parts) {
      used.add(parts.op);
      return `${parts.fn}((${render(parts.left, text, names, used)}), (${render(parts.right, text, names, used)}))`;
    }
  }
  let out = '';
  let at = node.from;
  for (let child = node.firstChild; child; child = child.nextSibling) {
    out += text.slice(at, child.from) + render(child, text, names, used);
    at = child.to;
  }
  return out + text.slice(at, node.to);
}

// ── function names that clash with variables ─────────────────────────────────────────────────────
//
// FEEL-Scala keeps functions and variables apart: `count(items)` calls the function even when a
// variable `count` exists. feelin looks a callee up in the context first, so for such a clash the
// callee is renamed to an alias bound to the function.

const builtinValues = new Map<string, unknown>();

function functionNamed(name: string): unknown {
  const extension = extensionFunctions.get(name);
  if (extension) return extension;
  if (!builtinValues.has(name)) {
    let value: unknown = undefined;
    try {
      const result = feelinEvaluate(name, {}, DIALECT);
      const found: unknown = result.value;
      const callable = typeof found === 'function' || (found !== null && typeof found === 'object' && 'parameterNames' in found);
      if (result.warnings.length === 0 && callable) value = found;
    } catch {
      // not a function name
    }
    builtinValues.set(name, value);
  }
  return builtinValues.get(name);
}

interface Rewrite {
  text: string;
  aliases: [string, unknown][];
}

const rewrites = new Map<string, Rewrite>();

function rewriteClashes(text: string, sites: CallSite[]): Rewrite {
  const names = [...new Set(sites.map((site) => site.name as string))].sort();
  const key = text + '\u0000' + names.join('\u0000');
  const cached = rewrites.get(key);
  if (cached) return cached;
  const alias = (name: string): string => `__feel_function_${names.indexOf(name)}`;
  let rewritten = text;
  for (const site of [...sites].sort((a, b) => b.calleeFrom - a.calleeFrom)) {
    rewritten = rewritten.slice(0, site.calleeFrom) + alias(site.name as string) + rewritten.slice(site.calleeTo);
  }
  return remember(rewrites, key, { text: rewritten, aliases: names.map((name) => [alias(name), functionNamed(name)]) });
}

// ── warnings: feelin's texts → FEEL-Scala's ──────────────────────────────────────────────────────

interface FeelinWarning {
  type: string;
  message: string;
  position: { from: number; to: number };
  details?: { template?: string; values?: Record<string, unknown> };
}

function noFunctionMessage(site: CallSite): string {
  return site.named !== undefined
    ? `No function found with name '${site.name ?? ''}' and parameters: ${site.named.join(',')}`
    : `No function found with name '${site.name ?? ''}' and ${site.positional} parameters`;
}

function availableKeys(target: unknown): string {
  const keys = isPlainObject(target) ? Object.keys(target) : [];
  return keys.length === 0 ? 'The context is empty' : `Available keys: ${keys.map((key) => `'${key}'`).join(', ')}`;
}

const ARITHMETIC: Record<string, (left: string, right: string) => string> = {
  add: (left, right) => `Can't add '${right}' to '${left}'`,
  subtract: (left, right) => `Can't subtract '${right}' from '${left}'`,
  multiply: (left, right) => `Can't multiply '${left}' by '${right}'`,
  divide: (left, right) => `Can't divide '${left}' by '${right}'`,
};

function translateWarnings(raw: readonly FeelinWarning[], analysis: Analysis, text: string): Warning[] {
  const out: (Warning & { from?: number; to?: number; variable?: boolean })[] = [];
  // end of the last `x` (missing variable) or `.y` on its null result: FEEL-Scala reports a missing
  // variable followed by a path only once.
  let chainEnd: number | undefined;
  for (const warning of raw) {
    const template = warning.details?.template ?? '';
    const values = warning.details?.values ?? {};
    const { from, to } = warning.position;
    const site = analysis.calls.get(from);
    let keepChain = false;
    switch (warning.type) {
      case 'NO_VARIABLE_FOUND': {
        const name = /^Variable '(.*)' not found$/s.exec(template)?.[1];
        out.push({
          type: warning.type,
          message: name !== undefined ? `No variable found with name '${name}'` : warning.message,
          from,
          to,
          variable: true,
        });
        chainEnd = to;
        keepChain = true;
        break;
      }
      case 'NO_FUNCTION_FOUND':
      case 'FUNCTION_INVOCATION_FAILURE': {
        const notCallable = template === 'Cannot invoke {target}';
        const mismatch = template === 'Cannot invoke {target} with parameters {params}';
        if (site && (notCallable || mismatch)) {
          // FEEL-Scala reports an unknown function once, not as a missing variable plus a failed call.
          const previous = out[out.length - 1];
          if (previous?.variable && previous.from === site.calleeFrom && previous.to === site.calleeTo) out.pop();
          out.push({ type: 'NO_FUNCTION_FOUND', message: noFunctionMessage(site) });
        } else {
          out.push({ type: warning.type, message: warning.message });
        }
        break;
      }
      case 'INVALID_ARGUMENTS':
        out.push({
          type: 'FUNCTION_INVOCATION_FAILURE',
          message: site?.name !== undefined ? `Failed to invoke function '${site.name}': ${warning.message}` : warning.message,
        });
        break;
      case 'NO_CONTEXT_ENTRY_FOUND': {
        const key = /^Key '(.*)' not found in \{target\}$/s.exec(template)?.[1];
        out.push({
          type: warning.type,
          message:
            key !== undefined ? `No context entry found with key '${key}'. ${availableKeys(values.target)}` : warning.message,
        });
        break;
      }
      case 'NO_PROPERTY_FOUND': {
        const key = /^Property '(.*)' not found in \{target\}$/s.exec(template)?.[1];
        if (key === undefined) {
          out.push({ type: warning.type, message: warning.message });
        } else if (values.target == null) {
          const afterChain = chainEnd !== undefined && /^\s*\.\s*$/.test(text.slice(chainEnd, from));
          if (afterChain) {
            chainEnd = to;
            keepChain = true;
          } else {
            out.push({ type: 'NO_CONTEXT_ENTRY_FOUND', message: `No context entry found with key '${key}'. The context is null` });
          }
        } else {
          out.push({
            type: warning.type,
            message: `No property found with name '${key}' of value '${formatValue(values.target)}'. Available properties: `,
          });
        }
        break;
      }
      case 'INVALID_TYPE': {
        const op = /^Can't (\w+) \{right\} to \{left\}$/.exec(template)?.[1];
        const phrase = op !== undefined ? ARITHMETIC[op] : undefined;
        out.push({
          type: warning.type,
          message: phrase ? phrase(formatValue(values.left), formatValue(values.right)) : warning.message,
        });
        break;
      }
      default:
        out.push({ type: warning.type, message: warning.message });
    }
    if (!keepChain) chainEnd = undefined;
  }
  return out.map(({ type, message }) => ({ type, message }));
}

function formatWarnings(warnings: readonly Warning[]): string[] {
  return warnings.map((warning) => `[${warning.type}] ${warning.message}`);
}

function withWarnings(message: string, warnings: readonly Warning[]): string {
  return appendWarnings(message, formatWarnings(warnings));
}

// ── evaluation ───────────────────────────────────────────────────────────────────────────────────

function runFast(plan: FastPlan, variables: Record<string, unknown>): Outcome | undefined {
  if (plan.kind === 'literal') return { ok: true, value: plan.value, warnings: [] };
  // A missing root goes the slow way: the name may be a function, and feelin reports it.
  if (!Object.hasOwn(variables, plan.root)) return undefined;
  const warnings: Warning[] = [];
  let current: unknown = variables[plan.root];
  for (const key of plan.keys) {
    if (current == null) {
      warnings.push({ type: 'NO_CONTEXT_ENTRY_FOUND', message: `No context entry found with key '${key}'. The context is null` });
      current = null;
    } else if (!isPlainObject(current)) {
      return undefined; // lists (projection), strings, ...: feelin's semantics
    } else if (Object.hasOwn(current, key)) {
      current = current[key];
    } else {
      warnings.push({ type: 'NO_CONTEXT_ENTRY_FOUND', message: `No context entry found with key '${key}'. ${availableKeys(current)}` });
      current = null;
    }
  }
  return { ok: true, value: current ?? null, warnings };
}

function run(expression: string, variables: Record<string, unknown>, now: number): Outcome {
  const analysis = analyse(expression);
  if (analysis.syntaxError !== undefined) return { ok: false, message: analysis.syntaxError };
  if (analysis.fast) {
    const fast = runFast(analysis.fast, variables);
    if (fast) return fast;
  }

  let text = expression;
  let textAnalysis = analysis;
  const entries: [string, unknown][] = [];
  const comparisonNames = new Set<string>();
  if (analysis.rewritten) {
    const rewritten = analyse(analysis.rewritten.text);
    // a rewrite is well-formed by construction; should it not be, feelin's own comparisons are kept
    if (rewritten.syntaxError === undefined) {
      text = analysis.rewritten.text;
      textAnalysis = rewritten;
      entries.push(...analysis.rewritten.functions);
      for (const [name] of analysis.rewritten.functions) comparisonNames.add(name);
    }
  }
  // The borrowed comparison names win over the range functions of the same name (the text never calls those: see analyse).
  entries.push(...textAnalysis.extensions.filter(([name]) => !comparisonNames.has(name)));
  const clashes = textAnalysis.namedCalls.filter(
    (site) =>
      site.name !== undefined &&
      !comparisonNames.has(site.name) &&
      Object.hasOwn(variables, site.name) &&
      functionNamed(site.name) !== undefined,
  );
  if (clashes.length > 0) {
    const rewrite = rewriteClashes(text, clashes);
    text = rewrite.text;
    textAnalysis = analyse(text);
    entries.push(...rewrite.aliases);
  }
  // Only the variables the text can name: feelin's parser indexes every context key, and its
  // evaluation copies the whole context.
  for (const key of Object.keys(variables)) {
    if (expression.includes(key)) entries.push([key, variables[key]]);
  }

  evaluationState.now = now;
  evaluationState.assertCause = undefined;
  evaluationState.sideWarnings = [];
  let result: { value: unknown; warnings: FeelinWarning[] };
  try {
    result = feelinEvaluate(text, Object.fromEntries(entries), DIALECT) as typeof result;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof FeelSyntaxError) return { ok: false, message: `failed to parse expression '${expression}': ${reason}` };
    return { ok: false, message: `failed to evaluate expression '${expression}': ${reason}` };
  }
  const warnings = [...translateWarnings(result.warnings, textAnalysis, text), ...evaluationState.sideWarnings];
  const cause = evaluationState.assertCause;
  if (cause !== undefined) {
    if (!warnings.some((warning) => warning.type === 'ASSERT_FAILURE')) warnings.push({ type: 'ASSERT_FAILURE', message: cause });
    return { ok: false, message: withWarnings(`Assertion failure on evaluate the expression '${expression}': ${cause}`, warnings) };
  }
  return { ok: true, value: result.value, warnings };
}

// ── API ──────────────────────────────────────────────────────────────────────────────────────────

/** Parses once and caches by source text. Returns undefined when the syntax is fine, else a message like Zeebe's. */
export function checkFeelSyntax(expression: string): string | undefined {
  return analyse(expression).syntaxError;
}

/** Evaluates an expression (WITHOUT the leading '='). `now` is the engine clock's epoch ms, used by now()/today(). */
export function evaluateFeel(expression: string, variables: Record<string, unknown>, now: number): FeelResult {
  const outcome = run(expression, variables, now);
  if (!outcome.ok) return outcome;
  return {
    ok: true,
    value: toPlain(outcome.value),
    warnings: formatWarnings(outcome.warnings),
  };
}

/**
 * Static-or-expression values as in zeebe:taskDefinition type/retries: a value starting with '=' is FEEL,
 * else a literal string. As in Zeebe (`=(.+)`), a lone '=' is a literal.
 */
export function isExpression(value: string | undefined): boolean {
  return typeof value === 'string' && value.length > 1 && value.startsWith('=');
}

/**
 * Appends evaluation warnings (as in FeelResult.warnings) to an incident message the way Zeebe does,
 * for messages the engine builds itself from an `ok` result.
 */
export function appendWarnings(message: string, warnings: readonly string[]): string {
  return warnings.length === 0 ? message : `${message} The evaluation reported the following warnings:\n${warnings.join('\n')}`;
}

/** Drops the leading '=' (and whitespace around it). */
export function stripExpression(value: string): string {
  return value.replace(/^\s*=\s*/, '');
}

type Typed<T> = { ok: true; value: T } | { ok: false; message: string };

function expectType<T>(
  expression: string,
  variables: Record<string, unknown>,
  now: number,
  expected: ZeebeResultType,
  convert: (value: unknown) => T,
): Typed<T> {
  const outcome = run(expression, variables, now);
  if (!outcome.ok) return outcome;
  const actual = resultTypeOf(outcome.value);
  if (actual !== expected) {
    return {
      ok: false,
      message: withWarnings(`Expected result of the expression '${expression}' to be '${expected}', but was '${actual}'.`, outcome.warnings),
    };
  }
  return { ok: true, value: convert(outcome.value) };
}

/** Zeebe's evaluateBooleanExpression: conditions. */
export function evaluateBoolean(expression: string, variables: Record<string, unknown>, now: number): Typed<boolean> {
  return expectType(expression, variables, now, 'BOOLEAN', (value) => value as boolean);
}

/** Zeebe's evaluateStringExpression: job types, message names, element ids, ... */
export function evaluateString(expression: string, variables: Record<string, unknown>, now: number): Typed<string> {
  return expectType(expression, variables, now, 'STRING', (value) => value as string);
}

/** Zeebe's evaluateLongExpression / evaluateIntegerExpression checks the type: retries, priorities, ... */
export function evaluateNumber(expression: string, variables: Record<string, unknown>, now: number): Typed<number> {
  return expectType(expression, variables, now, 'NUMBER', (value) => value as number);
}

/** Zeebe's evaluateArrayExpression: multi-instance input collections, ... */
export function evaluateArray(expression: string, variables: Record<string, unknown>, now: number): Typed<unknown[]> {
  return expectType(expression, variables, now, 'ARRAY', (value) => toPlain(value) as unknown[]);
}

/** Zeebe's evaluateVariableMappingExpression: variable mappings that must produce an object. */
export function evaluateContext(
  expression: string,
  variables: Record<string, unknown>,
  now: number,
): Typed<Record<string, unknown>> {
  return expectType(expression, variables, now, 'OBJECT', (value) => toPlain(value) as Record<string, unknown>);
}

/**
 * Zeebe's evaluateMessageCorrelationKeyExpression: a string, or a number turned into a string the way
 * Java's `Long.toString(number.longValue())` does (the fraction is dropped).
 */
export function evaluateStringOrNumberAsString(
  expression: string,
  variables: Record<string, unknown>,
  now: number,
): Typed<string> {
  const outcome = run(expression, variables, now);
  if (!outcome.ok) return outcome;
  const value = outcome.value;
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: BigInt(Math.trunc(value)).toString() };
  return {
    ok: false,
    message: withWarnings(
      `Failed to extract the correlation key for '${expression}': The value must be either a string or a number, but was '${resultTypeOf(value)}'.`,
      outcome.warnings,
    ),
  };
}

/** What a timer or other temporal attribute accepts: Zeebe's DATE_TIME / DURATION / PERIOD / STRING (and NULL). */
export type TemporalType = 'NULL' | 'DATE_TIME' | 'DURATION' | 'PERIOD' | 'STRING';

/**
 * Zeebe's evaluateDateTimeExpression / evaluateIntervalExpression type check: the result must have one
 * of the `accepted` types, else "Expected result of the expression 'e' to be one of '[DATE_TIME, STRING]',
 * but was 'NUMBER'." The value comes back as Zeebe would print it: a zoned date and time in ISO offset
 * form (a local one is taken as UTC), a duration or period in ISO 8601, or the string itself; the engine
 * parses it and reports format errors itself ("Invalid date-time format ...").
 */
export function evaluateTemporal(
  expression: string,
  variables: Record<string, unknown>,
  now: number,
  accepted: readonly TemporalType[],
): { ok: true; type: TemporalType; value: string | null; warnings: string[] } | { ok: false; message: string } {
  const outcome = run(expression, variables, now);
  if (!outcome.ok) return outcome;
  const actual = resultTypeOf(outcome.value);
  const type = accepted.find((candidate) => candidate === actual);
  if (type === undefined) {
    return {
      ok: false,
      message: withWarnings(
        `Expected result of the expression '${expression}' to be one of '[${accepted.join(', ')}]', but was '${actual}'.`,
        outcome.warnings,
      ),
    };
  }
  const value = outcome.value;
  const text =
    value instanceof FeelDateTime
      ? formatDateTime(value) + (value.zone == null ? 'Z' : '')
      : (toPlain(value) as string | null);
  return { ok: true, type, value: text, warnings: formatWarnings(outcome.warnings) };
}
