/**
 * Contract tests of the job RPCs (ActivateJobs, CompleteJob, FailJob, ThrowError, UpdateJobRetries,
 * UpdateJobTimeout) through the official `@camunda8/sdk` gRPC client, with a bare grpc-js client built from
 * the SDK's proto where the SDK cannot send the request (zeebe-semantics.md §1, §2, §7).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  bpmnXml,
  chain,
  endEvent,
  error,
  errorBoundaryEvent,
  flow,
  oneTaskProcess,
  serviceTask,
  startEvent,
} from '../helpers/bpmn.ts';
import {
  activate,
  activateOne,
  deploy,
  engineTest,
  eventsOf,
  incidentsCreated,
  instanceCompleted,
  rejectsWithCode,
  type Harness,
  type Variables,
  waitUntil,
} from '../helpers/engine-harness.ts';

/** Deploys start → task(jobType) → end and starts `count` instances; returns their keys. */
async function oneTaskInstances(h: Harness, jobType: string, count = 1, variables: Variables = {}, taskOptions = {}) {
  const processId = `p-${jobType}`;
  await deploy(h.zb, oneTaskProcess(processId, jobType, taskOptions));
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    keys.push((await h.zb.createProcessInstance({ bpmnProcessId: processId, variables })).processInstanceKey);
  }
  return keys;
}

