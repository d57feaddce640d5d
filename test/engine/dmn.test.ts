/**
 * Contract tests of EvaluateDecision (zeebe-semantics.md ED1–ED2), driven by the official `@camunda8/sdk`
 * gRPC client against DMN fixtures in test/fixtures/dmn/: every hit policy, required decisions, literal
 * expressions, and the failures as Zeebe reports them (NOT_FOUND, failedDecisionId + failureMessage).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  engineTest,
  eventsOf,
  incidentsCreated,
  instanceCompleted,
  rejectsWithCode,
  waitUntil,
  type Variables,
  type ZeebeClient,
} from '../helpers/engine-harness.ts';

/** The 8.8 proto's EvaluateDecisionResponse has `decisionInstanceKey`; the SDK's type predates it. */
const instanceKey = (r: object) => String((r as { decisionInstanceKey?: string }).decisionInstanceKey);

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/dmn/${name}`, import.meta.url));

async function deployDmn(zb: ZeebeClient, file: string) {
  const response = await zb.deployResource({ name: file, decision: await readFile(fixture(file)) });
  return response.deployments;
}

/** Decision id, variables → expected output (as the JSON the response carries) and matched rule ids. */
const HIT_POLICY_CASES: { decisionId: string; score: number; output: unknown; rules: string[] }[] = [
  { decisionId: 'unique', score: 80, output: 'high', rules: ['unique-r3'] },
  { decisionId: 'unique', score: 50, output: 'medium', rules: ['unique-r2'] },
  { decisionId: 'first', score: 80, output: 'medium', rules: ['first-r2'] },
  { decisionId: 'first', score: 10, output: 'low', rules: ['first-r1'] },
  { decisionId: 'any', score: 30, output: 'ok', rules: ['any-r1', 'any-r2'] },
  { decisionId: 'collect', score: 80, output: ['medium', 'high'], rules: ['collect-r2', 'collect-r3'] },
  { decisionId: 'collect', score: 40, output: ['low', 'medium'], rules: ['collect-r1', 'collect-r2'] },
  { decisionId: 'collect-sum', score: 90, output: 111, rules: ['collect-sum-r1', 'collect-sum-r2', 'collect-sum-r3'] },
  { decisionId: 'collect-min', score: 90, output: 1, rules: ['collect-min-r1', 'collect-min-r2', 'collect-min-r3'] },
  { decisionId: 'collect-max', score: 60, output: 10, rules: ['collect-max-r1', 'collect-max-r2'] },
  { decisionId: 'collect-count', score: 90, output: 3, rules: ['collect-count-r1', 'collect-count-r2', 'collect-count-r3'] },
  { decisionId: 'rule-order', score: 80, output: ['medium', 'high'], rules: ['rule-order-r2', 'rule-order-r3'] },
  { decisionId: 'priority', score: 80, output: 'high', rules: ['priority-r2', 'priority-r3'] },
  { decisionId: 'priority', score: 40, output: 'medium', rules: ['priority-r1', 'priority-r2'] },
  { decisionId: 'output-order', score: 80, output: ['high', 'medium'], rules: ['output-order-r2', 'output-order-r3'] },
  { decisionId: 'multi-output', score: 90, output: { level: 'high', points: 900 }, rules: ['multi-output-r2'] },
  { decisionId: 'with-default', score: 1, output: 'normal', rules: [] },
  { decisionId: 'no-default', score: 1, output: null, rules: [] },
  { decisionId: 'collect', score: -1, output: ['low'], rules: ['collect-r1'] },
];

describe('EvaluateDecision: hit policies', () => {
  engineTest('every hit policy gives the output DMN-Scala gives, with the matched rules', async ({ zb }) => {
    const deployments = await deployDmn(zb, 'hit-policies.dmn');
    const keys = new Map(deployments.flatMap((d) => (d.decision ? [[d.decision.dmnDecisionId, String(d.decision.decisionKey)]] : [])));
    for (const c of HIT_POLICY_CASES) {
      const label = `${c.decisionId} with score ${c.score}`;
      const r = await zb.evaluateDecision({ decisionId: c.decisionId, variables: { score: c.score } });
      assert.equal(r.failureMessage, '', `${label}: no failure`);
      assert.deepEqual(JSON.parse(r.decisionOutput), c.output, `${label}: output`);
      assert.equal(r.decisionId, c.decisionId);
      assert.equal(String(r.decisionKey), keys.get(c.decisionId), `${label}: the deployed decision's key`);
      assert.equal(r.decisionRequirementsId, 'hit-policies');
      assert.equal(r.evaluatedDecisions.length, 1, `${label}: one decision evaluated`);
      const evaluated = r.evaluatedDecisions[0]!;
      assert.equal(evaluated.decisionType, 'DECISION_TABLE');
      assert.deepEqual(JSON.parse(evaluated.decisionOutput), c.output);
      assert.deepEqual(
        evaluated.matchedRules.map((m) => m.ruleId),
        c.rules,
        `${label}: matched rules`,
      );
      assert.deepEqual(
        evaluated.evaluatedInputs.map((i) => ({ id: i.inputId, name: i.inputName, value: JSON.parse(i.inputValue) as unknown })),
        [{ id: `${c.decisionId}-in1`, name: 'Score', value: c.score }],
      );
    }
  });

  engineTest('matched rules carry their 1-based index and every evaluated output', async ({ zb }) => {
    await deployDmn(zb, 'hit-policies.dmn');
    const r = await zb.evaluateDecision({ decisionId: 'multi-output', variables: { score: 85 } });
    assert.deepEqual(r.evaluatedDecisions[0]!.matchedRules, [
      {
        ruleId: 'multi-output-r2',
        ruleIndex: 2,
        evaluatedOutputs: [
          { outputId: 'multi-output-out1', outputName: 'Level', outputValue: '"high"' },
          { outputId: 'multi-output-out2', outputName: 'Points', outputValue: '850' },
        ],
      },
    ]);
  });

  engineTest('several inputs: nested paths as input expressions, "-" matches anything', async ({ zb }) => {
    await deployDmn(zb, 'hit-policies.dmn');
    const cases: [Variables, string][] = [
      [{ score: 10, customer: { tier: 'vip' } }, 'gold'],
      [{ score: 60, customer: { tier: 'basic' } }, 'silver'],
      [{ score: 10 }, 'bronze'],
    ];
    for (const [variables, expected] of cases) {
      const r = await zb.evaluateDecision({ decisionId: 'two-inputs', variables });
      assert.equal(JSON.parse(r.decisionOutput), expected, JSON.stringify(variables));
    }
  });

  engineTest('UNIQUE with two matches and ANY with different outputs fail like DMN-Scala', async ({ zb }) => {
    await deployDmn(zb, 'hit-policies.dmn');
    const unique = await zb.evaluateDecision({ decisionId: 'unique-conflict', variables: { score: 80 } });
    assert.equal(unique.failedDecisionId, 'unique-conflict');
    assert.match(unique.failureMessage, /^Expected to evaluate decision 'unique-conflict', but multiple values aren't allowed for UNIQUE hit policy/);
    assert.equal(unique.decisionOutput, 'null');
    const any = await zb.evaluateDecision({ decisionId: 'any-conflict', variables: { score: 30 } });
    assert.equal(any.failedDecisionId, 'any-conflict');
    assert.match(any.failureMessage, /^Expected to evaluate decision 'any-conflict', but different values aren't allowed for ANY hit policy/);
  });
});

