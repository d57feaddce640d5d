/**
 * Job processors: activation (JOB_BATCH), complete, fail, throw error, retries, timeout, and the time-driven
 * commands (time out, recur after backoff) and the yield of a job a stream could not deliver.
 */
import {
  applyResultVariables,
  catchError,
  findErrorCatch,
  nodeOf,
  raiseIncident,
  setLocalVariables,
} from '../bpmn/behaviours.ts';
import { unhandledErrorMessage } from '../bpmn/elements.ts';
import type { JobBatchValue } from '../state/appliers.ts';
import type { Command } from '../state/records.ts';
import { indexValues, type Job } from '../state/state.ts';
import type { ProcessingContext, ProcessingEngine } from './engine.ts';

/** A job as handed to a worker (Zeebe's ActivatedJob, keys as strings). */
export interface ActivatedJob {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: string;
  worker: string;
  retries: number;
  deadline: string;
  variables: string;
  tenantId: string;
}

export interface ActivateValue {
  type: string;
  worker: string;
  timeout: number;
  maxJobsToActivate: number;
  fetchVariable: string[];
  /** Push to a stream: activate exactly these jobs if they are still activatable. */
  jobKeys?: string[];
}

const MAX_ERROR_MESSAGE = 10_000;

export function registerJobProcessors(engine: ProcessingEngine): void {
  engine.register('JOB_BATCH', 'ACTIVATE', activateJobs);
  engine.register('JOB', 'COMPLETE', (command, ctx) => {
    const job = jobFor(ctx, command, 'complete');
    const variables = (command.value.variables ?? {}) as Record<string, unknown>;
    ctx.event('JOB', 'COMPLETED', job.key, { ...jobValue(job), variables });
    ctx.respond({});
    const instance = ctx.state.elementInstances.get(job.elementInstanceKey);
    if (!instance || instance.state !== 'ACTIVATED') return;
    applyResultVariables(ctx, instance, nodeOf(ctx, instance), variables);
    ctx.followUp({ valueType: 'PROCESS_INSTANCE', intent: 'COMPLETE_ELEMENT', key: instance.key, value: {} });
  });

  engine.register('JOB', 'FAIL', (command, ctx) => {
    const job = jobFor(ctx, command, 'fail');
    const retries = Number(command.value.retries ?? 0);
    const backoff = Number(command.value.retryBackOff ?? 0);
    const errorMessage = String(command.value.errorMessage ?? '').slice(0, MAX_ERROR_MESSAGE);
    const variables = (command.value.variables ?? {}) as Record<string, unknown>;
    const recurAt = retries > 0 && backoff > 0 ? ctx.now + backoff : -1;
    ctx.event('JOB', 'FAILED', job.key, { ...jobValue(job), retries, errorMessage, retryBackOff: backoff, recurAt });
    ctx.respond({});
    const instance = ctx.state.elementInstances.get(job.elementInstanceKey);
    if (!instance) return;
    if (Object.keys(variables).length > 0) setLocalVariables(ctx, instance.key, instance.processInstanceKey, variables);
    if (retries <= 0) {
      raiseIncident(ctx, instance, nodeOf(ctx, instance), 'JOB_NO_RETRIES', errorMessage || 'No more retries left.', job.key);
    }
  });

  engine.register('JOB', 'THROW_ERROR', (command, ctx) => {
    const job = jobFor(ctx, command, 'throw an error for');
    const errorCode = String(command.value.errorCode ?? '');
    const errorMessage = String(command.value.errorMessage ?? '').slice(0, MAX_ERROR_MESSAGE);
    const variables = (command.value.variables ?? {}) as Record<string, unknown>;
    const instance = ctx.state.elementInstances.get(job.elementInstanceKey);
    const caught = instance ? findErrorCatch(ctx, instance, errorCode) : undefined;
    ctx.event('JOB', 'ERROR_THROWN', job.key, { ...jobValue(job), errorCode, errorMessage, caught: Boolean(caught) });
    ctx.respond({});
    if (!instance) return;
    if (caught) {
      catchError(ctx, caught, variables);
    } else {
      raiseIncident(ctx, instance, nodeOf(ctx, instance), 'UNHANDLED_ERROR_EVENT', unhandledErrorMessage(errorCode, errorMessage), job.key);
    }
  });

  engine.register('JOB', 'UPDATE_RETRIES', (command, ctx) => {
    const job = existingJob(ctx, command, 'update retries of');
    const retries = Number(command.value.retries ?? 0);
    if (retries < 1) {
      ctx.reject('INVALID_ARGUMENT', `Expected to update retries for job with key '${job.key}' with a positive amount of retries, but the amount given was '${retries}'`);
    }
    ctx.event('JOB', 'RETRIES_UPDATED', job.key, { ...jobValue(job), retries });
    ctx.respond({});
  });

  engine.register('JOB', 'UPDATE_TIMEOUT', (command, ctx) => {
    const job = existingJob(ctx, command, 'update the timeout of');
    if (job.state !== 'ACTIVATED') {
      ctx.reject('INVALID_STATE', `Expected to update the timeout of job with key '${job.key}', but it is not active`);
    }
    const timeout = Number(command.value.timeout ?? 0);
    ctx.event('JOB', 'TIMEOUT_UPDATED', job.key, { ...jobValue(job), deadline: ctx.now + timeout });
    ctx.respond({});
  });

  engine.register('JOB', 'TIME_OUT', (command, ctx) => {
    const job = ctx.state.jobs.get(command.key!);
    if (!job || job.state !== 'ACTIVATED' || job.deadline >= ctx.now) {
      ctx.reject('INVALID_STATE', `Expected to time out activated job with key '${command.key}', but it is not activated or not due`);
      return;
    }
    ctx.event('JOB', 'TIMED_OUT', job.key, jobValue(job));
  });

  engine.register('JOB', 'RECUR_AFTER_BACKOFF', (command, ctx) => {
    const job = ctx.state.jobs.get(command.key!);
    if (!job || job.state !== 'FAILED' || job.retries <= 0 || job.recurAt > ctx.now) {
      ctx.reject('INVALID_STATE', `Expected to recur job with key '${command.key}' after its backoff, but it is not waiting for one`);
      return;
    }
    ctx.event('JOB', 'RECURRED_AFTER_BACKOFF', job.key, jobValue(job));
  });

  engine.register('JOB', 'YIELD', (command, ctx) => {
    const job = ctx.state.jobs.get(command.key!);
    if (!job || job.state !== 'ACTIVATED') {
      ctx.reject('INVALID_STATE', `Expected to yield activated job with key '${command.key}', but it is not activated`);
      return;
    }
    ctx.event('JOB', 'YIELDED', job.key, jobValue(job));
  });
}