describe('ActivateJobs', () => {
  engineTest('hands out a job with the fields Zeebe sends', async (h) => {
    const type = `fields-${h.id}`;
    const [pik] = await oneTaskInstances(h, type, 1, { orderId: 'o-1', amount: 12.5 }, { retries: 4, headers: { currency: 'EUR' } });
    const before = h.engine.clock.now();
    const job = await activateOne(h.zb, type, { worker: 'fields-worker', timeout: 30_000 });
    assert.equal(job.type, type);
    assert.equal(job.processInstanceKey, pik);
    assert.equal(job.bpmnProcessId, `p-${type}`);
    assert.equal(job.processDefinitionVersion, 1);
    assert.equal(job.elementId, 'task');
    assert.match(job.key, /^\d+$/);
    assert.match(job.elementInstanceKey, /^\d+$/);
    assert.equal(job.worker, 'fields-worker');
    assert.equal(job.retries, 4);
    assert.equal(job.tenantId, '<default>');
    assert.deepEqual({ ...job.variables }, { orderId: 'o-1', amount: 12.5 });
    assert.deepEqual({ ...job.customHeaders }, { currency: 'EUR' });
    const deadline = Number(job.deadline);
    assert.ok(deadline >= before + 30_000 && deadline <= h.engine.clock.now() + 30_000, `deadline ${deadline} should be now + timeout`);
  });

  engineTest('a long poll is answered as soon as a job appears, not at its requestTimeout', async (h) => {
    const type = `longpoll-${h.id}`;
    await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
    const started = Date.now();
    const poll = activate(h.zb, type, { requestTimeout: 8000 });
    setTimeout(() => void h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} }), 300);
    const jobs = await poll;
    const elapsed = Date.now() - started;
    assert.equal(jobs.length, 1);
    assert.ok(elapsed >= 250, `returned after ${elapsed} ms, before the job was even created`);
    assert.ok(elapsed < 3000, `returned after ${elapsed} ms; it should return right after the job appeared, well before 8000 ms`);
  });

  engineTest('a long poll with no job is held for its requestTimeout and then ends empty', async (h) => {
    const started = Date.now();
    const jobs = await activate(h.zb, `nothing-${h.id}`, { requestTimeout: 1000 });
    const elapsed = Date.now() - started;
    assert.deepEqual(jobs, []);
    assert.ok(elapsed >= 900, `ended after ${elapsed} ms, before its requestTimeout of 1000 ms`);
    // The SDK itself gives up at requestTimeout + 1 s; the engine must end the call before that.
    assert.ok(elapsed < 1900, `ended after ${elapsed} ms: the engine did not end the call at its requestTimeout`);
  });

  engineTest('a negative requestTimeout answers at once, with zero jobs', async (h) => {
    const started = Date.now();
    const jobs = await activate(h.zb, `none-${h.id}`, { requestTimeout: -1 });
    assert.deepEqual(jobs, []);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  engineTest('no jobs: the stream completes OK with zero messages (raw stream)', async (h) => {
    const messages = await h.raw().collect('ActivateJobs', {
      type: `zero-${h.id}`,
      worker: 'w',
      timeout: 1000,
      maxJobsToActivate: 5,
      requestTimeout: -1,
    });
    assert.deepEqual(messages, []);
  });

  engineTest('maxJobsToActivate is respected; jobs are never handed out twice', async (h) => {
    const type = `max-${h.id}`;
    await oneTaskInstances(h, type, 5);
    const first = await activate(h.zb, type, { max: 2 });
    const second = await activate(h.zb, type, { max: 2 });
    const third = await activate(h.zb, type, { max: 2 });
    const fourth = await activate(h.zb, type, { max: 2 });
    assert.deepEqual([first.length, second.length, third.length, fourth.length], [2, 2, 1, 0]);
    const keys = [...first, ...second, ...third].map((j) => j.key);
    assert.equal(new Set(keys).size, 5);
  });

  engineTest('all activated jobs of one poll arrive in one ActivateJobsResponse (raw stream)', async (h) => {
    const type = `onemsg-${h.id}`;
    await oneTaskInstances(h, type, 3);
    const messages = await h.raw().collect('ActivateJobs', { type, worker: 'w', timeout: 10_000, maxJobsToActivate: 10, requestTimeout: -1 });
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.jobs.length, 3);
  });

  engineTest('fetchVariable limits the job variables to the names asked for', async (h) => {
    const type = `fetch-${h.id}`;
    await oneTaskInstances(h, type, 1, { a: 1, b: { nested: true }, c: 'three' });
    const job = await activateOne(h.zb, type, { fetchVariable: ['a', 'c', 'missing'] });
    assert.deepEqual({ ...job.variables }, { a: 1, c: 'three' });
  });

  engineTest('customHeaders are sent as a JSON object string (raw stream)', async (h) => {
    const type = `headers-${h.id}`;
    await oneTaskInstances(h, type, 1, {}, { headers: { region: 'eu-west', 'x-priority': '7' } });
    const [message] = await h.raw().collect('ActivateJobs', { type, worker: 'w', timeout: 10_000, maxJobsToActivate: 1, requestTimeout: -1 });
    const job = message!.jobs[0];
    assert.equal(typeof job.customHeaders, 'string');
    assert.deepEqual(JSON.parse(job.customHeaders), { region: 'eu-west', 'x-priority': '7' });
    assert.equal(typeof job.variables, 'string');
    assert.deepEqual(JSON.parse(job.variables), {});
  });

  // Request checks (A1). The raw client has a 1 s deadline, so a call the engine never answers fails with 4
  // instead of hanging the test.
  const rawActivate = (h: Harness, request: Record<string, unknown>) =>
    h.raw().collect('ActivateJobs', { worker: 'w', timeout: 1000, maxJobsToActivate: 1, requestTimeout: -1, ...request }, 1000);


  engineTest('a blank type is rejected with 3 INVALID_ARGUMENT', async (h) => {
    await rejectsWithCode(rawActivate(h, { type: '' }), 3, /type/);
  });

  engineTest('a timeout of 0 is rejected with 3 INVALID_ARGUMENT', async (h) => {
    await rejectsWithCode(rawActivate(h, { type: `t0-${h.id}`, timeout: 0 }), 3, /timeout/);
  });

  engineTest('maxJobsToActivate 0 is rejected with 3 INVALID_ARGUMENT', async (h) => {
    await rejectsWithCode(rawActivate(h, { type: `m0-${h.id}`, maxJobsToActivate: 0 }), 3, /maxJobsToActivate/);
  });

  engineTest('a tenant other than <default> is rejected with 3 INVALID_ARGUMENT (multi-tenancy is off)', async (h) => {
    await rejectsWithCode(rawActivate(h, { type: `tenant-${h.id}`, tenantIds: ['other-tenant'] }), 3);
  });

  engineTest(
    'through the SDK, a blank type rejects with 3 (instead of hanging)',
    async (h) => {
      await rejectsWithCode(activate(h.zb, ''), 3);
    },
    { timeout: 2500 },
  );
});

