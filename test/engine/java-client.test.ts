/**
 * Contract tests driven by Camunda's official Java client (`io.camunda:camunda-client-java` 8.9.0, from Maven
 * Central), a client no one here wrote: one JVM runs the probe (`test/clients/java/src/ForagerProbe.java`)
 * through every scenario against one engine, and each test below asserts on what the client printed for its
 * scenario and on the engine's records. The probe forces gRPC (`preferRestOverGrpc(false)`) and uses REST
 * only where the engine serves it: topology (`GET /v2/topology`) and the clock (`PUT /v2/clock`,
 * `POST /v2/clock/reset`) and, in the `restApi` scenario, the REST API v2 subset the engine serves (`useRest()`).
 *
 * Skips, with the reason, when `java`, `javac` or `mvn` are missing or Maven cannot resolve the client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEngine } from '../../src/testing/index.ts';
import { eventsOf, incidentsCreated, instanceCompleted, type Engine, type EngineRecord } from '../helpers/engine-harness.ts';
import { prepareJavaProbe, runJavaProbe, type ProbeLine, type ProbeRun } from '../helpers/java.ts';

const probe = await prepareJavaProbe();

/** The job fields the probe prints (ActivatedJob's getters). */
interface Job {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: Record<string, string>;
  worker: string;
  retries: number;
  deadline: number;
  variables: Record<string, unknown>;
  tenantId: string;
  kind: string;
}

interface Instance {
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  tenantId: string;
}