function jobValue(job: Job): Record<string, unknown> {
  return {
    type: job.type,
    worker: job.worker,
    retries: job.retries,
    deadline: job.deadline,
    elementInstanceKey: job.elementInstanceKey,
    elementId: job.elementId,
    processInstanceKey: job.processInstanceKey,
    processDefinitionKey: job.processDefinitionKey,
    bpmnProcessId: job.bpmnProcessId,
    version: job.version,
    tenantId: job.tenantId,
  };
}

function existingJob(ctx: ProcessingContext, command: Command, verb: string): Job {
  const job = ctx.state.jobs.get(command.key!);
  if (!job) ctx.reject('NOT_FOUND', `Expected to ${verb} job with key '${command.key}', but no such job was found`);
  return job!;
}

/** A job that can be completed, failed or errored: it exists and is activatable or activated. */
function jobFor(ctx: ProcessingContext, command: Command, verb: string): Job {
  const job = existingJob(ctx, command, verb);
  if (job.state === 'FAILED' || job.state === 'ERROR_THROWN') {
    const state = job.state === 'FAILED' ? 'FAILED' : 'ERROR_THROWN';
    ctx.reject('INVALID_STATE', `Expected to ${verb} job with key '${job.key}', but it is in state '${state}'`);
  }
  return job;
}

function activateJobs(command: Command, ctx: ProcessingContext): void {
  const value = command.value as unknown as ActivateValue;
  const candidates: Job[] = [];
  if (value.jobKeys) {
    for (const key of value.jobKeys) {
      const job = ctx.state.jobs.get(key);
      if (job && job.state === 'ACTIVATABLE' && job.type === value.type) candidates.push(job);
    }
  } else {
    for (const key of indexValues(ctx.state.activatable, value.type)) {
      if (candidates.length >= value.maxJobsToActivate) break;
      const job = ctx.state.jobs.get(key);
      if (job) candidates.push(job);
    }
  }
  if (candidates.length === 0) {
    ctx.respond({ jobs: [] });
    return;
  }
  const deadline = ctx.now + value.timeout;
  const jobs: ActivatedJob[] = candidates.map((job) => ({
    key: job.key,
    type: job.type,
    processInstanceKey: job.processInstanceKey,
    bpmnProcessId: job.bpmnProcessId,
    processDefinitionVersion: job.version,
    processDefinitionKey: job.processDefinitionKey,
    elementId: job.elementId,
    elementInstanceKey: job.elementInstanceKey,
    customHeaders: JSON.stringify(job.customHeaders),
    worker: value.worker,
    retries: job.retries,
    deadline: String(deadline),
    variables: JSON.stringify(jobVariables(ctx, job, value.fetchVariable)),
    tenantId: job.tenantId,
  }));
  const batch: JobBatchValue = {
    type: value.type,
    worker: value.worker,
    timeout: value.timeout,
    deadline,
    jobKeys: candidates.map((j) => j.key),
  };
  ctx.event('JOB_BATCH', 'ACTIVATED', ctx.state.nextKey(), batch);
  ctx.respond({ jobs });
}

function jobVariables(ctx: ProcessingContext, job: Job, fetch: string[]): Record<string, unknown> {
  const all = ctx.state.visibleVariables(job.elementInstanceKey);
  if (fetch.length === 0) return all;
  const out: Record<string, unknown> = {};
  for (const name of fetch) if (name in all) out[name] = all[name];
  return out;
}