describe('CompleteJob', () => {
  engineTest('completes the task with its variables; the instance completes', async (h) => {
    const type = `complete-${h.id}`;
    await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: { input: 1 } });
    const job = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: job.key, variables: { output: 'done' } });
    const { variables } = await result;
    assert.deepEqual({ ...variables }, { input: 1, output: 'done' });
    assert.ok(instanceCompleted(h.engine, job.processInstanceKey));
  });

  engineTest('completing a job twice: the second gets 5 NOT_FOUND', async (h) => {
    const type = `twice-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
  });

  engineTest('an unknown job key gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.completeJob({ jobKey: '2251799813999999', variables: {} }), 5);
  });

  engineTest('variables that are not a JSON object get 3 (raw call)', async (h) => {
    const type = `badvars-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await rejectsWithCode(h.raw().unary('CompleteJob', { jobKey: job.key, variables: '[1]' }), 3);
    await rejectsWithCode(h.raw().unary('CompleteJob', { jobKey: job.key, variables: '{"a": ' }), 3);
    // The job is untouched and can still be completed; an empty string means {}.
    await h.raw().unary('CompleteJob', { jobKey: job.key, variables: '' });
  });

  engineTest('an activatable (never activated) job can be completed: commands do not check the worker', async (h) => {
    const type = `direct-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const created = h.engine.records().find((r) => r.valueType === 'JOB' && r.intent === 'CREATED' && r.value.type === type);
    assert.ok(created);
    await h.zb.completeJob({ jobKey: created.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, pik!));
  });

  engineTest('after a timeout the job is re-activated; the new worker completes, the old worker gets 5', async (h) => {
    const type = `timeout-new-${h.id}`;
    await oneTaskInstances(h, type);
    const first = await activateOne(h.zb, type, { worker: 'worker-a', timeout: 1000 });
    assert.deepEqual(await activate(h.zb, type), [], 'an activated job is not handed to anyone else');
    await h.engine.advanceClock(2000);
    const second = await activateOne(h.zb, type, { worker: 'worker-b', timeout: 60_000, requestTimeout: -1 });
    assert.equal(second.key, first.key);
    assert.equal(second.worker, 'worker-b');
    assert.equal(second.retries, first.retries, 'a timeout does not touch the retries');
    assert.deepEqual(await activate(h.zb, type), [], 'the re-activated job is held by worker-b only');
    await h.zb.completeJob({ jobKey: second.key, variables: { by: 'b' } });
    await rejectsWithCode(h.zb.completeJob({ jobKey: first.key, variables: { by: 'a' } }), 5);
  });

  engineTest('after a timeout and re-activation, the old worker may complete first; then the new one gets 5', async (h) => {
    const type = `timeout-old-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const first = await activateOne(h.zb, type, { worker: 'worker-a', timeout: 1000 });
    await h.engine.advanceClock(1500);
    const second = await activateOne(h.zb, type, { worker: 'worker-b', requestTimeout: -1 });
    assert.equal(second.key, first.key);
    await h.zb.completeJob({ jobKey: first.key, variables: {} });
    await rejectsWithCode(h.zb.completeJob({ jobKey: second.key, variables: {} }), 5);
    assert.ok(instanceCompleted(h.engine, pik!));
  });

  engineTest('on the real clock, a timed-out job goes back to a poll that is already waiting', async (h) => {
    const type = `realclock-${h.id}`;
    await oneTaskInstances(h, type);
    const first = await activateOne(h.zb, type, { timeout: 300 });
    const started = Date.now();
    const jobs = await activate(h.zb, type, { requestTimeout: 5000 });
    const elapsed = Date.now() - started;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.key, first.key);
    // Zeebe checks deadlines about once a second: expiry comes at most a little after the deadline.
    assert.ok(elapsed < 2500, `the timed-out job came back after ${elapsed} ms for a 300 ms timeout`);
  });

  engineTest('a job does not time out before its deadline', async (h) => {
    const type = `notyet-${h.id}`;
    await oneTaskInstances(h, type);
    await activateOne(h.zb, type, { timeout: 10_000 });
    await h.engine.advanceClock(9000);
    assert.deepEqual(await activate(h.zb, type), []);
    await h.engine.advanceClock(2000);
    assert.equal((await activate(h.zb, type)).length, 1);
  });
});

