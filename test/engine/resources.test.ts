/**
 * Contract tests of deploying DMN and forms beside BPMN, of versioning, and of DeleteResource
 * (zeebe-semantics.md D1–D5, DR1–DR2), driven by the official `@camunda8/sdk` and by `zbctl`.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import { oneTaskProcess } from '../helpers/bpmn.ts';
import { engineTest, eventsOf, rejectsWithCode, type ZeebeClient } from '../helpers/engine-harness.ts';
import { GO_CODE_NAMES, zbctl, zbctlJson } from '../helpers/zbctl.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/dmn/${name}`, import.meta.url));
const read = (name: string) => readFile(fixture(name));

/** The SDK's deployment entries, whichever kind each one is. */
type Entry = Awaited<ReturnType<ZeebeClient['deployResources']>>['deployments'][number] & Record<string, unknown>;

function kinds(deployments: Entry[]): string[] {
  return deployments.map((d) => ['process', 'decision', 'decisionRequirements', 'form'].find((k) => d[k] !== undefined && d[k] !== null) ?? '?');
}

function entry<T = Record<string, unknown>>(deployments: Entry[], kind: string, index = 0): T {
  const found = deployments.filter((d) => d[kind] !== undefined && d[kind] !== null)[index];
  assert.ok(found, `a '${kind}' entry #${index} in ${JSON.stringify(deployments)}`);
  return found[kind] as T;
}

interface DecisionMeta {
  dmnDecisionId: string;
  dmnDecisionName: string;
  version: number;
  decisionKey: string;
  dmnDecisionRequirementsId: string;
  decisionRequirementsKey: string;
  tenantId: string;
}
interface DrgMeta {
  dmnDecisionRequirementsId: string;
  dmnDecisionRequirementsName: string;
  version: number;
  decisionRequirementsKey: string;
  resourceName: string;
  tenantId: string;
}
interface FormMeta {
  formId: string;
  version: number;
  formKey: string;
  resourceName: string;
  tenantId: string;
}
interface ProcessMeta {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: string;
  resourceName: string;
}

async function deployAll(zb: ZeebeClient, processId: string, options: { dmn?: Buffer; form?: Buffer; jobType?: string } = {}) {
  const response = await zb.deployResources([
    { name: 'dish.form', form: options.form ?? (await read('dish.form')) },
    { name: 'dish.dmn', decision: options.dmn ?? (await read('dish.dmn')) },
    { name: 'order.bpmn', process: Buffer.from(oneTaskProcess(processId, options.jobType ?? `work-${processId}`)) },
  ]);
  return response.deployments as unknown as Entry[];
}