describe('EvaluateDecision: required decisions and literal expressions', () => {
  engineTest('a required decision is evaluated first and its result is an input of the next', async ({ zb, engine }) => {
    const deployments = await deployDmn(zb, 'dish.dmn');
    const seasonKey = String(deployments.find((d) => d.decision?.dmnDecisionId === 'season')!.decision.decisionKey);
    const r = await zb.evaluateDecision({ decisionId: 'dish', variables: { month: 1, guestCount: 20 } });
    assert.equal(JSON.parse(r.decisionOutput), 'Roastbeef');
    assert.equal(r.decisionName, 'Dish');
    assert.equal(r.decisionVersion, 1);
    assert.equal(r.tenantId, '<default>');
    assert.match(instanceKey(r), /^\d+$/);
    assert.deepEqual(
      r.evaluatedDecisions.map((d) => [d.decisionId, d.decisionType, JSON.parse(d.decisionOutput) as unknown]),
      [
        ['season', 'LITERAL_EXPRESSION', 'Winter'],
        ['dish', 'DECISION_TABLE', 'Roastbeef'],
      ],
    );
    assert.equal(String(r.evaluatedDecisions[0]!.decisionKey), seasonKey, 'evaluated decisions carry their own keys');
    assert.deepEqual(r.evaluatedDecisions[0]!.matchedRules, []);
    // The literal expression alone, by key.
    const season = await zb.evaluateDecision({ decisionKey: seasonKey, variables: { month: 7 } } as never);
    assert.equal(JSON.parse(season.decisionOutput), 'Fall');
    // Each evaluation is a DECISION_EVALUATION EVALUATED event on the log, keyed like the answer.
    const events = eventsOf(engine, 'DECISION_EVALUATION', 'EVALUATED');
    assert.equal(events.length, 2);
    assert.equal(events[1]!.key, instanceKey(season));
  });

  engineTest('a failing required decision: failedDecisionId names it, the RPC itself succeeds', async ({ zb, engine }) => {
    await deployDmn(zb, 'checks.dmn');
    const ok = await zb.evaluateDecision({ decisionId: 'approval', variables: { score: 70 } });
    assert.equal(JSON.parse(ok.decisionOutput), true);
    const failed = await zb.evaluateDecision({ decisionId: 'approval', variables: { score: -5 } });
    assert.equal(failed.decisionId, 'approval');
    assert.equal(failed.failedDecisionId, 'score-check');
    assert.match(failed.failureMessage, /^Expected to evaluate decision 'approval', but Assertion failure on evaluate the expression/);
    assert.match(failed.failureMessage, /the score must be positive/);
    assert.deepEqual(
      failed.evaluatedDecisions.map((d) => d.decisionId),
      ['score-check'],
      'the failed decision is reported; the one that needed it never ran',
    );
    const events = eventsOf(engine, 'DECISION_EVALUATION', 'FAILED');
    assert.equal(events.length, 1);
    assert.equal(events[0]!.value.failedDecisionId, 'score-check');
  });

  engineTest('the latest version is evaluated by id; an older one by its key', async ({ zb }) => {
    const xml = await readFile(fixture('dish.dmn'), 'utf8');
    const v1 = await zb.deployResource({ name: 'dish.dmn', decision: Buffer.from(xml) });
    const v2 = await zb.deployResource({ name: 'dish.dmn', decision: Buffer.from(xml.replace('"Roastbeef"', '"Goulash"')) });
    const byId = await zb.evaluateDecision({ decisionId: 'dish', variables: { month: 1, guestCount: 2 } });
    assert.equal(JSON.parse(byId.decisionOutput), 'Goulash');
    assert.equal(byId.decisionVersion, 2);
    const dishV1 = v1.deployments.find((d) => d.decision?.dmnDecisionId === 'dish')!.decision;
    const byKey = await zb.evaluateDecision({ decisionKey: String(dishV1.decisionKey), variables: { month: 1, guestCount: 2 } } as never);
    assert.equal(JSON.parse(byKey.decisionOutput), 'Roastbeef');
    assert.equal(byKey.decisionVersion, 1);
    assert.ok(v2.deployments.every((d) => !d.decision || d.decision.version === 2));
  });
});