describe('FailJob', () => {
  engineTest('with retries > 0 and no backoff the job is activatable again at once, with the retries as sent', async (h) => {
    const type = `fail-retry-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    assert.equal(job.retries, 3);
    await h.zb.failJob({ jobKey: job.key, retries: 2, errorMessage: 'try again', retryBackOff: 0 });
    const again = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(again.key, job.key);
    assert.equal(again.retries, 2);
    // retries replace the count; the server never decrements by itself.
    await h.zb.failJob({ jobKey: again.key, retries: 7, errorMessage: 'more', retryBackOff: 0 });
    assert.equal((await activateOne(h.zb, type, { requestTimeout: -1 })).retries, 7);
  });

  engineTest('with a retryBackOff the job stays invisible until the clock passes the backoff', async (h) => {
    const type = `backoff-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 2, errorMessage: 'later', retryBackOff: 30_000 });
    assert.deepEqual(await activate(h.zb, type), [], 'invisible right after the failure');
    await h.engine.advanceClock(20_000);
    assert.deepEqual(await activate(h.zb, type), [], 'invisible during the backoff');
    await h.engine.advanceClock(11_000);
    const again = await activate(h.zb, type);
    assert.equal(again.length, 1, 'activatable once the backoff is over');
    assert.equal(again[0]!.key, job.key);
    assert.equal(again[0]!.retries, 2);
  });

  engineTest('a job whose backoff ends goes to a long poll that is already waiting', async (h) => {
    const type = `backoff-poll-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 1, errorMessage: 'later', retryBackOff: 60_000 });
    const started = Date.now();
    const poll = activate(h.zb, type, { requestTimeout: 8000 });
    setTimeout(() => void h.engine.advanceClock(61_000), 200);
    const jobs = await poll;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.key, job.key);
    assert.ok(Date.now() - started < 3000, `the poll waited ${Date.now() - started} ms`);
  });

  engineTest('a failure with retries > 0 goes to a long poll that is already waiting', async (h) => {
    const type = `fail-poll-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    const poll = activate(h.zb, type, { requestTimeout: 8000 });
    setTimeout(() => void h.zb.failJob({ jobKey: job.key, retries: 1, errorMessage: 'again', retryBackOff: 0 }), 200);
    const started = Date.now();
    const jobs = await poll;
    assert.equal(jobs.length, 1);
    assert.ok(Date.now() - started < 3000);
  });

  engineTest('with retries 0 an incident JOB_NO_RETRIES is raised with the error message; the job is FAILED', async (h) => {
    const type = `noretries-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'the card was declined', retryBackOff: 0 });
    const incidents = incidentsCreated(h.engine, pik);
    assert.equal(incidents.length, 1);
    const incident = incidents[0]!.value;
    assert.equal(incident.errorType, 'JOB_NO_RETRIES');
    assert.equal(incident.errorMessage, 'the card was declined');
    assert.equal(String(incident.jobKey), job.key);
    assert.equal(incident.elementId, 'task');
    assert.equal(String(incident.elementInstanceKey), job.elementInstanceKey);
    assert.equal(String(incident.processInstanceKey), pik);
    assert.equal(String(incident.variableScopeKey), job.elementInstanceKey);
    assert.match(incidents[0]!.key, /^\d+$/);
    assert.deepEqual(await activate(h.zb, type), [], 'a failed job is not activatable');
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 9);
    await rejectsWithCode(h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'again', retryBackOff: 0 }), 9);
    await rejectsWithCode(h.zb.throwError({ jobKey: job.key, errorCode: 'E', errorMessage: 'x' }), 9);
  });

  engineTest('with retries 0 and no error message the incident says "No more retries left."', async (h) => {
    const type = `nomsg-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: '', retryBackOff: 0 });
    assert.equal(incidentsCreated(h.engine, pik)[0]?.value.errorMessage, 'No more retries left.');
  });

  engineTest('FailJob variables become locals of the task: the retry sees them, the process does not', async (h) => {
    const type = `failvars-${h.id}`;
    await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
    const result = h.zb.createProcessInstanceWithResult({ bpmnProcessId: `p-${type}`, variables: { a: 1 } });
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 2, errorMessage: 'x', retryBackOff: 0, variables: { attempt: 1 } });
    const again = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.deepEqual({ ...again.variables }, { a: 1, attempt: 1 });
    await h.zb.completeJob({ jobKey: again.key, variables: {} });
    assert.deepEqual({ ...(await result).variables }, { a: 1 });
  });

  engineTest('an unknown job key gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.failJob({ jobKey: '2251799813999999', retries: 1, errorMessage: 'x', retryBackOff: 0 }), 5);
  });
});

