/**
 * README's walkthrough of the CLI ("## The CLI"), followed as a user follows it: every command spawned as
 * `node --import tsx cli/forager.ts …` from the repository root against an engine of `forager engine up` in
 * a temporary FORAGER_HOME, with the repository's own files (test/fixtures/order-draft.bpmn, bpmn/,
 * workers/). The draft is refused (the user task and the missing correlation key, exit 2) and the engine
 * agrees; check, deploy bpmn/, `forager run` as a child process, start --await, the incident found with
 * README's curl + jq command, set-variables, retries, resolve, publish; the awaiting start prints the
 * result; cancel says what README says, with its exit codes.
 *
 * Steps wait on output lines and process exits, never on sleeps; whatever is spawned is killed in `after`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, cleanUp, exitOf, forager, killSpawned, parseUp, ROOT, spawned, start } from './helpers.ts';

/** README's incident search, character for character (the test checks README still holds it). */
const INCIDENTS = `curl -s -X POST $ZEEBE_REST_ADDRESS/v2/incidents/search -H 'content-type: application/json' \\
    -d '{"filter":{"state":"ACTIVE"}}' | jq -c '.items[] | {incidentKey, jobKey, processInstanceKey, errorMessage}'`;

const DRAFT = 'test/fixtures/order-draft.bpmn';
const DOWN = 'https://cards.example.com';
const UP = 'https://cards-2.example.com';

/** A child's stdout and stderr as one text, and a wait for a pattern in it (rejects if the child exits first). */
function transcript(child: ChildProcess) {
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: string) => {
    text += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', onData);
  child.stderr?.setEncoding('utf8').on('data', onData);
  return {
    text: () => text,
    until(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          child.off('exit', onExit);
          clearTimeout(timer);
        };
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            done();
            resolve(match);
          }
        };
        const onExit = (code: number | null) => {
          done();
          reject(new Error(`exited (${code}) before printing ${pattern}:\n${text}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/** Runs a shell command line as README shows it, with `env`; resolves with its stdout once it exits 0. */
async function shell(line: string, env: Record<string, string>): Promise<string> {
  const child = spawn('sh', ['-c', line], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  const out = transcript(child);
  const code = await exitOf(child, 15_000);
  assert.equal(code, 0, out.text());
  return out.text();
}

const HAS_CURL_AND_JQ = ['curl', 'jq'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);

/** The active incidents as README's command line prints them (one JSON object a line); the same request by fetch where curl or jq is missing. */
async function activeIncidents(env: Record<string, string>): Promise<string[]> {
  if (HAS_CURL_AND_JQ) return (await shell(INCIDENTS, env)).trim().split('\n').filter(Boolean);
  const response = await fetch(`${env.ZEEBE_REST_ADDRESS}/v2/incidents/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filter: { state: 'ACTIVE' } }),
  });
  assert.equal(response.status, 200);
  const { items } = (await response.json()) as { items: Record<string, unknown>[] };
  return items.map(({ incidentKey, jobKey, processInstanceKey, errorMessage }) => JSON.stringify({ incidentKey, jobKey, processInstanceKey, errorMessage }));
}

