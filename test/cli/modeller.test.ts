/**
 * The modeller's CLI, whole-program: `node --import tsx cli/forager.ts …` spawned as a user runs it, against forager's
 * engine started with `forager engine up` (one per file, private FORAGER_HOME). deploy (with its checks),
 * start --await, publish, signal, cancel, set-variables + retries + resolve reviving an incident, check,
 * status, --json, --help, and every bad input with its exit code and message. The engine's REST API stands
 * in for Operate, to see what waits and where the incident is. Everything spawned is stopped in `after`.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cleanUp, exitOf, forager, freePort, killSpawned, parseUp, ROOT, start, waitForOutput } from './helpers.ts';

const DEFS = `xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" targetNamespace="http://bpmn.io/schema/bpmn"`;

/** A process: start → `body` (elements between, chained by sequence flows) → end; `extra` after the process. */
function processXml(id: string, body: string[], extra = ''): string {
  const nodes = body.map((el, i) => el.replace('"ID"', `"n${i}"`));
  const ids = ['s', ...nodes.map((el) => /\sid="([^"]+)"/.exec(el)![1]!), 'e'];
  const flows = ids.slice(1).map((target, i) => `<bpmn:sequenceFlow id="f${i}" sourceRef="${ids[i]}" targetRef="${target}" />`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${DEFS} id="d_${id}">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="s" />
    ${nodes.join('\n    ')}
    <bpmn:endEvent id="e" />
    ${flows.join('\n    ')}
  </bpmn:process>${extra}
</bpmn:definitions>
`;
}

const scriptTask = (expression: string, result: string) =>
  `<bpmn:scriptTask id="ID"><bpmn:extensionElements><zeebe:script expression="${expression}" resultVariable="${result}" /></bpmn:extensionElements></bpmn:scriptTask>`;
const serviceTask = (type: string, id = 'ID') => `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" /></bpmn:extensionElements></bpmn:serviceTask>`;

const GREETING = processXml('cli_greeting', [scriptTask('=&quot;Hello, &quot; + name', 'greeting'), scriptTask('=string length(greeting)', 'length')]);
const PAYMENT = processXml(
  'cli_payment',
  ['<bpmn:intermediateCatchEvent id="ID"><bpmn:messageEventDefinition messageRef="m_paid" /></bpmn:intermediateCatchEvent>'],
  '<bpmn:message id="m_paid" name="cli-paid"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>',
);
const SIGNALLED = processXml(
  'cli_signalled',
  ['<bpmn:intermediateCatchEvent id="ID"><bpmn:signalEventDefinition signalRef="sig_go" /></bpmn:intermediateCatchEvent>'],
  '<bpmn:signal id="sig_go" name="cli-go" />',
);
const FLAKY = processXml('cli_flaky', [serviceTask('cli-flaky')]);
const MISSING = processXml('cli_missing', [serviceTask('cli-missing')]);

describe('forager CLI for modellers, against forager engine up', () => {
  let home = '';
  let project = '';
  let env: Record<string, string> = {};
  let rest = '';

  const file = (name: string) => join(project, name);
  const restPost = async (path: string, body: unknown) => {
    const response = await fetch(`${rest}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return ((await response.json()) as { items: Record<string, unknown>[] }).items;
  };
  /** Polls the engine's REST search (Operate's view) until it finds something: the engine's own state, not a wall-clock sleep. */
  const found = async (path: string, filter: Record<string, unknown>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const items = await restPost(path, { filter });
      if (items.length > 0) return items[0]!;
      if (Date.now() > deadline) throw new Error(`nothing in ${path} for ${JSON.stringify(filter)} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-cli-modeller-'));
    project = await mkdtemp(join(tmpdir(), 'forager-cli-project-'));
    await mkdir(file('bpmn'));
    await mkdir(file('workers'));
    await mkdir(file('more'));
    // Worker files import zod like a user's project would; forager itself by path.
    await symlink(join(ROOT, 'node_modules'), file('node_modules'));
    const sdk = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
    await writeFile(
      file('workers/flaky.ts'),
      `import { defineWorker, NonRetryableError } from '${sdk}';
export default defineWorker({
  type: 'cli-flaky',
  handler: async (variables: Record<string, unknown>) => {
    if (variables.fixed !== true) throw new NonRetryableError('the card service is down (set fixed=true)');
    return { repaired: true };
  },
});
`,
    );
    await writeFile(file('workers/unused.ts'), `import { defineWorker } from '${sdk}';\nexport default defineWorker({ type: 'cli-unused', handler: async () => ({}) });\n`);
    await writeFile(
      file('workers/needs.ts'),
      `import { z } from 'zod';
import { defineWorker } from '${sdk}';
export default defineWorker({
  type: 'cli-needs',
  variables: z.object({ customerId: z.string(), region: z.string(), note: z.string().optional() }),
  handler: async () => ({}),
});
`,
    );
    await writeFile(
      file('bpmn/needs.bpmn'),
      processXml('cli_needs', [
        '<bpmn:serviceTask id="ID"><bpmn:extensionElements><zeebe:taskDefinition type="cli-needs" /><zeebe:ioMapping><zeebe:input source="=&quot;EU&quot;" target="region" /></zeebe:ioMapping></bpmn:extensionElements></bpmn:serviceTask>',
      ]),
    );
    await writeFile(file('package.json'), '{ "name": "cli-test-project", "type": "module" }\n');
    await writeFile(file('bpmn/flaky.bpmn'), FLAKY);
    await writeFile(file('bpmn/missing.bpmn'), MISSING);
    await writeFile(file('more/greeting.bpmn'), GREETING);
    await writeFile(file('more/payment.bpmn'), PAYMENT);
    await writeFile(file('more/signalled.bpmn'), SIGNALLED);

    const up = await forager(['engine', 'up'], { FORAGER_HOME: home });
    assert.equal(up.code, 0, up.stderr);
    const addresses = parseUp(up.stdout);
    env = { FORAGER_HOME: home, ZEEBE_GRPC_ADDRESS: addresses.ZEEBE_GRPC_ADDRESS };
    rest = addresses.ZEEBE_REST_ADDRESS;
  });
  after(async () => {
    killSpawned();
    await cleanUp(home);
    await rm(project, { recursive: true, force: true });
  });

  it('status prints the topology: brokers, partitions with their leader, versions', async () => {
    const status = await forager(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^gateway 8\.8\.\d+ at 127\.0\.0\.1:\d+: 1 broker, 1 partition, replication factor 1$/m);
    assert.match(status.stdout, /^broker 0 at .+ \(version 8\.8\.\d+\)$/m);
    assert.match(status.stdout, /^ {2}partition 1: LEADER, HEALTHY$/m);
    const json = await forager(['--json', 'status'], env);
    const topology = JSON.parse(json.stdout) as { brokers: { partitions: { role: string }[] }[] };
    assert.equal(topology.brokers[0]!.partitions[0]!.role, 'LEADER');
  });

  it('deploy of a directory prints process id, version and key per process; start --await prints key and result', async () => {
    const deploy = await forager(['deploy', file('more')], env);
    assert.equal(deploy.code, 0, deploy.stderr);
    const lines = deploy.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => /^deployed (\w+) version (\d+) \(key (\d+)\) from (.+)$/.exec(l)?.[1]),
      ['cli_greeting', 'cli_payment', 'cli_signalled'],
      deploy.stdout,
    );

    const awaited = await forager(['start', 'cli_greeting', '--variables', '{"name":"Ada"}', '--await', '--request-timeout', '10s'], env);
    assert.equal(awaited.code, 0, awaited.stderr);
    const [key, result] = awaited.stdout.trim().split('\n');
    assert.match(key!, /^\d+$/);
    assert.deepEqual(JSON.parse(result!), { name: 'Ada', greeting: 'Hello, Ada', length: 10 });

    const fetched = await forager(['--json', 'start', 'cli_greeting', '--variables', '{"name":"Bo"}', '--await', '--fetch-variables', 'greeting', '--version', '1'], env);
    assert.equal(fetched.code, 0, fetched.stderr);
    const instance = JSON.parse(fetched.stdout) as { processInstanceKey: string; version: number; variables: unknown };
    assert.deepEqual(instance.variables, { greeting: 'Hello, Bo' });
    assert.equal(instance.version, 1);

    await writeFile(file('vars.json'), '{"name": "File"}');
    const fromFile = await forager(['start', 'cli_greeting', '--variables', `@${file('vars.json')}`, '--await', '--fetch-variables', 'greeting'], env);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromFile.stdout.trim().split('\n')[1], '{"greeting":"Hello, File"}');
  });

  it('deploy of BPMN, DMN and a form in one deployment; the business rule task evaluates the deployed decision', async () => {
    const fixtures = join(ROOT, 'test', 'fixtures', 'dmn');
    const files = ['dish-process.bpmn', 'dish.dmn', 'dish.form'].map((name) => join(fixtures, name));
    const dry = await forager(['deploy', '--dry-run', ...files], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^ok .*dish\.dmn$/m);

    const deploy = await forager(['--json', 'deploy', ...files], env);
    assert.equal(deploy.code, 0, deploy.stderr);
    const { resources } = JSON.parse(deploy.stdout) as { resources: { kind: string; version: number }[] };
    assert.deepEqual(
      resources.map((r) => `${r.kind} v${r.version}`),
      ['process v1', 'decision v1', 'decision v1', 'decisionRequirements v1', 'form v1'],
      deploy.stdout,
    );

    const started = await forager(['start', 'dish-process', '--variables', '{"month":1,"guestCount":20}', '--await', '--fetch-variables', 'meal'], env);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.stdout.trim().split('\n')[1], '{"meal":"Roastbeef"}');

    const broken = await forager(['deploy', join(fixtures, 'broken.dmn'), file('more/greeting.bpmn')], env);
    assert.equal(broken.code, 2, broken.stderr);
    assert.match(broken.stderr, /broken\.dmn:\d+: error: not well-formed XML/);
  });

  it('deploy of a file whose diagram names elements not in it (copied from another): a warning each, and it deploys and runs', async () => {
    const diagram = `
  <bpmndi:BPMNDiagram id="copied" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC">
    <bpmndi:BPMNPlane id="copied_plane" bpmnElement="Process_elsewhere">
      <bpmndi:BPMNShape id="gone_di" bpmnElement="Activity_elsewhere"><dc:Bounds x="0" y="0" width="100" height="80" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>`;
    await writeFile(file('copied.bpmn'), processXml('cli_copied', [scriptTask('=1 + 1', 'two')], diagram));
    const deploy = await forager(['deploy', file('copied.bpmn')], env);
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.match(deploy.stdout, /^deployed cli_copied version \d+ \(key \d+\) from /m);
    assert.match(deploy.stderr, /copied\.bpmn:\d+: warning: element 'copied_plane' \(bpmndi:BPMNPlane\): diagram only: its bpmnElement 'Process_elsewhere' names no element/);
    assert.match(deploy.stderr, /copied\.bpmn:\d+: warning: element 'gone_di' \(bpmndi:BPMNShape\): diagram only: its bpmnElement 'Activity_elsewhere' names no element/);
    assert.doesNotMatch(deploy.stderr, /error|TypeError|instanceOf/, 'no errors, and no lint rule throws on the plane');
    const started = await forager(['start', 'cli_copied', '--await'], env);
    assert.equal(started.code, 0, started.stderr);
    assert.deepEqual(JSON.parse(started.stdout.trim().split('\n')[1]!), { two: 2 });
  });

  it('publish: a waiting instance receives the message and its variables', async () => {
    const awaiting = forager(['start', 'cli_payment', '--variables', '{"orderId":"A-17"}', '--await', '--request-timeout', '20s'], env);
    const publish = await forager(['publish', 'cli-paid', '--correlation-key', 'A-17', '--variables', '{"amount":42.5}', '--ttl', '1m', '--message-id', 'pay-A-17'], env);
    assert.equal(publish.code, 0, publish.stderr);
    assert.match(publish.stdout.trim(), /^\d+$/);
    const done = await awaiting;
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(JSON.parse(done.stdout.trim().split('\n')[1]!), { orderId: 'A-17', amount: 42.5 });

    // The same message id again, while the first lives: the broker refuses (ALREADY_EXISTS), exit 1.
    const again = await forager(['publish', 'cli-paid', '--correlation-key', 'A-17', '--ttl', '1m', '--message-id', 'pay-A-17'], env);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /ALREADY_EXISTS/);
  });

  it('signal: an instance waiting at a signal catch event goes on', async () => {
    const started = await forager(['start', 'cli_signalled'], env);
    assert.equal(started.code, 0, started.stderr);
    const key = started.stdout.trim();
    await found('/v2/element-instances/search', { processInstanceKey: key, elementId: 'n0', state: 'ACTIVE' });
    const signal = await forager(['signal', 'cli-go', '--variables', '{"go":true}'], env);
    assert.equal(signal.code, 0, signal.stderr);
    assert.match(signal.stdout.trim(), /^\d+$/);
    await found('/v2/process-instances/search', { processInstanceKey: key, state: 'COMPLETED' });
  });

  it('cancel ends a waiting instance; cancelling it again is NOT_FOUND as a sentence (exit 1)', async () => {
    const started = await forager(['start', 'cli_payment', '--variables', '{"orderId":"never"}'], env);
    const key = started.stdout.trim();
    const cancel = await forager(['cancel', key], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout.trim(), `cancelled process instance ${key}`);
    await found('/v2/process-instances/search', { processInstanceKey: key, state: 'TERMINATED' });

    const again = await forager(['cancel', key], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`^forager: no process instance with key ${key} is active \\(the broker answered NOT_FOUND: .+\\)$`, 'm'));
  });

  it('an incident brought back to life: set-variables, retries, resolve; the instance finishes', async () => {
    const deploy = await forager(['deploy', file('bpmn/flaky.bpmn')], env);
    assert.equal(deploy.code, 0, deploy.stderr);
    const run = start(['run', '--dir', file('workers')], env);
    await waitForOutput(run, /workers running/, 20_000);

    const awaiting = forager(['start', 'cli_flaky', '--await', '--request-timeout', '60s'], env, 70_000);
    const incident = await found('/v2/incidents/search', { processDefinitionId: 'cli_flaky', state: 'ACTIVE' });
    assert.match(String(incident.errorMessage), /card service is down/);
    const { incidentKey, jobKey, processInstanceKey } = incident as Record<string, string>;

    const setVariables = await forager(['set-variables', processInstanceKey!, '{"fixed":true}'], env);
    assert.equal(setVariables.code, 0, setVariables.stderr);
    assert.equal(setVariables.stdout.trim(), `set 1 variable in ${processInstanceKey}`);
    const retries = await forager(['retries', jobKey!, '1'], env);
    assert.equal(retries.code, 0, retries.stderr);
    assert.equal(retries.stdout.trim(), `job ${jobKey} has 1 retry`);
    const resolve = await forager(['resolve', incidentKey!], env);
    assert.equal(resolve.code, 0, resolve.stderr);
    assert.equal(resolve.stdout.trim(), `resolved incident ${incidentKey}`);

    const done = await awaiting;
    assert.equal(done.code, 0, done.stderr);
    const [key, variables] = done.stdout.trim().split('\n');
    assert.equal(key, processInstanceKey);
    assert.deepEqual(JSON.parse(variables!), { fixed: true, repaired: true });

    const resolvedAgain = await forager(['resolve', incidentKey!], env);
    assert.equal(resolvedAgain.code, 1);
    assert.match(resolvedAgain.stderr, new RegExp(`^forager: no incident with key ${incidentKey} \\(the broker answered NOT_FOUND`, 'm'));
    run.kill('SIGTERM');
    assert.equal(await exitOf(run, 15_000), 0);
  });

  it('check finds the job type without a worker (exit 1), the unused worker and the variable nothing provides', async () => {
    const check = await forager(['check', '--bpmn', file('bpmn'), '--workers', file('workers')], env);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stdout, /^ok: job type 'cli-flaky' \(cli_flaky: n0\) has a worker: .*flaky\.ts$/m);
    assert.match(check.stdout, /^error: job type 'cli-missing' \(cli_missing: n0, in .*missing\.bpmn\) has no worker in .*workers\/$/m);
    assert.match(check.stdout, /^warning: worker 'cli-unused' \(.*unused\.ts\) is not used by any process/m);
    assert.match(check.stdout, /^ok: job type 'cli-needs' \(cli_needs: n0\) has a worker: .*needs\.ts$/m);
    assert.match(check.stdout, /^warning: worker 'cli-needs' \(.*needs\.ts\) requires variable 'customerId', which no process using it sets or maps/m);
    assert.doesNotMatch(check.stdout, /'region'/, 'an input mapping provides region');
    assert.doesNotMatch(check.stdout, /'note'/, 'an optional variable is not required');
    assert.match(check.stderr, /^forager: 1 job type has no worker$/m);

    const json = await forager(['--json', 'check', '--bpmn', file('bpmn'), '--workers', file('workers')], env);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as { ok: boolean; missingWorkers: { type: string }[] };
    assert.equal(report.ok, false);
    assert.deepEqual(report.missingWorkers.map((m) => m.type), ['cli-missing']);

    const quiet = await forager(['--quiet', 'check', '--bpmn', file('bpmn'), '--workers', file('workers')], env);
    assert.equal(quiet.code, 1);
    assert.match(quiet.stdout, /^error: job type 'cli-missing'/m);
    assert.doesNotMatch(quiet.stdout + quiet.stderr, /warning/, '--quiet: verdicts only');

    await rm(file('bpmn/missing.bpmn'));
    const fixed = await forager(['check', '--bpmn', file('bpmn'), '--workers', file('workers')], env);
    assert.equal(fixed.code, 0, fixed.stderr);
  });

  describe('bad input', () => {
    it('one broken file of several: names file and line, exit 2, nothing deployed', async () => {
      await writeFile(file('good.bpmn'), processXml('cli_atomic', []));
      await writeFile(file('broken.bpmn'), processXml('cli_broken', []).replace('</bpmn:process>', '</bpmn:proc>'));
      const deploy = await forager(['deploy', file('good.bpmn'), file('broken.bpmn')], env);
      assert.equal(deploy.code, 2, deploy.stderr);
      assert.match(deploy.stderr, /broken\.bpmn:8: error: not well-formed XML: .*closing tag mismatch/);
      assert.match(deploy.stderr, /^forager: nothing deployed: 1 error in 1 file$/m);
      assert.equal(deploy.stdout, '');
      const startGood = await forager(['start', 'cli_atomic'], env);
      assert.equal(startGood.code, 1);
      assert.match(startGood.stderr, /^forager: no process with id 'cli_atomic' is deployed \(the broker answered NOT_FOUND: .+\)$/m);
    });

    it('a service task without a job type and an unknown element: file, element, line (exit 2)', async () => {
      await writeFile(file('notype.bpmn'), processXml('cli_notype', ['<bpmn:serviceTask id="charge" />']));
      await writeFile(file('unknown.bpmn'), processXml('cli_unknown', ['<bpmn:fancyTask id="fancy" />']));
      const deploy = await forager(['deploy', file('notype.bpmn'), file('unknown.bpmn')], env);
      assert.equal(deploy.code, 2, deploy.stderr);
      assert.match(deploy.stderr, /notype\.bpmn:5: error: element 'charge' \(bpmn:ServiceTask\): no job type: add <zeebe:taskDefinition/);
      assert.match(deploy.stderr, /unknown\.bpmn:5: error: element 'fancy': unknown element <bpmn:fancyTask>/);
      assert.match(deploy.stderr, /nothing deployed: 2 errors in 2 files/);
      const json = await forager(['--json', 'deploy', file('notype.bpmn')], env);
      assert.equal(json.code, 2);
      const error = JSON.parse(json.stderr) as { error: { exitCode: number; problems: { elementId: string; line: number; file: string }[] } };
      assert.equal(error.error.exitCode, 2);
      assert.deepEqual(error.error.problems.map((p) => [p.elementId, p.line]), [['charge', 5]]);
    });

    it('a message catch event without a correlation key, duplicate ids, no executable process (exit 2)', async () => {
      await writeFile(
        file('nokey.bpmn'),
        processXml('cli_nokey', ['<bpmn:receiveTask id="wait" messageRef="m" />'], '<bpmn:message id="m" name="cli-x" />'),
      );
      await writeFile(file('dup.bpmn'), processXml('cli_dup', ['<bpmn:task id="s" />', '<bpmn:task id="ID" />']));
      await writeFile(file('draft.bpmn'), processXml('cli_draft', []).replace('isExecutable="true"', 'isExecutable="false"'));
      const deploy = await forager(['deploy', file('nokey.bpmn'), file('dup.bpmn'), file('draft.bpmn')], env);
      assert.equal(deploy.code, 2, deploy.stderr);
      assert.match(deploy.stderr, /nokey\.bpmn:5: error: element 'wait' \(bpmn:ReceiveTask\): the message 'cli-x' has no correlation key/);
      assert.match(deploy.stderr, /dup\.bpmn:5: error: element 's': the id 's' is used more than once/);
      assert.match(deploy.stderr, /draft\.bpmn:3: error: element 'cli_draft' \(bpmn:Process\): no executable process: set isExecutable="true"/);
    });

    it("--dry-run checks only; lint warnings and what forager's engine refuses are said; against forager's engine, or with --target forager, those are errors", async () => {
      const userTask = processXml('cli_approval', ['<bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements></bpmn:userTask>']);
      await writeFile(file('approval.bpmn'), userTask);
      // No broker address: the deployment could go anywhere, so what forager's engine refuses is a warning.
      const noBroker = { FORAGER_HOME: home };
      const dry = await forager(['deploy', '--dry-run', file('approval.bpmn')], noBroker);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^ok .*approval\.bpmn \(process cli_approval\)$/m);
      assert.match(dry.stdout, /nothing deployed \(--dry-run\); checked for Camunda 8\.8/);
      assert.match(dry.stderr, /approval\.bpmn:5: warning: element 'approve' \(bpmn:UserTask\): forager's engine refuses this at deploy: the element kind user task/);
      assert.match(dry.stderr, /warning: element 'approve' .*zeebe:FormDefinition.*\[camunda-compat\/user-task-definition\]/);
      const quiet = await forager(['--quiet', 'deploy', '--dry-run', file('approval.bpmn')], noBroker);
      assert.equal(quiet.stderr, '');

      // The broker is the engine `forager engine up` started: it would refuse the user task, so the check does.
      const atEngine = await forager(['deploy', '--dry-run', file('approval.bpmn')], env);
      assert.equal(atEngine.code, 2, atEngine.stderr);
      assert.match(atEngine.stderr, /is forager's engine \(`forager engine up` started it\): what it refuses at deploy is an error/);
      assert.match(atEngine.stderr, /approval\.bpmn:5: error: element 'approve' \(bpmn:UserTask\): forager's engine refuses this at deploy: the element kind user task/);
      const notStarted = await forager(['start', 'cli_approval'], env);
      assert.equal(notStarted.code, 1, 'nothing was deployed by --dry-run');

      const forForager = await forager(['deploy', '--dry-run', '--target', 'forager', file('approval.bpmn')], noBroker);
      assert.equal(forForager.code, 2);
      assert.match(forForager.stderr, /approval\.bpmn:5: error: element 'approve' \(bpmn:UserTask\): forager's engine refuses this at deploy/);

      // Camunda 8.2 had no inclusive gateway joins and no zeebe:userTask; its rules say so.
      const old = await forager(['deploy', '--dry-run', '--target', '8.2', file('approval.bpmn')], env);
      assert.equal(old.code, 2, old.stderr);
      assert.match(old.stderr, /camunda-compat\//);
      const bad = await forager(['deploy', '--dry-run', '--target', '9.9', file('approval.bpmn')], env);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--target must be a Camunda version \(.*8\.8.*\) or 'forager', not "9\.9"/);
    });

    it('malformed JSON variables: the position, exit 2, nothing sent (no broker needed to say so)', async () => {
      const noBroker = { FORAGER_HOME: home };
      const startBad = await forager(['start', 'cli_greeting', '--variables', '{"name": "Ada",}'], noBroker);
      assert.equal(startBad.code, 2);
      assert.match(startBad.stderr, /^forager: --variables is not valid JSON: .* at line 1, column 16 \(position 15\)$/m);
      const publishBad = await forager(['publish', 'cli-paid', '--correlation-key', 'k', '--variables', '{"a" 1}'], noBroker);
      assert.equal(publishBad.code, 2);
      assert.match(publishBad.stderr, /--variables is not valid JSON: unexpected "1", expected ":" at line 1, column 6/);
      await writeFile(file('bad.json'), '{\n  "a": tru\n}');
      const fileBad = await forager(['signal', 'cli-go', '--variables', `@${file('bad.json')}`], noBroker);
      assert.equal(fileBad.code, 2);
      assert.match(fileBad.stderr, /--variables @.*bad\.json is not valid JSON: .* at line 2, column 11/);
      const setBad = await forager(['set-variables', '1', '[1]'], noBroker);
      assert.equal(setBad.code, 2);
      assert.match(setBad.stderr, /variables must be a JSON object, got an array/);
      const keyBad = await forager(['cancel', 'abc'], noBroker);
      assert.equal(keyBad.code, 2);
      assert.match(keyBad.stderr, /expected a process instance key \(a number/);
      const ttlBad = await forager(['publish', 'm', '--correlation-key', 'k', '--ttl', 'soon'], noBroker);
      assert.equal(ttlBad.code, 2);
      assert.match(ttlBad.stderr, /--ttl: expected a duration/);
      const usage = await forager(['publish', 'm'], noBroker);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /required option '--correlation-key <key>' not specified/);
    });

    it('unknown process id, instance or job key: the broker NOT_FOUND as a sentence (exit 1)', async () => {
      const cases: [string[], RegExp][] = [
        [['start', 'cli_nope'], /^forager: no process with id 'cli_nope' is deployed \(the broker answered NOT_FOUND/m],
        [['start', 'cli_greeting', '--version', '99'], /^forager: no version 99 of process 'cli_greeting' is deployed/m],
        [['cancel', '2251799813600001'], /^forager: no process instance with key 2251799813600001 is active/m],
        [['retries', '2251799813600002', '3'], /^forager: no job with key 2251799813600002 \(the broker answered NOT_FOUND/m],
        [['resolve', '2251799813600003'], /^forager: no incident with key 2251799813600003/m],
        [['set-variables', '2251799813600004', '{}'], /^forager: no active element instance with key 2251799813600004/m],
      ];
      const results = await Promise.all(cases.map(([args]) => forager(args, env)));
      for (const [i, [args, message]] of cases.entries()) {
        assert.equal(results[i]!.code, 1, `${args.join(' ')}: ${results[i]!.stderr}`);
        assert.match(results[i]!.stderr, message);
      }
    });

    it('an unreachable broker: the address, within 10 s (exit 1)', async () => {
      const port = await freePort();
      const result = await forager(['publish', 'm', '--correlation-key', 'k'], { FORAGER_HOME: home, ZEEBE_GRPC_ADDRESS: `grpc://127.0.0.1:${port}` }, 20_000);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`cannot reach the broker at 127\\.0\\.0\\.1:${port}`));
      assert.ok(result.ms < 10_000, `took ${result.ms} ms`);
    });
  });

  it('--help of every command shows an example', async () => {
    for (const command of ['deploy', 'check', 'start', 'publish', 'signal', 'cancel', 'set-variables', 'retries', 'resolve', 'status', 'run', 'engine up', 'engine down', 'engine status']) {
      const help = await forager([...command.split(' '), '--help'], {}); // one at a time: the machine is shared
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`Usage: forager ${command}`));
      assert.match(help.stdout, /Examples?:\n {2}\$ forager /, `${command} --help has no example`);
    }
  });
});
