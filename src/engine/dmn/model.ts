/**
 * A parsed DMN file (one decision requirements graph, DRG) as plain, JSON-serialisable data: it travels in
 * the DEPLOYMENT command and the DECISION_REQUIREMENTS event, so replaying the log rebuilds it as it was.
 * Expressions are kept as FEEL source text; the evaluator (evaluate.ts) runs them.
 */

/** Hit policies of a decision table (DMN 1.3, §8.2.11). */
export type HitPolicy = 'UNIQUE' | 'FIRST' | 'PRIORITY' | 'ANY' | 'COLLECT' | 'RULE ORDER' | 'OUTPUT ORDER';

/** The aggregation of a COLLECT table; undefined: the list of all matched outputs. */
export type Aggregation = 'SUM' | 'MIN' | 'MAX' | 'COUNT';

/** What Zeebe reports as `decisionType` of an evaluated decision. */
export type DecisionType = 'DECISION_TABLE' | 'LITERAL_EXPRESSION';

export interface DecisionInput {
  id: string;
  /** The column's label, if any. */
  label: string | undefined;
  /** FEEL expression giving the input value. */
  expression: string;
}

export interface DecisionOutput {
  id: string;
  label: string | undefined;
  /** The output's name: the key of its value when a table has several outputs. */
  name: string | undefined;
  /** `outputValues`: allowed values in priority order (PRIORITY / OUTPUT ORDER), as written, unquoted. */
  priorities: string[];
  /** `defaultOutputEntry` expression, used when no rule matches. */
  defaultValue: string | undefined;
}

export interface DecisionRule {
  id: string;
  /** Unary tests, one per input; '' or '-' matches anything. */
  inputEntries: string[];
  /** FEEL expressions, one per output; '' gives null. */
  outputEntries: string[];
}

export interface DecisionTableLogic {
  kind: 'DECISION_TABLE';
  hitPolicy: HitPolicy;
  aggregation: Aggregation | undefined;
  inputs: DecisionInput[];
  outputs: DecisionOutput[];
  rules: DecisionRule[];
}

export interface LiteralExpressionLogic {
  kind: 'LITERAL_EXPRESSION';
  expression: string;
}

export interface DecisionModel {
  id: string;
  name: string;
  /** The name its result has in the context of decisions that require it (its variable's name, else its id). */
  resultName: string;
  /** Ids of the decisions whose results it uses (information requirements), in document order. */
  requiredDecisions: string[];
  logic: DecisionTableLogic | LiteralExpressionLogic;
}

export interface DecisionRequirementsModel {
  /** The `definitions` element's id: the decision requirements id. */
  id: string;
  name: string;
  namespace: string;
  decisions: DecisionModel[];
}
