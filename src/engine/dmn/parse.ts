/**
 * DMN XML → {@link DecisionRequirementsModel}, with validation at deployment as Zeebe does it (DMN-Scala
 * parses eagerly: a FEEL syntax error anywhere rejects the deployment).
 *
 * Supported: decision tables (every hit policy, COLLECT aggregations) and literal expressions, with
 * required decisions (information requirements). Everything else a DMN file can hold that the engine does
 * not evaluate (business knowledge models, boxed contexts, relations, lists, invocations, expression
 * languages other than FEEL) is an error naming the element, never silently ignored.
 *
 * @example
 * const parsed = await parseDmn(xml);
 * if (!parsed.ok) console.error(parsed.errors.join('\n'));
 */
import { DmnModdle } from 'dmn-moddle';
import { parseUnaryTests } from 'feelin';
import { checkFeelSyntax } from '../feel/index.ts';
import type {
  Aggregation,
  DecisionModel,
  DecisionOutput,
  DecisionRequirementsModel,
  DecisionTableLogic,
  HitPolicy,
  LiteralExpressionLogic,
} from './model.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- moddle's element tree is untyped */
type Moddle = any;

export type DmnParseResult = { ok: true; drg: DecisionRequirementsModel } | { ok: false; errors: string[] };

const HIT_POLICIES = new Set<HitPolicy>(['UNIQUE', 'FIRST', 'PRIORITY', 'ANY', 'COLLECT', 'RULE ORDER', 'OUTPUT ORDER']);
const AGGREGATIONS = new Set<Aggregation>(['SUM', 'MIN', 'MAX', 'COUNT']);
const FEEL_LANGUAGES = new Set([
  'feel',
  'http://www.omg.org/spec/feel/20140401',
  'https://www.omg.org/spec/dmn/20191111/feel/',
  'http://www.omg.org/spec/dmn/20180521/feel/',
  'https://www.omg.org/spec/dmn/20230324/feel/',
  'http://camunda.org/feel',
]);

/** Parses one DMN file. Errors are sentences naming the element (decision, input, rule, entry) at fault. */
export async function parseDmn(xml: string): Promise<DmnParseResult> {
  const moddle = new DmnModdle();
  let definitions: Moddle;
  let warnings: { message: string }[];
  try {
    const result = await moddle.fromXML(xml, 'dmn:Definitions');
    definitions = result.rootElement;
    warnings = result.warnings as { message: string }[];
  } catch (error) {
    return { ok: false, errors: [`Failed to parse DMN: ${oneLine((error as Error).message)}`] };
  }
  const errors: string[] = warnings.map((w) => `Failed to parse DMN: ${oneLine(w.message)}`);
  if (!definitions || definitions.$type !== 'dmn:Definitions') {
    return { ok: false, errors: ['Failed to parse DMN: expected a DMN 1.3 <definitions> element as the root'] };
  }
  if (!definitions.id) errors.push("Expected the DMN <definitions> element to have an 'id' (the decision requirements id), but none given");

  const elements: Moddle[] = definitions.drgElement ?? [];
  const decisions: DecisionModel[] = [];
  const ids = new Set<string>();
  for (const element of elements) {
    switch (element.$type) {
      case 'dmn:Decision': {
        if (!element.id) {
          errors.push(`Expected every decision to have an id, but decision '${element.name ?? '?'}' has none`);
          continue;
        }
        if (ids.has(element.id)) errors.push(`Expected decision ids to be unique, but '${element.id}' is used twice`);
        ids.add(element.id);
        const decision = parseDecision(element, errors);
        if (decision) decisions.push(decision);
        break;
      }
      case 'dmn:InputData':
      case 'dmn:KnowledgeSource':
        break; // documentation of the requirements graph; nothing to evaluate
      case 'dmn:BusinessKnowledgeModel':
        errors.push(`Business knowledge model '${element.id}' is not supported by forager's engine (only decision tables and literal expressions are)`);
        break;
      default:
        errors.push(`Element '${element.id}' (${element.$type}) is not supported by forager's engine`);
    }
  }
  for (const decision of decisions) {
    for (const required of decision.requiredDecisions) {
      if (!ids.has(required)) errors.push(`Decision '${decision.id}' requires decision '${required}', but no decision with that id is in this file`);
    }
  }
  if (hasCycle(decisions)) errors.push('Invalid DMN model: Cyclic dependencies between decisions detected.');
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    drg: { id: definitions.id, name: definitions.name ?? definitions.id, namespace: definitions.namespace ?? '', decisions },
  };
}