describe('DeployResource with decisions and forms', () => {
  engineTest('BPMN, DMN and form together: processes, then decisions, then decision requirements, then forms', async ({ zb, id }) => {
    const deployments = await deployAll(zb, `order-${id}`);
    assert.deepEqual(kinds(deployments), ['process', 'decision', 'decision', 'decisionRequirements', 'form']);
    const drg = entry<DrgMeta>(deployments, 'decisionRequirements');
    assert.deepEqual(
      { ...drg, decisionRequirementsKey: typeof drg.decisionRequirementsKey },
      {
        dmnDecisionRequirementsId: 'dish-drg',
        dmnDecisionRequirementsName: 'Dish decisions',
        version: 1,
        decisionRequirementsKey: 'string',
        resourceName: 'dish.dmn',
        tenantId: '<default>',
      },
    );
    const dish = entry<DecisionMeta>(deployments, 'decision', 0);
    const season = entry<DecisionMeta>(deployments, 'decision', 1);
    assert.deepEqual(
      [dish, season].map((d) => [d.dmnDecisionId, d.dmnDecisionName, d.version, d.dmnDecisionRequirementsId, String(d.decisionRequirementsKey), d.tenantId]),
      [
        ['dish', 'Dish', 1, 'dish-drg', String(drg.decisionRequirementsKey), '<default>'],
        ['season', 'Season', 1, 'dish-drg', String(drg.decisionRequirementsKey), '<default>'],
      ],
    );
    const form = entry<FormMeta>(deployments, 'form');
    assert.deepEqual({ ...form, formKey: typeof form.formKey }, { formId: 'dish-form', version: 1, formKey: 'string', resourceName: 'dish.form', tenantId: '<default>' });
    const keys = [entry<ProcessMeta>(deployments, 'process').processDefinitionKey, dish.decisionKey, season.decisionKey, drg.decisionRequirementsKey, form.formKey];
    assert.equal(new Set(keys.map(String)).size, 5, 'every resource has its own key');
    for (const key of keys) assert.equal(BigInt(key) >> 51n, 1n, `key ${key} carries partition 1`);
  });

  engineTest('the same resources again keep versions and keys; one changed resource versions them all', async ({ zb, id }) => {
    const first = await deployAll(zb, `order-${id}`);
    const same = await deployAll(zb, `order-${id}`);
    assert.deepEqual(same, first, 'a duplicate deployment answers with the versions and keys it has');
    // The DMN changes: every resource of the deployment gets a new version, the unchanged ones too.
    const dmn = (await read('dish.dmn')).toString('utf8').replace('"Roastbeef"', '"Goulash"');
    const changed = await deployAll(zb, `order-${id}`, { dmn: Buffer.from(dmn) });
    assert.deepEqual(
      changed.map((d) => (Object.values(d).find((v) => v && typeof v === 'object') as { version: number }).version),
      [2, 2, 2, 2, 2],
    );
    const oldKeys = new Set(first.flatMap((d) => Object.values(d).filter((v) => v && typeof v === 'object').map((v) => JSON.stringify(v))));
    for (const d of changed) assert.ok(!oldKeys.has(JSON.stringify(Object.values(d).find((v) => v && typeof v === 'object'))));
    const evaluated = await zb.evaluateDecision({ decisionId: 'dish', variables: { month: 12, guestCount: 2 } });
    assert.equal(JSON.parse(evaluated.decisionOutput), 'Goulash');
    assert.equal(evaluated.decisionVersion, 2);
  });

  engineTest('a DMN alone: v1, the same bytes keep v1, changed bytes make v2, v1 bytes again make v3', async ({ zb }) => {
    const v1 = (await read('dish.dmn')).toString('utf8');
    const v2 = v1.replace('"Spareribs"', '"Chili"');
    const deploy = async (xml: string) => (await zb.deployResource({ name: 'dish.dmn', decision: Buffer.from(xml) })).deployments as unknown as Entry[];
    const a = await deploy(v1);
    const b = await deploy(v1);
    const c = await deploy(v2);
    const d = await deploy(v1);
    const versions = (ds: Entry[]) => [entry<DecisionMeta>(ds, 'decision').version, entry<DrgMeta>(ds, 'decisionRequirements').version];
    assert.deepEqual([versions(a), versions(b), versions(c), versions(d)], [[1, 1], [1, 1], [2, 2], [3, 3]]);
    assert.equal(entry<DrgMeta>(b, 'decisionRequirements').decisionRequirementsKey, entry<DrgMeta>(a, 'decisionRequirements').decisionRequirementsKey);
  });

  engineTest('a broken DMN file gets 3 INVALID_ARGUMENT naming the file and where the XML breaks; nothing is deployed', async ({ zb, id, engine }) => {
    const error = await rejectsWithCode(
      zb.deployResources([
        { name: 'ok.bpmn', process: Buffer.from(oneTaskProcess(`ok-${id}`, 'x')) },
        { name: 'broken.dmn', decision: await read('broken.dmn') },
      ]),
      3,
      /Expected to deploy new resources, but encountered the following errors:/,
    );
    assert.match(error.message, /'broken\.dmn': Failed to parse DMN: .*line: \d+/);
    assert.equal(eventsOf(engine, 'PROCESS', 'CREATED').length, 0, 'atomic: the good resource is not deployed either');
  });

  engineTest('invalid FEEL in a rule gets 3 INVALID_ARGUMENT naming the file, the rule, the entry and the decision', async ({ zb }) => {
    const error = await rejectsWithCode(zb.deployResource({ name: 'invalid-feel.dmn', decision: await read('invalid-feel.dmn') }), 3);
    assert.match(error.message, /'invalid-feel\.dmn': FEEL unary-tests: failed to parse expression '> > 5 \('/);
    assert.match(error.message, /input entry 'bad-entry' of rule 'bad-rule' of decision 'invalid-feel-decision'/);
  });

  engineTest('two files with the same decision id, a form without id, an unknown extension: 3 INVALID_ARGUMENT', async ({ zb }) => {
    const dish = await read('dish.dmn');
    const renamed = Buffer.from(dish.toString('utf8').replace('id="dish-drg"', 'id="other-drg"'));
    await rejectsWithCode(
      zb.deployResources([
        { name: 'a.dmn', decision: dish },
        { name: 'b.dmn', decision: renamed },
      ]),
      3,
      /Expected the decision ids to be unique within a deployment but found a duplicated id 'dish' in the resources 'a\.dmn' and 'b\.dmn'/,
    );
    await rejectsWithCode(zb.deployResource({ name: 'f.form', form: Buffer.from('{"components": []}') }), 3, /'f\.form': Expected the form id to be present, but none given/);
    await rejectsWithCode(zb.deployResource({ name: 'f.form', form: Buffer.from('{not json') }), 3, /'f\.form': Failed to parse form JSON/);
    await rejectsWithCode(
      zb.deployResources([{ name: 'notes.txt', process: Buffer.from('hello') }]),
      3,
      /Expected the resource name to end with '\.bpmn', '\.xml', '\.dmn' or '\.form', but it was 'notes\.txt'/,
    );
  });
});

