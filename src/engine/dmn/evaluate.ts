/**
 * Evaluates a decision of a parsed DRG with FEEL, as DMN-Scala (Zeebe's decision engine) does:
 * - required decisions first (depth first, in the order of the information requirements); each result is
 *   a variable named after the required decision's variable (else its id) for the decisions that need it;
 * - decision tables: input expressions are evaluated once, each rule's input entries are unary tests
 *   against them (`?` is the input value; true matches, false or null does not, anything else fails the
 *   evaluation), the matched rules' output entries are evaluated, and the hit policy makes the result;
 *   no match gives the outputs' default entries, else null;
 * - one output gives its value; several outputs give a context keyed by output name;
 * - literal expressions: the expression's value.
 * Every decision evaluated, the failing one included, is reported (Zeebe's `evaluatedDecisions`), and a
 * failure names the decision that failed.
 *
 * Pure: no state, no clock but the `now` given (for FEEL's now()/today()).
 *
 * @example
 * const result = evaluateDrg(drg, 'dish', { season: 'Fall', guestCount: 4 }, clock.now());
 * if (result.ok) console.log(result.output);
 */
import { unaryTest } from 'feelin';
import { evaluateFeel } from '../feel/index.ts';
import { formatValue } from '../feel/values.ts';
import type { DecisionModel, DecisionOutput, DecisionRequirementsModel, DecisionTableLogic, DecisionType } from './model.ts';

export interface EvaluatedInput {
  inputId: string;
  /** The input's label, else its expression cut to 30 characters. */
  inputName: string;
  /** JSON. */
  inputValue: string;
}

export interface EvaluatedOutput {
  outputId: string;
  /** The output's label, else its name. */
  outputName: string;
  /** JSON. */
  outputValue: string;
}

export interface MatchedRule {
  ruleId: string;
  /** 1-based position of the rule in its table. */
  ruleIndex: number;
  evaluatedOutputs: EvaluatedOutput[];
}

/** One decision evaluated on the way (Zeebe's EvaluatedDecision, without the key and version from state). */
export interface EvaluatedDecision {
  decisionId: string;
  decisionName: string;
  decisionType: DecisionType;
  /** JSON; "null" for a decision that failed. */
  decisionOutput: string;
  evaluatedInputs: EvaluatedInput[];
  matchedRules: MatchedRule[];
}

export type DrgEvaluation =
  | { ok: true; output: unknown; evaluatedDecisions: EvaluatedDecision[] }
  | { ok: false; failureMessage: string; failedDecisionId: string; evaluatedDecisions: EvaluatedDecision[] };

/** A failed step: the reason, worded as DMN-Scala words it. */
class EvaluationFailure {
  constructor(readonly reason: string) {}
}

/** Evaluates `decisionId` of `drg` (with its required decisions) against `variables`. */
export function evaluateDrg(
  drg: DecisionRequirementsModel,
  decisionId: string,
  variables: Record<string, unknown>,
  now: number,
): DrgEvaluation {
  const evaluated: EvaluatedDecision[] = [];
  const byId = new Map(drg.decisions.map((d) => [d.id, d]));
  const target = byId.get(decisionId);
  if (!target) {
    return {
      ok: false,
      failureMessage: `Expected to evaluate decision '${decisionId}', but no decision found with id '${decisionId}'`,
      failedDecisionId: decisionId,
      evaluatedDecisions: [],
    };
  }
  const result = evaluateWithRequirements(target, byId, variables, now, evaluated, 0);
  if (result instanceof EvaluationFailure) {
    return {
      ok: false,
      failureMessage: `Expected to evaluate decision '${decisionId}', but ${result.reason}`,
      // The decision evaluated last is the one that failed.
      failedDecisionId: evaluated.at(-1)?.decisionId ?? decisionId,
      evaluatedDecisions: evaluated,
    };
  }
  return { ok: true, output: result, evaluatedDecisions: evaluated };
}

const MAX_DEPTH = 1000;