describe("README's walkthrough of the CLI, step by step", () => {
  let home = '';
  let otherHome = '';
  let scratch = '';
  let env: Record<string, string> = {};
  let readme = '';

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'forager-walkthrough-'));
    otherHome = await mkdtemp(join(tmpdir(), 'forager-walkthrough-other-'));
    scratch = await mkdtemp(join(tmpdir(), 'forager-walkthrough-files-'));
    readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  });
  after(async () => {
    killSpawned();
    await cleanUp(home);
    await rm(otherHome, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('eval "$(forager engine up)": the three addresses', async () => {
    const up = await forager(['engine', 'up'], { FORAGER_HOME: home });
    assert.equal(up.code, 0, up.stderr);
    env = { FORAGER_HOME: home, ...parseUp(up.stdout) };
    assert.ok(readme.includes('$ eval "$(forager engine up)" && export ZEEBE_ADDRESS ZEEBE_GRPC_ADDRESS ZEEBE_REST_ADDRESS'));
  });

  it('the draft is refused before anything is sent: its user task and the missing correlation key are errors (exit 2)', async () => {
    const deploy = await forager(['deploy', DRAFT], env);
    assert.equal(deploy.code, 2, deploy.stderr);
    assert.equal(deploy.stdout, '');
    assert.match(deploy.stderr, /^forager: 127\.0\.0\.1:\d+ is forager's engine \(`forager engine up` started it\): what it refuses at deploy is an error$/m);
    assert.match(
      deploy.stderr,
      /^forager: test\/fixtures\/order-draft\.bpmn:\d+: error: element 'approve' \(bpmn:UserTask\): forager's engine refuses this at deploy: the element kind user task \[forager\/engine\]$/m,
    );
    assert.match(
      deploy.stderr,
      /^forager: test\/fixtures\/order-draft\.bpmn:\d+: error: element 'paid' \(bpmn:IntermediateCatchEvent\): the message 'payment-received' has no correlation key: add <zeebe:subscription correlationKey="=…" \/> to it$/m,
    );
    assert.match(deploy.stderr, /^forager: nothing deployed: 2 errors in 1 file$/m);
    const notDeployed = await forager(['start', 'order'], env);
    assert.equal(notDeployed.code, 1);
    assert.match(notDeployed.stderr, /no process with id 'order' is deployed/);
  });

  it("and the engine agrees: where the CLI does not know the broker is forager's, the user task is a warning that says so, and the engine refuses it", async () => {
    // The draft with its correlation key: the user task is all that is left. A FORAGER_HOME without records: an unknown broker.
    const draft = await readFile(join(ROOT, DRAFT), 'utf8');
    const onlyUserTask = draft.replace(
      '<bpmn:message id="Message_payment_received" name="payment-received" />',
      '<bpmn:message id="Message_payment_received" name="payment-received"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements></bpmn:message>',
    );
    assert.notEqual(onlyUserTask, draft);
    const file = join(scratch, 'order-user-task.bpmn');
    await writeFile(file, onlyUserTask);
    const unknown = { FORAGER_HOME: otherHome, ZEEBE_GRPC_ADDRESS: env.ZEEBE_GRPC_ADDRESS! };
    const deploy = await forager(['deploy', file], unknown);
    assert.match(deploy.stderr, /warning: element 'approve' \(bpmn:UserTask\): forager's engine refuses this at deploy: the element kind user task \[forager\/engine\]/);
    assert.doesNotMatch(deploy.stderr, /is forager's engine/);
    assert.equal(deploy.code, 2, `the engine refuses it (INVALID_ARGUMENT): ${deploy.stderr}`);
    assert.match(deploy.stderr, /approve \(bpmn:UserTask\)[\s\S]*the element kind 'bpmn:UserTask' is not supported by forager's engine/);
    const notDeployed = await forager(['start', 'order'], env);
    assert.equal(notDeployed.code, 1, 'nothing was deployed');

    // --dry-run against the recorded engine says what the deployment would: an error.
    const dry = await forager(['deploy', '--dry-run', file], env);
    assert.equal(dry.code, 2, dry.stderr);
    assert.match(dry.stderr, /error: element 'approve' \(bpmn:UserTask\): forager's engine refuses this at deploy/);
  });

  it('forager check: the job type of order has its worker', async () => {
    const check = await forager(['check'], env);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^ok: job type 'charge-card' \(order: charge\) has a worker: workers\/charge-card\.ts$/m);
    assert.match(check.stdout, /^ok: job type 'greet' \(hello: greet\) has a worker: workers\/greet\.ts$/m);
  });

  it('forager deploy bpmn/: the fixed file deploys (with hello)', async () => {
    const deploy = await forager(['deploy', 'bpmn/'], env);
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.equal(deploy.stderr, '', 'no warnings for the fixed file');
    assert.match(deploy.stdout, /^deployed order version 1 \(key \d+\) from bpmn\/order\.bpmn$/m);
    assert.match(deploy.stdout, /^deployed hello version 1 \(key \d+\) from bpmn\/hello\.bpmn$/m);
  });

  it('run, start --await, the incident over REST, set-variables + retries + resolve, publish: the awaiting start prints the result; cancel', async () => {
    // `forager run` (README: `forager run >run.log 2>&1 &`); any free port for its HTTP server, beside other tests.
    const run = start(['run', '--http-port', '0'], env);
    const runLog = transcript(run);
    await runLog.until(/"msg":"ready: connected to the broker/);

    const awaiting = start(['start', 'order', '--variables', '{"orderId":"A-17","total":42.5}', '--await', '--request-timeout', '2m'], env);
    const result = transcript(awaiting);
    const awaited = exitOf(awaiting, 120_000);
    // The card service is down: the worker throws a NonRetryableError and the job has an incident.
    await runLog.until(/"jobType":"charge-card".*"msg":"job failed: no retries left, an incident is raised"/);

    assert.ok(readme.includes(`$ ${INCIDENTS}\n`), "README's incident search is the one run here");
    const lines = await activeIncidents(env);
    assert.equal(lines.length, 1, lines.join('\n'));
    const incident = JSON.parse(lines[0]!) as Record<string, string>;
    assert.deepEqual(Object.keys(incident), ['incidentKey', 'jobKey', 'processInstanceKey', 'errorMessage']);
    assert.equal(incident.errorMessage, `charge-card: NonRetryableError: card service ${DOWN} is down`);
    for (const key of ['incidentKey', 'jobKey', 'processInstanceKey']) assert.match(incident[key]!, /^\d+$/, key);
    const { incidentKey, jobKey, processInstanceKey } = incident as { incidentKey: string; jobKey: string; processInstanceKey: string };
    assert.equal(result.text(), '', 'the start still waits');

    const setVariables = await forager(['set-variables', processInstanceKey, JSON.stringify({ cardServiceUrl: UP })], env);
    assert.equal(setVariables.code, 0, setVariables.stderr);
    assert.equal(setVariables.stdout, `set 1 variable in ${processInstanceKey}\n`);
    const retries = await forager(['retries', jobKey, '1'], env);
    assert.equal(retries.code, 0, retries.stderr);
    assert.equal(retries.stdout, `job ${jobKey} has 1 retry\n`);
    const resolve = await forager(['resolve', incidentKey], env);
    assert.equal(resolve.code, 0, resolve.stderr);
    assert.equal(resolve.stdout, `resolved incident ${incidentKey}\n`);

    // The job is charged now, and the order waits for its payment (the message lives 10 minutes, should it come first).
    const publish = await forager(['publish', 'payment-received', '--correlation-key', 'A-17', '--ttl', '10m'], env);
    assert.equal(publish.code, 0, publish.stderr);
    assert.match(publish.stdout, /^\d+\n$/);

    assert.equal(await awaited, 0, result.text());
    const [key, variables, ...rest] = result.text().trim().split('\n');
    assert.deepEqual(rest, []);
    assert.equal(key, processInstanceKey);
    assert.deepEqual(JSON.parse(variables!), { orderId: 'A-17', total: 42.5, cardServiceUrl: UP, charged: true });
    assert.match(runLog.text(), /"msg":"charged 42\.5 for order A-17"/);

    // Another order waits for its payment: cancel it. A-17 has completed: nothing to cancel (exit 1).
    const other = await forager(['start', 'order', '--variables', JSON.stringify({ orderId: 'A-18', total: 9.9, cardServiceUrl: UP })], env);
    assert.equal(other.code, 0, other.stderr);
    const otherKey = other.stdout.trim();
    assert.match(otherKey, /^\d+$/);
    const cancel = await forager(['cancel', otherKey], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout, `cancelled process instance ${otherKey}\n`);
    const cancelDone = await forager(['cancel', processInstanceKey], env);
    assert.equal(cancelDone.code, 1);
    assert.match(cancelDone.stderr, new RegExp(`^forager: no process instance with key ${processInstanceKey} is active \\(the broker answered NOT_FOUND: `, 'm'));

    run.kill('SIGTERM');
    assert.equal(await exitOf(run, 30_000), 0, runLog.text());
  });

  it("README's transcript is what these commands print", () => {
    const section = readme.slice(readme.indexOf('## The CLI'), readme.indexOf('\n## ', readme.indexOf('## The CLI') + 1));
    for (const line of [
      `$ forager deploy ${DRAFT}`,
      "error: element 'approve' (bpmn:UserTask): forager's engine refuses this at deploy: the element kind user task [forager/engine]",
      "error: element 'paid' (bpmn:IntermediateCatchEvent): the message 'payment-received' has no correlation key",
      'forager: nothing deployed: 2 errors in 1 file',
      "ok: job type 'charge-card' (order: charge) has a worker: workers/charge-card.ts",
      '$ forager deploy bpmn/',
      `"errorMessage":"charge-card: NonRetryableError: card service ${DOWN} is down"`,
      `$ forager set-variables `,
      `'{"cardServiceUrl":"${UP}"}'`,
      '$ forager publish payment-received --correlation-key A-17 --ttl 10m',
      `{"orderId":"A-17","total":42.5,"cardServiceUrl":"${UP}","charged":true}`,
    ]) {
      assert.ok(section.includes(line), `README's "The CLI" shows: ${line}`);
    }
    assert.doesNotMatch(section, /would not run/);
  });
});