describe('DeleteResource', () => {
  engineTest('deleting the latest process version: the previous is latest again, the deleted key is gone, versions are not reused', async ({ zb, id, raw }) => {
    const processId = `deletable-${id}`;
    const v1 = (await zb.deployResource({ name: 'p.bpmn', process: Buffer.from(oneTaskProcess(processId, 'a')) })).deployments[0]!.process;
    const v2 = (await zb.deployResource({ name: 'p.bpmn', process: Buffer.from(oneTaskProcess(processId, 'b')) })).deployments[0]!.process;
    assert.deepEqual(await zb.deleteResource({ resourceKey: String(v2.processDefinitionKey) }), {});
    const latest = await zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    assert.equal(latest.version, 1);
    assert.equal(String(latest.processDefinitionKey), String(v1.processDefinitionKey));
    await rejectsWithCode(raw().unary('CreateProcessInstance', { processDefinitionKey: String(v2.processDefinitionKey) }), 5);
    await rejectsWithCode(zb.createProcessInstance({ bpmnProcessId: processId, version: 2, variables: {} }), 5);
    // Deleting it again: 5 NOT_FOUND.
    await rejectsWithCode(zb.deleteResource({ resourceKey: String(v2.processDefinitionKey) }), 5, /Expected to delete resource but no resource found with key `\d+`/);
    await zb.cancelProcessInstance(latest.processInstanceKey);
    // v2's bytes again: a new version 3 (version numbers are never reused).
    const v3 = (await zb.deployResource({ name: 'p.bpmn', process: Buffer.from(oneTaskProcess(processId, 'b')) })).deployments[0]!.process;
    assert.equal(v3.version, 3);
  });

  engineTest('a process definition with running instances gets 9 FAILED_PRECONDITION; once they ended it can go', async ({ zb, id }) => {
    const processId = `busy-${id}`;
    const v1 = (await zb.deployResource({ name: 'p.bpmn', process: Buffer.from(oneTaskProcess(processId, `busy-${id}`)) })).deployments[0]!.process;
    const instance = await zb.createProcessInstance({ bpmnProcessId: processId, variables: {} });
    await rejectsWithCode(
      zb.deleteResource({ resourceKey: String(v1.processDefinitionKey) }),
      9,
      /Expected to delete resource with key `\d+` but there are still running instances/,
    );
    await zb.cancelProcessInstance(instance.processInstanceKey);
    await zb.deleteResource({ resourceKey: String(v1.processDefinitionKey) });
    await rejectsWithCode(zb.createProcessInstance({ bpmnProcessId: processId, variables: {} }), 5);
  });

  engineTest('deleting a DRG deletes its decisions; the previous version is evaluated again', async ({ zb, engine }) => {
    const xml = (await read('dish.dmn')).toString('utf8');
    const v1 = (await zb.deployResource({ name: 'dish.dmn', decision: Buffer.from(xml) })).deployments as unknown as Entry[];
    const v2 = (await zb.deployResource({ name: 'dish.dmn', decision: Buffer.from(xml.replace('"Roastbeef"', '"Goulash"')) })).deployments as unknown as Entry[];
    const variables = { month: 1, guestCount: 2 };
    assert.equal(JSON.parse((await zb.evaluateDecision({ decisionId: 'dish', variables })).decisionOutput), 'Goulash');
    await zb.deleteResource({ resourceKey: String(entry<DrgMeta>(v2, 'decisionRequirements').decisionRequirementsKey) });
    const after = await zb.evaluateDecision({ decisionId: 'dish', variables });
    assert.equal(JSON.parse(after.decisionOutput), 'Roastbeef');
    assert.equal(after.decisionVersion, 1);
    await rejectsWithCode(zb.evaluateDecision({ decisionKey: String(entry<DecisionMeta>(v2, 'decision').decisionKey), variables } as never), 5);
    assert.deepEqual(
      eventsOf(engine, 'DECISION', 'DELETED').map((r) => r.value.decisionId),
      ['dish', 'season'],
      'each decision of the DRG is deleted with it',
    );
    await zb.deleteResource({ resourceKey: String(entry<DrgMeta>(v1, 'decisionRequirements').decisionRequirementsKey) });
    await rejectsWithCode(zb.evaluateDecision({ decisionId: 'season', variables }), 5);
    const again = (await zb.deployResource({ name: 'dish.dmn', decision: Buffer.from(xml) })).deployments as unknown as Entry[];
    assert.equal(entry<DrgMeta>(again, 'decisionRequirements').version, 3, 'versions are never reused');
  });

  engineTest('deleting a form: its previous version is the latest again', async ({ zb }) => {
    const v1bytes = await read('dish.form');
    const v2bytes = Buffer.from(v1bytes.toString('utf8').replace('"Guests"', '"Number of guests"'));
    const deployForm = async (form: Buffer) => entry<FormMeta>((await zb.deployResource({ name: 'dish.form', form })).deployments as unknown as Entry[], 'form');
    const v1 = await deployForm(v1bytes);
    const v2 = await deployForm(v2bytes);
    assert.deepEqual([v1.version, v2.version], [1, 2]);
    await zb.deleteResource({ resourceKey: String(v2.formKey) });
    // v1's bytes are now a duplicate of the latest version (v1).
    const again = await deployForm(v1bytes);
    assert.deepEqual([again.version, String(again.formKey)], [1, String(v1.formKey)]);
    await rejectsWithCode(zb.deleteResource({ resourceKey: String(v2.formKey) }), 5);
  });
});