function evaluateWithRequirements(
  decision: DecisionModel,
  byId: Map<string, DecisionModel>,
  variables: Record<string, unknown>,
  now: number,
  evaluated: EvaluatedDecision[],
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) return new EvaluationFailure(`the chain of required decisions is deeper than ${MAX_DEPTH}`);
  let context = variables;
  if (decision.requiredDecisions.length > 0) {
    context = { ...variables };
    for (const requiredId of decision.requiredDecisions) {
      const required = byId.get(requiredId);
      if (!required) return new EvaluationFailure(`no decision found with id '${requiredId}' (required by decision '${decision.id}')`);
      const value = evaluateWithRequirements(required, byId, variables, now, evaluated, depth + 1);
      if (value instanceof EvaluationFailure) return value;
      context[required.resultName] = value;
    }
  }
  if (decision.logic.kind === 'LITERAL_EXPRESSION') {
    const result = evaluateFeel(decision.logic.expression, context, now);
    const value = result.ok ? result.value : new EvaluationFailure(result.message);
    evaluated.push({
      decisionId: decision.id,
      decisionName: decision.name,
      decisionType: 'LITERAL_EXPRESSION',
      decisionOutput: value instanceof EvaluationFailure ? 'null' : json(value),
      evaluatedInputs: [],
      matchedRules: [],
    });
    return value;
  }
  const audit: EvaluatedDecision = {
    decisionId: decision.id,
    decisionName: decision.name,
    decisionType: 'DECISION_TABLE',
    decisionOutput: 'null',
    evaluatedInputs: [],
    matchedRules: [],
  };
  const value = evaluateTable(decision.logic, context, now, audit);
  if (!(value instanceof EvaluationFailure)) audit.decisionOutput = json(value);
  evaluated.push(audit);
  return value;
}

type Row = { name: string; value: unknown }[];

function evaluateTable(table: DecisionTableLogic, context: Record<string, unknown>, now: number, audit: EvaluatedDecision): unknown {
  // 1. Input values.
  const inputValues: unknown[] = [];
  for (const input of table.inputs) {
    const result = evaluateFeel(input.expression, context, now);
    if (!result.ok) return new EvaluationFailure(result.message);
    inputValues.push(result.value);
  }
  audit.evaluatedInputs = table.inputs.map((input, i) => ({
    inputId: input.id,
    inputName: input.label ?? input.expression.slice(0, 30),
    inputValue: json(inputValues[i]),
  }));

  // 2. Matching rules, in table order.
  const matched: number[] = [];
  for (let r = 0; r < table.rules.length; r++) {
    const rule = table.rules[r]!;
    let met = true;
    for (let i = 0; i < rule.inputEntries.length && met; i++) {
      const test = matches(rule.inputEntries[i]!, inputValues[i], context);
      if (test instanceof EvaluationFailure) return test;
      met = test;
    }
    if (met) matched.push(r);
  }
  // FIRST: only the first match counts (and is reported); every rule was still checked, as DMN-Scala does.
  if (table.hitPolicy === 'FIRST') matched.splice(1);

  // 3. No match: the default output entries.
  if (matched.length === 0) {
    const defaults: Row = [];
    for (const output of table.outputs) {
      if (output.defaultValue === undefined) continue;
      const result = evaluateFeel(output.defaultValue, context, now);
      if (!result.ok) return new EvaluationFailure(result.message);
      defaults.push({ name: outputName(output), value: result.value });
    }
    if (defaults.length === 0) return null;
    return defaults.length === 1 ? defaults[0]!.value : toContext(defaults);
  }

  // 4. Output entries of the matched rules.
  const rows: Row[] = [];
  for (const r of matched) {
    const rule = table.rules[r]!;
    const row: Row = [];
    for (let o = 0; o < table.outputs.length; o++) {
      const text = rule.outputEntries[o] ?? '';
      let value: unknown = null;
      if (text !== '') {
        const result = evaluateFeel(text, context, now);
        if (!result.ok) return new EvaluationFailure(result.message);
        value = result.value;
      }
      row.push({ name: outputName(table.outputs[o]!), value });
    }
    rows.push(row);
  }
  audit.matchedRules = matched.map((r, i) => ({
    ruleId: table.rules[r]!.id,
    ruleIndex: r + 1,
    evaluatedOutputs: table.outputs.map((output, o) => ({
      outputId: output.id,
      outputName: output.label ?? output.name ?? output.id,
      outputValue: json(rows[i]![o]!.value),
    })),
  }));

  // 5. The hit policy.
  return applyHitPolicy(table, rows);
}