describe('Java client (io.camunda:camunda-client-java 8.9.0)', { skip: probe.ready ? false : probe.reason }, () => {
  let engine: Engine;
  let run: ProbeRun;
  const stopProbe = new AbortController();

  before(
    async () => {
      if (!probe.ready) return;
      engine = await startEngine();
      run = await runJavaProbe(probe, {
        grpcAddress: engine.address,
        restAddress: engine.restAddress,
        signal: stopProbe.signal,
        answer: (question) => {
          if (question.question === 'engineTime') return { now: engine.clock.now() };
          if (question.question === 'incidentKey') {
            const incident = incidentsCreated(engine, String(question.processInstanceKey))[0];
            return { incidentKey: incident?.key ?? null };
          }
          throw new Error(`the probe asked an unknown question: ${JSON.stringify(question)}`);
        },
      });
    },
    { timeout: 240_000 },
  );
  after(async () => {
    stopProbe.abort();
    await engine?.stop();
  });

  /** The lines of one scenario; asserts that it ran to its end without throwing. */
  function scenario(name: string): ProbeLine[] {
    const lines = run.lines.filter((l) => l.scenario === name);
    const end = lines.find((l) => l.step === 'end');
    assert.ok(end, `scenario ${name} did not end (probe exit ${run.exitCode}); stderr: ${run.stderr.slice(-2000)}`);
    assert.equal(end.ok, true, `scenario ${name} failed in the Java client: ${String(end.error)}`);
    return lines;
  }

  function step(lines: ProbeLine[], name: string): ProbeLine {
    const line = lines.find((l) => l.step === name);
    assert.ok(line, `no step '${name}' in ${JSON.stringify(lines)}`);
    return line;
  }

  /** A step that ran a command expected to be rejected: checks the gRPC status code and message. */
  function rejected(lines: ProbeLine[], name: string, code: string, message?: RegExp): ProbeLine {
    const line = step(lines, name);
    assert.equal(line.rejected, true, `step ${name} should have been rejected: ${JSON.stringify(line)}`);
    assert.equal(line.api, 'grpc', `step ${name} went over ${String(line.api)}`);
    assert.equal(line.exception, 'io.camunda.client.api.command.ClientStatusException');
    assert.equal(line.code, code, `step ${name}: expected ${code}, got ${String(line.code)}: ${String(line.message)}`);
    if (message) assert.match(String(line.message), message);
    return line;
  }

  const jobEvents = (type: string, intent?: string): EngineRecord[] =>
    eventsOf(engine, 'JOB', intent).filter((r) => r.value.type === type);

  test('the probe ran every scenario in one JVM and exited 0', (t) => {
    const ends = run.lines.filter((l) => l.step === 'end');
    t.diagnostic(`JVM probe wall time ${run.wallMs} ms for ${ends.length} scenarios`);
    const failed = ends.filter((l) => l.ok !== true).map((l) => `${l.scenario}: ${String(l.error)}`);
    assert.deepEqual(failed, []);
    assert.ok(ends.length >= 34, `expected all scenarios, got ${ends.length}`);
    assert.equal(run.exitCode, 0, run.stderr.slice(-2000));
    assert.deepEqual(
      run.lines.filter((l) => l.step === 'unparsed'),
      [],
      'every line the probe printed is JSON',
    );
  });

  test('topology over gRPC and over REST: one broker, partition 1 leader and healthy, gateway 8.8.x', () => {
    for (const name of ['topology', 'topologyRest']) {
      const line = step(scenario(name), 'topology');
      assert.equal(line.api, name === 'topology' ? 'grpc' : 'rest');
      const topo = line.topology as {
        clusterSize: number;
        partitionsCount: number;
        replicationFactor: number;
        gatewayVersion: string;
        brokers: { nodeId: number; address: string; partitions: { partitionId: number; role: string; leader: boolean; health: string }[] }[];
      };
      assert.equal(topo.clusterSize, 1);
      assert.equal(topo.partitionsCount, 1);
      assert.equal(topo.replicationFactor, 1);
      assert.match(topo.gatewayVersion, /^8\.8\.\d+/);
      assert.equal(topo.brokers.length, 1);
      assert.equal(topo.brokers[0]!.address, engine.address);
      assert.deepEqual(topo.brokers[0]!.partitions, [{ partitionId: 1, role: 'LEADER', leader: true, health: 'HEALTHY' }]);
    }
  });

  test('deploy a model from the client\'s BPMN builder: version 1, the same again keeps version and key', () => {
    const lines = scenario('deploySingle');
    const deployed = step(lines, 'deployed');
    const processes = deployed.processes as { bpmnProcessId: string; version: number; processDefinitionKey: string; resourceName: string; tenantId: string }[];
    assert.equal(deployed.tenantId, '<default>');
    assert.equal(processes.length, 1);
    assert.deepEqual({ ...processes[0], processDefinitionKey: undefined }, {
      bpmnProcessId: 'java-deploySingle',
      version: 1,
      resourceName: 'single.bpmn',
      tenantId: '<default>',
      processDefinitionKey: undefined,
    });
    const again = (step(lines, 'deployedAgain').processes as typeof processes)[0]!;
    assert.equal(again.version, 1);
    assert.equal(again.processDefinitionKey, processes[0]!.processDefinitionKey);
    assert.ok(eventsOf(engine, 'PROCESS', 'CREATED').some((r) => r.value.bpmnProcessId === 'java-deploySingle'));
  });

  test('deploy two resources in one command: both processes, in order', () => {
    const deployed = step(scenario('deployMany'), 'deployed');
    const processes = deployed.processes as { bpmnProcessId: string; resourceName: string; version: number }[];
    assert.deepEqual(
      processes.map((p) => [p.bpmnProcessId, p.resourceName, p.version]),
      [
        ['java-deployMany-a', 'a.bpmn', 1],
        ['java-deployMany-b', 'b.bpmn', 1],
      ],
    );
  });

  test('deploy broken XML: the client\'s exception carries INVALID_ARGUMENT and the engine\'s message; nothing is deployed', () => {
    const lines = scenario('deployBroken');
    rejected(lines, 'brokenXml', 'INVALID_ARGUMENT', /broken\.bpmn/);
    rejected(lines, 'goodAndBad', 'INVALID_ARGUMENT', /bad\.bpmn/);
    rejected(lines, 'createFromRejected', 'NOT_FOUND');
    assert.ok(!eventsOf(engine, 'PROCESS', 'CREATED').some((r) => r.value.bpmnProcessId === 'java-deployBroken-good'));
  });

  test('create instance: latest, by version, by key; unknown process, version or key → NOT_FOUND; variables [1,2] → INVALID_ARGUMENT', () => {
    const lines = scenario('createInstance');
    const deployed = step(lines, 'deployed') as unknown as { v1: { processDefinitionKey: string }; v2: { processDefinitionKey: string } };
    const latest = step(lines, 'latest').instance as Instance;
    const byVersion = step(lines, 'byVersion').instance as Instance;
    const byKey = step(lines, 'byKey').instance as Instance;
    assert.equal(latest.version, 2);
    assert.equal(latest.processDefinitionKey, deployed.v2.processDefinitionKey);
    assert.equal(byVersion.version, 1);
    assert.equal(byVersion.processDefinitionKey, deployed.v1.processDefinitionKey);
    assert.equal(byKey.version, 2);
    assert.equal(byKey.bpmnProcessId, 'java-createInstance');
    assert.equal(latest.tenantId, '<default>');
    rejected(lines, 'unknownProcess', 'NOT_FOUND');
    rejected(lines, 'unknownVersion', 'NOT_FOUND');
    rejected(lines, 'unknownKey', 'NOT_FOUND');
    rejected(lines, 'variablesNotAnObject', 'INVALID_ARGUMENT');
    for (const instance of [latest, byVersion, byKey]) {
      assert.ok(instanceCompleted(engine, instance.processInstanceKey), `instance ${instance.processInstanceKey} completed`);
    }
    const via = eventsOf(engine, 'VARIABLE', 'CREATED')
      .filter((r) => r.value.name === 'via')
      .map((r) => [String(r.value.processInstanceKey), r.value.value]);
    assert.deepEqual(
      new Map(via.filter(([k]) => [latest, byVersion, byKey].some((i) => i.processInstanceKey === k)) as [string, unknown][]),
      new Map([
        [latest.processInstanceKey, 'latest'],
        [byVersion.processInstanceKey, 'version'],
        [byKey.processInstanceKey, 'key'],
      ]),
    );
  });

  test('create instance with result: waits for the end; fetchVariables limits the variables', () => {
    const lines = scenario('createWithResult');
    const result = step(lines, 'result');
    assert.equal(result.processInstanceKey, result.jobInstanceKey);
    assert.equal(result.bpmnProcessId, 'java-createWithResult');
    assert.equal(result.version, 1);
    assert.deepEqual(result.variables, { a: 1, done: true });
    assert.deepEqual(step(lines, 'resultAll').variables, { x: 1, y: 2 });
    assert.ok(instanceCompleted(engine, String(result.processInstanceKey)));
  });

  test('start instructions (startBeforeElement): the instance starts at the element; an unknown element → INVALID_ARGUMENT', () => {
    const lines = scenario('startInstructions');
    assert.equal(lines.find((l) => l.step === 'refused'), undefined, 'the engine runs start instructions');
    const started = step(lines, 'started');
    assert.equal((started.job as Job).elementId, 'second');
    assert.equal(started.firstJobs, 0);
    assert.ok(instanceCompleted(engine, String(started.processInstanceKey)));
    rejected(lines, 'unknownElement', 'INVALID_ARGUMENT');
  });

  test(
    'runtime instructions (terminateAfterElement): refused with INVALID_ARGUMENT (a field the engine\'s protocol lacks), never dropped silently',
    () => {
      const line = step(scenario('runtimeInstructions'), 'terminateAfter');
      assert.equal(line.accepted, false, 'the engine cannot run runtime instructions, so it must refuse them');
      assert.equal(line.code, 'INVALID_ARGUMENT');
    },
  );

  test('activate jobs (command) and complete with variables: every ActivatedJob field as the client reads it', () => {
    const lines = scenario('activateAndComplete');
    const created = step(lines, 'created').instance as Instance;
    assert.equal(step(lines, 'emptyPoll').count, 0);
    const jobs = step(lines, 'activated').jobs as Job[];
    assert.equal(jobs.length, 1);
    const job = jobs[0]!;
    assert.equal(job.type, 'java-activateAndComplete-work');
    assert.equal(job.processInstanceKey, created.processInstanceKey);
    assert.equal(job.processDefinitionKey, created.processDefinitionKey);
    assert.equal(job.bpmnProcessId, 'java-activateAndComplete');
    assert.equal(job.processDefinitionVersion, 1);
    assert.equal(job.elementId, 'task');
    assert.deepEqual(job.customHeaders, { currency: 'EUR', region: 'eu' });
    assert.equal(job.worker, 'java-probe');
    assert.equal(job.retries, 5);
    assert.deepEqual(job.variables, { orderId: 'J-1', total: 12.5, items: ['a', 'b'] });
    assert.equal(job.tenantId, '<default>');
    assert.equal(job.kind, 'BPMN_ELEMENT');
    const activated = eventsOf(engine, 'JOB_BATCH', 'ACTIVATED').find((r) => (r.value.jobKeys as string[]).includes(job.key));
    assert.ok(activated, 'a JOB_BATCH ACTIVATED record holds the job');
    assert.equal(job.deadline, activated.value.deadline, 'the deadline the client sees is the engine\'s');
    assert.equal(step(lines, 'activatedAgain').count, 0, 'an activated job is not handed out twice');
    const completed = jobEvents(job.type, 'COMPLETED')[0];
    assert.deepEqual(completed?.value.variables, { charged: true, receipt: { id: 7 } });
    assert.ok(instanceCompleted(engine, created.processInstanceKey));
    rejected(lines, 'completeAgain', 'NOT_FOUND');
  });

  test(
    'a BPMN job reads listenerEventType UNSPECIFIED in the Java client, as a Zeebe 8.8 broker sends it (field 17, beyond the SDK proto)',
    () => {
      const job = (step(scenario('activateAndComplete'), 'activated').jobs as (Job & { listenerEventType: string })[])[0]!;
      assert.equal(job.listenerEventType, 'UNSPECIFIED');
    },
  );

  for (const [name, streaming] of [['workerPolling', false], ['workerStreaming', true]] as const) {
    test(`the client's JobWorker (${streaming ? 'streamEnabled(true)' : 'polling'}) completes 40 jobs, each once`, () => {
      const handled = step(scenario(name), 'handled');
      assert.equal(handled.finished, true);
      assert.equal(handled.handled, 40);
      assert.equal(handled.duplicates, 0);
      const type = `java-${name}-work`;
      assert.equal(jobEvents(type, 'COMPLETED').length, 40);
      for (const key of handled.instances as string[]) assert.ok(instanceCompleted(engine, key), `instance ${key} completed`);
      const workerName = `java-${streaming ? 'streaming' : 'polling'}`;
      assert.ok(
        jobEvents(type, 'COMPLETED').every((r) => (r.value.variables as Record<string, unknown>).handledBy === workerName),
        'every job was activated by this worker',
      );
      if (streaming) {
        const pushed = engine
          .records()
          .filter((r) => r.recordType === 'COMMAND' && r.valueType === 'JOB_BATCH' && r.value.type === type && Array.isArray(r.value.jobKeys));
        assert.ok(pushed.length > 0, 'some jobs were pushed on the client\'s job stream');
      }
    });
  }

  test('a JobWorker handler that throws: the client fails the job with retries - 1 and the exception; the retry completes', () => {
    const handled = step(scenario('workerFailures'), 'handled');
    assert.equal(handled.finished, true);
    assert.deepEqual(handled.retriesSeen, [3, 2]);
    const failed = jobEvents('java-workerFailures-work', 'FAILED')[0];
    assert.equal(failed?.value.retries, 2);
    assert.match(String(failed?.value.errorMessage), /IllegalStateException: first attempt fails/);
    assert.ok(instanceCompleted(engine, String(handled.processInstanceKey)));
  });

  test('activate jobs with fetchVariables: only the named variables that exist', () => {
    assert.deepEqual(step(scenario('fetchVariables'), 'activated').variables, { a: 1, c: 3 });
  });

  test('create with result that does not end within its request timeout: DEADLINE_EXCEEDED, the instance keeps running', () => {
    const lines = scenario('withResultTimeout');
    rejected(lines, 'timedOut', 'DEADLINE_EXCEEDED');
    const key = String(step(lines, 'stillRunning').processInstanceKey);
    assert.ok(eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === key), 'cancelled afterwards');
  });

  test('fail with retries and backoff: invisible during the backoff, back after the clock (pinned by the client over REST) passes it', () => {
    const lines = scenario('failWithBackoff');
    const first = step(lines, 'activated').job as Job;
    assert.equal(first.retries, 3);
    assert.equal(step(lines, 'duringBackoff').count, 0);
    const failed = jobEvents(first.type, 'FAILED')[0];
    assert.equal(failed?.value.retries, 2);
    assert.equal(failed?.value.retryBackOff, 60_000);
    assert.equal(failed?.value.errorMessage, 'try later');
    assert.ok(eventsOf(engine, 'JOB', 'RECURRED_AFTER_BACKOFF').some((r) => r.key === first.key));
    const again = step(lines, 'afterBackoff').job as Job;
    assert.equal(again.key, first.key);
    assert.equal(again.retries, 2, 'FailJob\'s retries is the new count, as sent');
    assert.deepEqual(again.variables, { attempt: 1 }, 'the fail command\'s variables are set on the task');
    assert.ok(instanceCompleted(engine, String(step(lines, 'completed').processInstanceKey)));
  });

  test('retries to 0 → incident; resolve is refused until retries are updated; then the job comes back and the instance completes', () => {
    const lines = scenario('incidentAndResolve');
    const failed = step(lines, 'failed');
    const instanceKey = String(failed.processInstanceKey);
    const incident = incidentsCreated(engine, instanceKey)[0];
    assert.equal(incident?.value.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident?.value.errorMessage, 'card declined');
    assert.equal(String(incident?.value.jobKey), failed.jobKey);
    assert.equal(step(lines, 'noJob').count, 0);
    rejected(lines, 'completeFailedJob', 'FAILED_PRECONDITION');
    rejected(lines, 'resolveBeforeRetries', 'FAILED_PRECONDITION');
    rejected(lines, 'updateRetriesZero', 'INVALID_ARGUMENT');
    assert.equal(step(lines, 'resolved').incidentKey, incident?.key);
    rejected(lines, 'resolveAgain', 'NOT_FOUND');
    const again = step(lines, 'reactivated').job as Job;
    assert.equal(again.key, failed.jobKey);
    assert.equal(again.retries, 2);
    assert.ok(eventsOf(engine, 'INCIDENT', 'RESOLVED').some((r) => r.key === incident?.key));
    assert.ok(instanceCompleted(engine, instanceKey));
  });

  test('throw error caught by an error boundary: the task is left, the handler path runs; an uncaught error raises an incident', () => {
    const lines = scenario('throwErrorCaught');
    const thrown = step(lines, 'thrown');
    rejected(lines, 'completeThrownJob', 'NOT_FOUND');
    const handler = step(lines, 'handler').job as Job;
    assert.equal(handler.elementId, 'handle');
    const uncaught = step(lines, 'uncaught');
    assert.equal(handler.processInstanceKey, uncaught.caughtInstance);
    // The thrown variables are locals of the boundary event; its output mapping carries one out (V7).
    assert.deepEqual(handler.variables, { orderId: 'E-1', failureReason: 'declined' });
    const caughtInstance = String(uncaught.caughtInstance);
    const reason = eventsOf(engine, 'VARIABLE', 'CREATED').find(
      (r) => r.value.name === 'reason' && String(r.value.processInstanceKey) === caughtInstance,
    );
    assert.ok(reason && String(reason.value.scopeKey) !== caughtInstance, 'the thrown variable is local to the catch event');
    assert.ok(
      eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED').some(
        (r) => String(r.value.processInstanceKey) === caughtInstance && r.value.elementId === 'caught',
      ),
      'the boundary event completed',
    );
    assert.ok(eventsOf(engine, 'JOB', 'ERROR_THROWN').some((r) => r.key === thrown.jobKey));
    assert.ok(instanceCompleted(engine, caughtInstance));
    const incident = incidentsCreated(engine, String(uncaught.processInstanceKey))[0];
    assert.equal(incident?.value.errorType, 'UNHANDLED_ERROR_EVENT');
    assert.match(String(incident?.value.errorMessage), /NOBODY_CATCHES/);
  });

  test('update job timeout: the engine moves the deadline; an unknown job → NOT_FOUND', () => {
    const lines = scenario('updateTimeout');
    const updated = step(lines, 'updated');
    const event = eventsOf(engine, 'JOB', 'TIMEOUT_UPDATED').find((r) => r.key === updated.jobKey);
    assert.ok(event, 'a TIMEOUT_UPDATED record');
    const activatedDeadline = Number(updated.deadline);
    assert.ok(
      Number(event.value.deadline) >= activatedDeadline + 25 * 60_000,
      `30 minutes from now is later than the 5-minute deadline: ${String(event.value.deadline)} vs ${activatedDeadline}`,
    );
    rejected(lines, 'unknownJob', 'NOT_FOUND');
  });

  test('set variables: local stays on the task, not local goes to the root; unknown scope → NOT_FOUND; an array → INVALID_ARGUMENT', () => {
    const lines = scenario('setVariables');
    const set = step(lines, 'set');
    rejected(lines, 'unknownScope', 'NOT_FOUND');
    rejected(lines, 'notAnObject', 'INVALID_ARGUMENT');
    assert.deepEqual(step(lines, 'secondTask').variables, { shared: 'root', everywhere: 2, fromRoot: true });
    const created = eventsOf(engine, 'VARIABLE', 'CREATED');
    const scopeOf = (name: string) => created.filter((r) => r.value.name === name).map((r) => String(r.value.scopeKey));
    assert.deepEqual(scopeOf('onlyHere'), [set.elementInstanceKey]);
    const root = String(created.find((r) => r.value.name === 'fromRoot')?.value.processInstanceKey);
    assert.deepEqual(scopeOf('everywhere'), [root]);
    assert.deepEqual(scopeOf('fromRoot'), [root]);
    assert.ok(
      eventsOf(engine, 'VARIABLE_DOCUMENT', 'UPDATED').some((r) => r.key === set.localKey && r.value.local === true),
      'the SetVariables answer carries the command\'s key',
    );
  });

  test('publish message with TTL correlates to a waiting instance; a duplicate messageId → ALREADY_EXISTS; a buffered message waits for its instance', () => {
    const lines = scenario('publishMessage');
    const waiting = step(lines, 'waiting');
    assert.equal(waiting.jobsBefore, 0);
    const published = step(lines, 'published');
    rejected(lines, 'duplicate', 'ALREADY_EXISTS');
    const job = step(lines, 'correlated').job as Job;
    assert.equal(job.processInstanceKey, waiting.processInstanceKey);
    assert.deepEqual(job.variables, { orderId: 'M-1', amount: 30 });
    const message = eventsOf(engine, 'MESSAGE', 'PUBLISHED').find((r) => r.key === published.messageKey);
    assert.equal(message?.value.timeToLive, 600_000);
    assert.equal(message?.value.messageId, 'pay-M-1');
    const buffered = step(lines, 'buffered');
    assert.deepEqual((buffered.job as Job).variables, { orderId: 'M-2', amount: 40 });
    assert.ok(instanceCompleted(engine, String(waiting.processInstanceKey)));
    assert.ok(instanceCompleted(engine, String(buffered.processInstanceKey)));
    const zeroTtl = step(lines, 'zeroTtlIdAgain');
    assert.equal(zeroTtl.rejected, false, 'a message with TTL 0 is not kept, so its id is free again');
  });

  test('broadcast signal: the client gets the key of a SIGNAL BROADCASTED record', () => {
    const line = step(scenario('broadcastSignal'), 'broadcast');
    assert.equal(line.tenantId, '<default>');
    const record = eventsOf(engine, 'SIGNAL', 'BROADCASTED').find((r) => r.key === line.key);
    assert.equal(record?.value.signalName, 'java-broadcastSignal-alarm');
    assert.deepEqual(record?.value.variables, { level: 3 });
  });

  test('cancel instance: terminated, its job gone; cancelling again → NOT_FOUND', () => {
    const lines = scenario('cancelInstance');
    const key = String(step(lines, 'cancelled').processInstanceKey);
    assert.ok(eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === key));
    assert.ok(jobEvents('java-cancelInstance-work', 'CANCELED').length === 1);
    rejected(lines, 'cancelAgain', 'NOT_FOUND');
    rejected(lines, 'completeJobOfCancelled', 'NOT_FOUND');
  });

  test('NOT_FOUND for unknown jobs, instances, incidents and processes, as ClientStatusException', () => {
    const lines = scenario('notFound');
    for (const name of ['completeJob', 'failJob', 'throwError', 'updateRetries', 'cancelInstance', 'resolveIncident', 'createUnknownProcess']) {
      rejected(lines, name, 'NOT_FOUND', /^Command '\w+' rejected with code 'NOT_FOUND': /);
    }
  });

  test('gateways, receive task and terminate end from the client\'s builder: both paths complete', () => {
    const done = step(scenario('gateways'), 'done');
    const big = String(done.big);
    const small = String(done.small);
    assert.ok(instanceCompleted(engine, big));
    assert.ok(instanceCompleted(engine, small));
    const completedIds = (key: string) =>
      eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED')
        .filter((r) => String(r.value.processInstanceKey) === key)
        .map((r) => r.value.elementId);
    assert.ok(completedIds(big).includes('join') && completedIds(big).includes('bigEnd'));
    assert.ok(completedIds(small).includes('confirm') && completedIds(small).includes('smallEnd'));
    assert.ok(!completedIds(small).includes('review'));
  });

  /** Element ids completed in one process instance. */
  const completedIn = (processInstanceKey: string) =>
    eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_COMPLETED')
      .filter((r) => String(r.value.processInstanceKey) === processInstanceKey)
      .map((r) => String(r.value.elementId));

  test('timers: a timer catch event and an interrupting timer boundary fire when the client pins the clock past them', () => {
    const lines = scenario('timers');
    const waiting = step(lines, 'waiting');
    assert.equal(waiting.jobsBefore, 0, 'no job before the timer fired');
    const instance = String(waiting.processInstanceKey);
    const task = step(lines, 'afterTimer').job as Job;
    assert.equal(task.processInstanceKey, instance);
    rejected(lines, 'completeAfterBoundary', 'NOT_FOUND');
    assert.equal((step(lines, 'escalated').job as Job).elementId, 'escalate');
    const triggered = eventsOf(engine, 'TIMER', 'TRIGGERED').filter((r) => String(r.value.processInstanceKey) === instance);
    assert.equal(triggered.length, 2, 'two timers triggered');
    assert.ok(completedIn(instance).includes('wait') && completedIn(instance).includes('late'));
    assert.ok(instanceCompleted(engine, instance));
  });

  test('signals: BroadcastSignal releases every instance waiting at a signal catch event, with its variables', () => {
    const lines = scenario('signals');
    assert.equal(step(lines, 'waiting').jobsBefore, 0);
    const released = step(lines, 'released');
    const jobs = released.jobs as Job[];
    assert.deepEqual(jobs.map((j) => j.processInstanceKey).sort(), (released.instances as string[]).slice().sort());
    for (const job of jobs) assert.equal(job.variables.go, true);
    assert.ok(eventsOf(engine, 'SIGNAL', 'BROADCASTED').some((r) => r.key === released.signalKey));
    for (const key of released.instances as string[]) assert.ok(instanceCompleted(engine, key));
  });

  test('embedded subprocess and call activity: jobs inside both, the child cannot be cancelled on its own, all complete', () => {
    const lines = scenario('subprocesses');
    const inner = step(lines, 'inner').job as Job;
    assert.equal(inner.elementId, 'inner');
    const child = step(lines, 'child').job as Job;
    assert.equal(child.bpmnProcessId, 'java-subprocesses-child');
    assert.notEqual(child.processInstanceKey, inner.processInstanceKey);
    assert.deepEqual(child.variables, { orderId: 'S-1', innerDone: true }, 'the child sees the parent\'s variables');
    rejected(lines, 'cancelChild', 'FAILED_PRECONDITION');
    const parent = String(step(lines, 'done').processInstanceKey);
    assert.ok(instanceCompleted(engine, child.processInstanceKey));
    assert.ok(instanceCompleted(engine, parent));
    assert.ok(completedIn(parent).includes('sub') && completedIn(parent).includes('call'));
    const childResult = eventsOf(engine, 'VARIABLE', 'CREATED').find((r) => r.value.name === 'childResult' && String(r.value.processInstanceKey) === parent);
    assert.ok(childResult, 'the child\'s variables are propagated to the parent');
  });

  test('multi-instance: a JobWorker handles one job per item; the output collection is in order', () => {
    const lines = scenario('multiInstance');
    const handled = step(lines, 'handled');
    assert.equal(handled.finished, true);
    assert.deepEqual((handled.items as number[]).slice().sort(), [1, 2, 3]);
    const after = step(lines, 'after').job as Job;
    assert.deepEqual(after.variables, { items: [1, 2, 3], results: [2, 4, 6] });
    assert.ok(instanceCompleted(engine, after.processInstanceKey));
  });

  test('inclusive gateway takes the true branches and joins; event-based gateway follows the message', () => {
    const lines = scenario('moreGateways');
    const inclusive = step(lines, 'inclusive');
    assert.deepEqual(inclusive.taken, ['a', 'c']);
    assert.ok(instanceCompleted(engine, String(inclusive.processInstanceKey)));
    const eventBased = String(step(lines, 'eventBased').processInstanceKey);
    assert.ok(instanceCompleted(engine, eventBased));
    assert.ok(completedIn(eventBased).includes('paid'));
    assert.ok(!completedIn(eventBased).includes('timeout'));
  });

  test('an interrupting message boundary ends the task and removes its job', () => {
    const lines = scenario('messageBoundary');
    rejected(lines, 'completeInterrupted', 'NOT_FOUND');
    const interrupted = step(lines, 'interrupted');
    const key = String(interrupted.processInstanceKey);
    assert.ok(eventsOf(engine, 'JOB', 'CANCELED').some((r) => r.key === interrupted.jobKey));
    assert.ok(completedIn(key).includes('cancelled'));
    assert.ok(instanceCompleted(engine, key));
  });

  test('DMN: deployed with a business rule task; EvaluateDecision over gRPC; the task writes its result variable', () => {
    const lines = scenario('decision');
    const deployed = step(lines, 'deployed');
    assert.equal(deployed.processes, 1);
    assert.equal(deployed.decisionRequirements, 1);
    assert.deepEqual(deployed.decisions, [{ decisionId: 'java-discount', version: 1, decisionRequirementsId: 'java-discounts' }]);
    const evaluated = step(lines, 'evaluated');
    assert.equal(evaluated.decisionId, 'java-discount');
    assert.equal(evaluated.output, '10');
    assert.equal(evaluated.failedDecisionId, '');
    rejected(lines, 'unknownDecision', 'NOT_FOUND');
    assert.deepEqual((step(lines, 'applied').job as Job).variables, { total: 20, discount: 0 });
  });

  test('REST API v2 through the client (useRest): status, create, search, get, incidents, resolve, cancel, correlate, publish, signal', () => {
    const lines = scenario('restApi');
    step(lines, 'status');
    const created = step(lines, 'created').instance as Instance;
    assert.equal(created.bpmnProcessId, 'java-restApi');
    assert.equal(created.version, 1);
    const searched = step(lines, 'searched');
    assert.deepEqual(searched.keys, [created.processInstanceKey]);
    assert.deepEqual(searched.states, ['ACTIVE']);
    assert.equal(searched.total, 1);
    const got = step(lines, 'got');
    assert.equal(got.processDefinitionId, 'java-restApi');
    assert.equal(got.state, 'ACTIVE');
    const incidents = step(lines, 'incidents').items as { incidentKey: string; errorType: string; errorMessage: string; state: string }[];
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0]!.errorType, 'JOB_NO_RETRIES');
    assert.equal(incidents[0]!.errorMessage, 'over rest');
    assert.equal(incidents[0]!.state, 'ACTIVE');
    assert.ok(eventsOf(engine, 'INCIDENT', 'RESOLVED').some((r) => r.key === incidents[0]!.incidentKey));
    assert.ok(eventsOf(engine, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED').some((r) => r.key === created.processInstanceKey));
    for (const name of ['cancelUnknown', 'getUnknown', 'correlateNobody']) {
      const line = step(lines, name);
      assert.equal(line.rejected, true);
      assert.equal(line.api, 'rest');
      assert.equal(line.status, 404, `${name}: ${JSON.stringify(line)}`);
      assert.equal(line.title, 'NOT_FOUND');
    }
    const correlated = step(lines, 'correlated');
    assert.equal(correlated.processInstanceKey, correlated.waiting);
    assert.ok(eventsOf(engine, 'MESSAGE', 'PUBLISHED').some((r) => r.key === step(lines, 'published').messageKey));
    const signalled = step(lines, 'signalled');
    assert.ok(eventsOf(engine, 'SIGNAL', 'BROADCASTED').some((r) => r.key === signalled.key));
    assert.ok(instanceCompleted(engine, String(correlated.waiting)), 'the REST signal released the instance after its message');
  });

  test('reset clock through the client (REST POST /v2/clock/reset): the engine runs on wall time again', () => {
    step(scenario('resetClock'), 'reset');
    assert.equal(engine.clock.pinned, false);
  });

  test('the engine state is consistent and rebuilt exactly by replaying its log', () => {
    assert.deepEqual(engine.checkIntegrity(), []);
  });
});