describe('zbctl with decisions', () => {
  interface ZbctlDeploy {
    key: string;
    deployments: Record<string, Record<string, unknown>>[];
  }

  engineTest('deploy resource, evaluate decision and delete resource', async ({ engine, id }) => {
    const bpmn = fixture(`../order-process.bpmn`);
    const deployed = await zbctlJson<ZbctlDeploy>(engine.address, ['deploy', 'resource', fixture('dish.form'), fixture('dish.dmn'), bpmn]);
    assert.deepEqual(
      deployed.deployments.map((d) => Object.keys(d)[0]),
      ['process', 'decision', 'decision', 'decisionRequirements', 'form'],
    );
    const evaluated = await zbctlJson<{ decisionOutput: string; evaluatedDecisions: unknown[] }>(engine.address, [
      'evaluate',
      'decision',
      'dish',
      '--variables',
      JSON.stringify({ month: 6, guestCount: 3 }),
    ]);
    assert.equal(JSON.parse(evaluated.decisionOutput), 'Spareribs');
    assert.equal(evaluated.evaluatedDecisions.length, 2);
    const drgKey = String(deployed.deployments[3]!.decisionRequirements!.decisionRequirementsKey);
    const deleted = await zbctl(engine.address, ['delete', 'resource', drgKey]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const missing = await zbctl(engine.address, ['evaluate', 'decision', 'dish']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`code = ${GO_CODE_NAMES[5]} desc = .*no decision found for id 'dish'`));
    assert.ok(id);
  });
});