function applyHitPolicy(table: DecisionTableLogic, rows: Row[]): unknown {
  switch (table.hitPolicy) {
    case 'FIRST':
      return single(rows[0]!);
    case 'UNIQUE':
      if (rows.length > 1) return new EvaluationFailure(`multiple values aren't allowed for UNIQUE hit policy. found: '${formatRows(rows)}'`);
      return single(rows[0]!);
    case 'ANY': {
      const distinct = distinctRows(rows);
      if (distinct.length > 1) return new EvaluationFailure(`different values aren't allowed for ANY hit policy. found: '${formatRows(distinct)}'`);
      return single(rows[0]!);
    }
    case 'PRIORITY':
      return single(byPriority(rows, table.outputs)[0]!);
    case 'OUTPUT ORDER':
      return many(byPriority(rows, table.outputs));
    case 'RULE ORDER':
      return many(rows);
    case 'COLLECT': {
      if (table.aggregation === undefined) return many(rows);
      if (table.aggregation === 'COUNT') return rows.length;
      if (rows[0]!.length > 1) return new EvaluationFailure(`multiple values aren't allowed. found: ${formatRows(rows)}`);
      const numbers: number[] = [];
      for (const row of rows) {
        const value = row[0]!.value;
        if (typeof value !== 'number') return new EvaluationFailure(`expected number but found '${formatValue(value)}'`);
        numbers.push(value);
      }
      if (table.aggregation === 'SUM') return numbers.reduce((a, b) => a + b, 0);
      return table.aggregation === 'MIN' ? Math.min(...numbers) : Math.max(...numbers);
    }
  }
}

/** One unary-tests cell against its input value: true, false, or the failure. */
function matches(entry: string, inputValue: unknown, context: Record<string, unknown>): boolean | EvaluationFailure {
  if (entry === '' || entry === '-') return true;
  let result: unknown;
  try {
    result = unaryTest(entry, { ...context, '?': inputValue }, 'camunda').value;
  } catch (error) {
    return new EvaluationFailure(`failed to evaluate expression '${entry}': ${(error as Error).message}`);
  }
  if (result === true) return true;
  if (result === false || result === null || result === undefined) return false;
  return new EvaluationFailure(`input entry must return true, false, or null, but found '${formatValue(result)}'`);
}

function outputName(output: DecisionOutput): string {
  return output.name ?? output.label ?? output.id;
}

function single(row: Row): unknown {
  return row.length === 1 ? row[0]!.value : toContext(row);
}

function many(rows: Row[]): unknown[] {
  return rows.map(single);
}

function toContext(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, value } of row) out[name] = value;
  return out;
}

function distinctRows(rows: Row[]): Row[] {
  const seen = new Map<string, Row>();
  for (const row of rows) {
    const key = JSON.stringify(row.map((cell) => [cell.name, cell.value]));
    if (!seen.has(key)) seen.set(key, row);
  }
  return [...seen.values()];
}

/** Sorts rows by the position of their output values in each output's list of allowed values (stable). */
function byPriority(rows: Row[], outputs: DecisionOutput[]): Row[] {
  const rank = (row: Row): number[] =>
    outputs.map((output, o) => {
      const value = row[o]?.value;
      const index = typeof value === 'string' || typeof value === 'number' ? output.priorities.indexOf(String(value)) : -1;
      return index === -1 ? Number.MAX_SAFE_INTEGER : index;
    });
  const ranked = rows.map((row, i) => ({ row, i, rank: rank(row) }));
  ranked.sort((a, b) => {
    for (let k = 0; k < a.rank.length; k++) {
      const d = a.rank[k]! - b.rank[k]!;
      if (d !== 0) return d;
    }
    return a.i - b.i;
  });
  return ranked.map((r) => r.row);
}

function formatRows(rows: Row[]): string {
  return '[' + rows.map((row) => '{' + row.map((cell) => `${cell.name}: ${formatValue(cell.value)}`).join(', ') + '}').join(', ') + ']';
}

function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}