/** start → task(type) with an error boundary for code E1 (→ afterE1) and a catch-all (→ afterAny). */
function errorBoundaryProcess(processId: string, type: string): string {
  return bpmnXml(
    processId,
    [
      startEvent(),
      serviceTask('task', type),
      errorBoundaryEvent('catchE1', 'task', 'errE1'),
      errorBoundaryEvent('catchAll', 'task'),
      serviceTask('afterE1', `${type}-after-e1`),
      serviceTask('afterAny', `${type}-after-any`),
      endEvent('end'),
      endEvent('endE1'),
      endEvent('endAny'),
      ...chain('start', 'task', 'end'),
      flow('toAfterE1', 'catchE1', 'afterE1'),
      flow('toEndE1', 'afterE1', 'endE1'),
      flow('toAfterAny', 'catchAll', 'afterAny'),
      flow('toEndAny', 'afterAny', 'endAny'),
    ],
    { roots: [error('errE1', 'E1')] },
  );
}

describe('ThrowError', () => {
  engineTest('an error caught by its code: the boundary path runs, the task job is gone', async (h) => {
    const type = `throw-code-${h.id}`;
    await deploy(h.zb, errorBoundaryProcess(`p-${type}`, type));
    const { processInstanceKey } = await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    const job = await activateOne(h.zb, type);
    await h.zb.throwError({ jobKey: job.key, errorCode: 'E1', errorMessage: 'out of stock' });
    const next = await activateOne(h.zb, `${type}-after-e1`, { requestTimeout: -1 });
    assert.equal(next.processInstanceKey, processInstanceKey);
    assert.deepEqual(await activate(h.zb, `${type}-after-any`), [], 'the exact code beats the catch-all');
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 5);
    assert.equal(incidentsCreated(h.engine, processInstanceKey).length, 0);
    await h.zb.completeJob({ jobKey: next.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, processInstanceKey));
  });

  engineTest('an error with another code is caught by the catch-all boundary', async (h) => {
    const type = `throw-any-${h.id}`;
    await deploy(h.zb, errorBoundaryProcess(`p-${type}`, type));
    await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: {} });
    const job = await activateOne(h.zb, type);
    await h.zb.throwError({ jobKey: job.key, errorCode: 'SOMETHING_ELSE', errorMessage: '' });
    assert.equal((await activate(h.zb, `${type}-after-any`)).length, 1);
    assert.deepEqual(await activate(h.zb, `${type}-after-e1`), []);
  });

  engineTest('an uncaught error raises UNHANDLED_ERROR_EVENT; resolving it makes the job activatable again', async (h) => {
    const type = `throw-uncaught-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.throwError({ jobKey: job.key, errorCode: 'NOT_MODELLED', errorMessage: 'no one catches this' });
    const incidents = incidentsCreated(h.engine, pik);
    assert.equal(incidents.length, 1);
    assert.equal(incidents[0]!.value.errorType, 'UNHANDLED_ERROR_EVENT');
    assert.equal(String(incidents[0]!.value.jobKey), job.key);
    assert.match(String(incidents[0]!.value.errorMessage), /NOT_MODELLED/);
    assert.deepEqual(await activate(h.zb, type), [], 'the job waits for the incident');
    await rejectsWithCode(h.zb.completeJob({ jobKey: job.key, variables: {} }), 9);
    await rejectsWithCode(h.zb.throwError({ jobKey: job.key, errorCode: 'AGAIN' }), 9);
    await h.zb.resolveIncident({ incidentKey: incidents[0]!.key });
    const again = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(again.key, job.key);
    await h.zb.completeJob({ jobKey: again.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, pik!));
  });

  engineTest('an unknown job key gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.throwError({ jobKey: '2251799813999999', errorCode: 'E1' }), 5);
  });
});

describe('UpdateJobRetries', () => {
  engineTest('sets the retries of a job', async (h) => {
    const type = `retries-${h.id}`;
    await oneTaskInstances(h, type);
    const created = h.engine.records().find((r) => r.valueType === 'JOB' && r.intent === 'CREATED' && r.value.type === type)!;
    await h.zb.updateJobRetries({ jobKey: created.key, retries: 9 });
    assert.equal((await activateOne(h.zb, type, { requestTimeout: -1 })).retries, 9);
  });

  engineTest('a job whose incident is resolved goes to a long poll that is already waiting', async (h) => {
    const type = `retries-poll-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'boom', retryBackOff: 0 });
    const incident = incidentsCreated(h.engine)[0]!;
    const poll = activate(h.zb, type, { requestTimeout: 8000 });
    const started = Date.now();
    setTimeout(() => {
      void h.zb.updateJobRetries({ jobKey: job.key, retries: 1 }).then(() => h.zb.resolveIncident({ incidentKey: incident.key }));
    }, 200);
    const jobs = await poll;
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.key, job.key);
    assert.ok(Date.now() - started < 3000, `the poll waited ${Date.now() - started} ms`);
  });

  engineTest('an unknown job key gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.updateJobRetries({ jobKey: '2251799813999999', retries: 1 }), 5);
  });

  engineTest('retries 0 get 3 INVALID_ARGUMENT', async (h) => {
    const type = `retries0-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await rejectsWithCode(h.zb.updateJobRetries({ jobKey: job.key, retries: 0 }), 3);
  });

  engineTest('works in any state: on a job whose error was not caught (ERROR_THROWN)', async (h) => {
    const type = `retries-thrown-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.throwError({ jobKey: job.key, errorCode: 'UNCAUGHT' });
    await h.zb.updateJobRetries({ jobKey: job.key, retries: 4 });
    const updated = eventsOf(h.engine, 'JOB', 'RETRIES_UPDATED').filter((r) => r.key === job.key);
    assert.deepEqual(updated.map((r) => r.value.retries), [4], 'the thrown job took the new retries');
  });

  engineTest('after JOB_NO_RETRIES: resolve first gets 9; after UpdateJobRetries(1) resolve works and the job is back', async (h) => {
    const type = `retries-incident-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'boom', retryBackOff: 0 });
    const incident = incidentsCreated(h.engine, pik)[0]!;
    await rejectsWithCode(h.zb.resolveIncident({ incidentKey: incident.key }), 9);
    await h.zb.updateJobRetries({ jobKey: job.key, retries: 1 });
    assert.deepEqual(await activate(h.zb, type), [], 'updating the retries alone does not make the job activatable');
    await h.zb.resolveIncident({ incidentKey: incident.key });
    const again = await activateOne(h.zb, type, { requestTimeout: -1 });
    assert.equal(again.key, job.key);
    assert.equal(again.retries, 1);
    // The incident is gone: resolving it again is NOT_FOUND.
    await rejectsWithCode(h.zb.resolveIncident({ incidentKey: incident.key }), 5);
  });
});

describe('UpdateJobTimeout', () => {
  engineTest('extends an activated job: advancing past the old deadline does not time it out', async (h) => {
    const type = `extend-${h.id}`;
    const [pik] = await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type, { timeout: 1000 });
    await h.zb.updateJobTimeout({ jobKey: job.key, timeout: 60_000 });
    await h.engine.advanceClock(5000);
    assert.deepEqual(await activate(h.zb, type), [], 'the job did not time out at its old deadline');
    await h.zb.completeJob({ jobKey: job.key, variables: {} });
    assert.ok(instanceCompleted(h.engine, pik!));
  });

  engineTest('shortens an activated job: it times out at the new deadline', async (h) => {
    const type = `shorten-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type, { timeout: 600_000 });
    await h.zb.updateJobTimeout({ jobKey: job.key, timeout: 1000 });
    await h.engine.advanceClock(2000);
    assert.equal((await activateOne(h.zb, type, { requestTimeout: -1 })).key, job.key);
  });

  engineTest('a failed job (retries 0, incident) gets 9 FAILED_PRECONDITION', async (h) => {
    const type = `timeout-failed-${h.id}`;
    await oneTaskInstances(h, type);
    const job = await activateOne(h.zb, type);
    await h.zb.failJob({ jobKey: job.key, retries: 0, errorMessage: 'x', retryBackOff: 0 });
    await rejectsWithCode(h.zb.updateJobTimeout({ jobKey: job.key, timeout: 1000 }), 9);
  });

  engineTest('an unknown job key gets 5 NOT_FOUND', async (h) => {
    await rejectsWithCode(h.zb.updateJobTimeout({ jobKey: '2251799813999999', timeout: 1000 }), 5);
  });

  engineTest('a job that is not activated gets 9 FAILED_PRECONDITION', async (h) => {
    const type = `notactive-${h.id}`;
    await oneTaskInstances(h, type);
    const created = h.engine.records().find((r) => r.valueType === 'JOB' && r.intent === 'CREATED' && r.value.type === type)!;
    await rejectsWithCode(h.zb.updateJobTimeout({ jobKey: created.key, timeout: 1000 }), 9);
  });
});