function parseDecision(element: Moddle, errors: string[]): DecisionModel | undefined {
  const where = `decision '${element.id}'`;
  const requiredDecisions: string[] = [];
  for (const requirement of (element.informationRequirement ?? []) as Moddle[]) {
    const href: string | undefined = requirement.requiredDecision?.href;
    if (href) requiredDecisions.push(href.replace(/^.*#/, ''));
  }
  if ((element.knowledgeRequirement ?? []).length > 0) {
    errors.push(`The knowledge requirements of ${where} are not supported by forager's engine (business knowledge models are not)`);
  }
  const logic: Moddle = element.decisionLogic;
  let parsed: DecisionTableLogic | LiteralExpressionLogic | undefined;
  if (!logic) {
    errors.push(`Expected ${where} to have a decision table or a literal expression, but it has none`);
  } else if (logic.$type === 'dmn:DecisionTable') {
    parsed = parseTable(logic, where, errors);
  } else if (logic.$type === 'dmn:LiteralExpression') {
    const expression = literal(logic, `the literal expression of ${where}`, errors);
    if (expression !== undefined) parsed = { kind: 'LITERAL_EXPRESSION', expression };
  } else {
    errors.push(`The ${logic.$type.replace('dmn:', '')} of ${where} is not supported by forager's engine (only decision tables and literal expressions are)`);
  }
  if (!parsed) return undefined;
  return {
    id: element.id,
    name: element.name ?? element.id,
    resultName: element.variable?.name ?? element.id,
    requiredDecisions,
    logic: parsed,
  };
}

function parseTable(table: Moddle, where: string, errors: string[]): DecisionTableLogic | undefined {
  const hitPolicy = (table.hitPolicy ?? 'UNIQUE') as HitPolicy;
  if (!HIT_POLICIES.has(hitPolicy)) errors.push(`Unknown hit policy '${hitPolicy}' in ${where}`);
  const aggregation = table.aggregation as Aggregation | undefined;
  if (aggregation !== undefined && !AGGREGATIONS.has(aggregation)) errors.push(`Unknown aggregation '${aggregation}' in ${where}`);
  if (aggregation !== undefined && hitPolicy !== 'COLLECT') errors.push(`The aggregation '${aggregation}' of ${where} is allowed only with hit policy COLLECT`);
  const rawOutputs: Moddle[] = table.output ?? [];
  if (rawOutputs.length === 0) errors.push(`Expected the decision table of ${where} to have at least one output`);
  if (rawOutputs.length > 1 && hitPolicy === 'COLLECT' && aggregation !== undefined) {
    errors.push(`hit policy 'COLLECT' with aggregator is not defined for compound output (${where})`);
  }

  const inputs = ((table.input ?? []) as Moddle[]).map((input, i) => {
    const id: string = input.id ?? `input-${i + 1}`;
    const expression = input.inputExpression
      ? literal(input.inputExpression, `the input expression of input '${id}' of ${where}`, errors)
      : undefined;
    if (!input.inputExpression) errors.push(`Expected input '${id}' of ${where} to have an input expression, but it has none`);
    return { id, label: input.label as string | undefined, expression: expression ?? 'null' };
  });

  const outputs: DecisionOutput[] = rawOutputs.map((output, i) => {
    const id: string = output.id ?? `output-${i + 1}`;
    if (rawOutputs.length > 1 && !output.name) errors.push(`no output name defined for \`${output.label ?? id}\` (output '${id}' of ${where})`);
    let defaultValue: string | undefined;
    if (output.defaultOutputEntry) {
      defaultValue = literal(output.defaultOutputEntry, `the default output entry of output '${id}' of ${where}`, errors);
    }
    const allowed: string | undefined = output.outputValues?.text;
    const priorities = allowed ? allowed.split(',').map((v) => v.trim().replace(/["']/g, '')).filter((v) => v !== '') : [];
    return { id, label: output.label as string | undefined, name: output.name as string | undefined, priorities, defaultValue };
  });

  const rules = ((table.rule ?? []) as Moddle[]).map((rule, index) => {
    const id: string = rule.id ?? '';
    const ruleWhere = `rule '${id || index + 1}' of ${where}`;
    const inputEntries = ((rule.inputEntry ?? []) as Moddle[]).map((entry, i) => {
      checkLanguage(entry, `input entry ${i + 1} of ${ruleWhere}`, errors);
      const text = String(entry.text ?? '').trim();
      const syntax = unaryTestsSyntax(text);
      if (syntax) errors.push(`FEEL unary-tests: ${syntax} (input entry '${entry.id ?? i + 1}' of ${ruleWhere})`);
      return text;
    });
    const outputEntries = ((rule.outputEntry ?? []) as Moddle[]).map((entry, i) => {
      checkLanguage(entry, `output entry ${i + 1} of ${ruleWhere}`, errors);
      const text = String(entry.text ?? '').trim();
      const syntax = text === '' ? undefined : checkFeelSyntax(text);
      if (syntax) errors.push(`FEEL expression: ${syntax} (output entry '${entry.id ?? i + 1}' of ${ruleWhere})`);
      return text;
    });
    if (inputEntries.length !== inputs.length) {
      errors.push(`expected row with '${inputs.length}' elements but found '${inputEntries.length}' (input entries of ${ruleWhere})`);
    }
    if (outputEntries.length !== outputs.length) {
      errors.push(`expected row with '${outputs.length}' elements but found '${outputEntries.length}' (output entries of ${ruleWhere})`);
    }
    return { id, inputEntries, outputEntries };
  });
  return { kind: 'DECISION_TABLE', hitPolicy, aggregation, inputs, outputs, rules };
}

/** The FEEL text of a literal expression (or unary-test-free expression element); records errors. */
function literal(element: Moddle, where: string, errors: string[]): string | undefined {
  checkLanguage(element, where, errors);
  const text = typeof element.text === 'string' ? element.text.trim() : '';
  if (text === '') {
    errors.push(`The expression '${element.id ?? where}' must not be empty (${where}).`);
    return undefined;
  }
  const syntax = checkFeelSyntax(text);
  if (syntax) {
    errors.push(`FEEL expression: ${syntax} (${where})`);
    return undefined;
  }
  return text;
}

function checkLanguage(element: Moddle, where: string, errors: string[]): void {
  const language: string | undefined = element.expressionLanguage;
  if (language && !FEEL_LANGUAGES.has(language.toLowerCase())) {
    errors.push(`Expression language '${language}' is not supported (${where})`);
  }
}

/** A syntax error of FEEL unary tests as a sentence, or undefined. '' and '-' match anything. */
export function unaryTestsSyntax(text: string): string | undefined {
  if (text === '' || text === '-') return undefined;
  try {
    const tree = parseUnaryTests(text, {}, 'camunda');
    let error: { from: number } | undefined;
    tree.iterate({
      enter(node) {
        if (error) return false;
        if (node.type.isError) {
          error = { from: node.from };
          return false;
        }
        return undefined;
      },
    });
    if (error) return `failed to parse expression '${text}': syntax error at position ${error.from + 1}`;
  } catch (e) {
    return `failed to parse expression '${text}': ${(e as Error).message}`;
  }
  return undefined;
}

function hasCycle(decisions: DecisionModel[]): boolean {
  const requires = new Map(decisions.map((d) => [d.id, d.requiredDecisions]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s === 'visiting') return true;
    if (s === 'done') return false;
    state.set(id, 'visiting');
    for (const next of requires.get(id) ?? []) if (visit(next)) return true;
    state.set(id, 'done');
    return false;
  };
  return decisions.some((d) => visit(d.id));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ', ').trim();
}