describe('EvaluateDecision: bad requests', () => {
  engineTest('an unknown decision id or key gets 5 NOT_FOUND with Zeebe\'s message', async ({ zb }) => {
    await rejectsWithCode(
      zb.evaluateDecision({ decisionId: 'nope', variables: {} }),
      5,
      /Expected to evaluate decision 'nope', but no decision found for id 'nope'/,
    );
    await rejectsWithCode(
      zb.evaluateDecision({ decisionKey: '2251799813685999', variables: {} } as never),
      5,
      /no decision found for key '2251799813685999'/,
    );
  });

  engineTest('neither id nor key gets 3 INVALID_ARGUMENT; variables must be a JSON object', async ({ zb, raw }) => {
    await rejectsWithCode(zb.evaluateDecision({ variables: {} } as never), 3, /Expected either a decision id or a valid decision key/);
    await deployDmn(zb, 'dish.dmn');
    await rejectsWithCode(raw().unary('EvaluateDecision', { decisionId: 'dish', variables: '[1]' }), 3, /root level object/);
  });
});

describe('Business rule task with zeebe:calledDecision', () => {
  const processFile = fixture('dish-process.bpmn');

  engineTest('evaluates the latest decision into the result variable and completes', async ({ zb, engine }) => {
    await zb.deployResources([{ processFilename: processFile }, { decisionFilename: fixture('dish.dmn') }]);
    const result = await zb.createProcessInstanceWithResult({ bpmnProcessId: 'dish-process', variables: { month: 10, guestCount: 12 } });
    assert.equal((result.variables as Record<string, unknown>).meal, 'Stew for 12');
    const [event] = eventsOf(engine, 'DECISION_EVALUATION', 'EVALUATED');
    assert.equal(event!.value.decisionId, 'dish');
    assert.equal(event!.value.elementId, 'decide');
    assert.equal(event!.value.processInstanceKey, String(result.processInstanceKey));
  });

  engineTest('no such decision: CALLED_DECISION_ERROR; deploy it and resolve: the task completes', async ({ zb, engine }) => {
    await zb.deployResource({ processFilename: processFile });
    const instance = await zb.createProcessInstance({ bpmnProcessId: 'dish-process', variables: { month: 1, guestCount: 2 } });
    const [incident] = incidentsCreated(engine, instance.processInstanceKey);
    assert.equal(incident!.value.errorType, 'CALLED_DECISION_ERROR');
    assert.equal(incident!.value.errorMessage, "Expected to evaluate decision 'dish', but no decision found for id 'dish'");
    await zb.deployResource({ decisionFilename: fixture('dish.dmn') });
    await zb.resolveIncident({ incidentKey: incident!.key });
    await waitUntil(() => instanceCompleted(engine, instance.processInstanceKey), 5000, 'the instance completes');
  });

  engineTest('a failing decision: DECISION_EVALUATION_ERROR with Zeebe\'s message and a FAILED evaluation', async ({ zb, engine }) => {
    const bpmn = (await readFile(processFile, 'utf8')).replace('decisionId="dish"', 'decisionId="approval"');
    await zb.deployResources([
      { name: 'approval-process.bpmn', process: Buffer.from(bpmn) },
      { decisionFilename: fixture('checks.dmn') },
    ]);
    const instance = await zb.createProcessInstance({ bpmnProcessId: 'dish-process', variables: { score: -1 } });
    const [incident] = incidentsCreated(engine, instance.processInstanceKey);
    assert.equal(incident!.value.errorType, 'DECISION_EVALUATION_ERROR');
    assert.match(String(incident!.value.errorMessage), /^Expected to evaluate decision 'approval', but Assertion failure/);
    const [failed] = eventsOf(engine, 'DECISION_EVALUATION', 'FAILED');
    assert.equal(failed!.value.failedDecisionId, 'score-check');
    // Fix the data and resolve: evaluated again, the task completes with the result.
    await zb.setVariables({ elementInstanceKey: instance.processInstanceKey, variables: { score: 90 }, local: false });
    await zb.resolveIncident({ incidentKey: incident!.key });
    await waitUntil(() => instanceCompleted(engine, instance.processInstanceKey), 5000, 'the instance completes');
  });
});