describe("The SDK's polling worker (ZBWorker)", () => {
  engineTest('completes jobs; a throwing handler fails with retries - 1 until JOB_NO_RETRIES', async (h) => {
    const type = `zbworker-${h.id}`;
    await deploy(h.zb, oneTaskProcess(`p-${type}`, type));
    const handled: unknown[] = [];
    const worker = h.zb.createWorker({
      taskType: type,
      taskHandler: (job) => {
        handled.push(job.variables.n);
        if (job.variables.fail) throw new Error('handler failed');
        return job.complete({ done: true });
      },
    });
    try {
      const ok = (await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { n: 1 } })).processInstanceKey;
      const failing = (await h.zb.createProcessInstance({ bpmnProcessId: `p-${type}`, variables: { n: 2, fail: true } })).processInstanceKey;
      await waitUntil(() => instanceCompleted(h.engine, ok), 5000, 'the good instance to complete');
      await waitUntil(() => incidentsCreated(h.engine, failing).length > 0, 8000, 'the failing job to raise an incident');
      const incident = incidentsCreated(h.engine, failing)[0]!.value;
      assert.equal(incident.errorType, 'JOB_NO_RETRIES');
      assert.match(String(incident.errorMessage), /handler failed/);
      // One successful handling, and 3 attempts (retries 3, 2, 1) of the failing job.
      assert.deepEqual(handled.filter((n) => n === 2).length, 3);
      assert.deepEqual(handled.filter((n) => n === 1).length, 1);
    } finally {
      await worker.close();
    }
  });
});
