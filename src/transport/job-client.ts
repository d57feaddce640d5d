/**
 * The job hot path, on a bare `@grpc/grpc-js` channel over the SDK's proto: activate (long poll), stream,
 * complete, fail, throw error, extend the timeout. It is what the worker loop talks to. Payloads are parsed
 * once with `JSON.parse`, keys stay strings, and every broker error becomes a `BrokerRejectionError` with
 * the gRPC status as data — the loop decides on the code, never on message text.
 */
import * as grpc from '@grpc/grpc-js';
import type { BrokerAddress, ForagerConfig } from '../config/index.ts';
import { brokerCommands, DEFAULT_TENANT, type Deployment, type MessageToPublish, type Resource } from './commands.ts';
import type { BrokerError } from './errors.ts';
import { openGateway } from './gateway.ts';

/** An activated job, in forager's terms. */
export interface ActivatedJob {
  readonly key: string;
  readonly type: string;
  readonly processInstanceKey: string;
  readonly bpmnProcessId: string;
  readonly processDefinitionVersion: number;
  readonly processDefinitionKey: string;
  readonly elementId: string;
  readonly elementInstanceKey: string;
  readonly retries: number;
  /** Epoch milliseconds after which the broker may hand the job to another worker. */
  readonly deadline: number;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly customHeaders: Readonly<Record<string, unknown>>;
  readonly tenantId: string;
  /** The worker name this activation was made for. */
  readonly worker: string;
}

export interface ActivateRequest {
  readonly type: string;
  readonly worker: string;
  readonly timeoutMs: number;
  readonly maxJobs: number;
  /** Variable names to fetch; empty fetches all. */
  readonly fetchVariables: readonly string[];
  /** How long the broker may hold the request open when it has no job: < 0 answers at once. */
  readonly requestTimeoutMs: number;
}

export interface StreamRequest {
  readonly type: string;
  readonly worker: string;
  readonly timeoutMs: number;
  readonly fetchVariables: readonly string[];
}

export interface StreamHandlers {
  onJob(job: ActivatedJob): void;
  /** The stream ended: `error` is undefined when the broker closed it cleanly. */
  onEnd(error: BrokerError | undefined): void;
}

/** An open job stream; `pause()` stops reading (HTTP/2 flow control then stops the broker's pushes). */
export interface JobStream {
  pause(): void;
  resume(): void;
  close(): void;
}

export interface FailRequest {
  readonly retries: number;
  readonly errorMessage: string;
  readonly retryBackOffMs: number;
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** For a job command: the instant (epoch ms) after which the call gives up (`BrokerTimeoutError`), and a signal that cancels it. */
export interface CommandDeadline {
  readonly until?: number;
  readonly signal?: AbortSignal;
}

export interface JobClient {
  readonly address: BrokerAddress;
  /** One ActivateJobs call; resolves with the jobs (possibly none) when the broker answers. */
  activate(request: ActivateRequest, signal?: AbortSignal): Promise<ActivatedJob[]>;
  stream(request: StreamRequest, handlers: StreamHandlers): JobStream;
  complete(jobKey: string, variables: Readonly<Record<string, unknown>>, deadline?: CommandDeadline): Promise<void>;
  fail(jobKey: string, request: FailRequest, deadline?: CommandDeadline): Promise<void>;
  throwError(jobKey: string, errorCode: string, errorMessage: string, variables?: Readonly<Record<string, unknown>>, deadline?: CommandDeadline): Promise<void>;
  /** Sets the job's deadline to now + `timeoutMs` (extends or shortens it). */
  updateTimeout(jobKey: string, timeoutMs: number): Promise<void>;
  /** One DeployResource call (all or nothing), as `Transport.deploy`. */
  deploy(resources: readonly Resource[]): Promise<Deployment>;
  /** Starts an instance of the latest version; returns its key. */
  createInstance(bpmnProcessId: string, variables: Readonly<Record<string, unknown>>): Promise<string>;
  /** Publishes a message, as `Transport.publishMessage`; returns its key. */
  publishMessage(message: MessageToPublish): Promise<string>;
  close(): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader messages are untyped */
type RawJob = any;

export function toActivatedJob(raw: RawJob): ActivatedJob {
  return {
    key: String(raw.key),
    type: raw.type,
    processInstanceKey: String(raw.processInstanceKey),
    bpmnProcessId: raw.bpmnProcessId,
    processDefinitionVersion: raw.processDefinitionVersion,
    processDefinitionKey: String(raw.processDefinitionKey),
    elementId: raw.elementId,
    elementInstanceKey: String(raw.elementInstanceKey),
    retries: raw.retries,
    deadline: Number(raw.deadline),
    worker: raw.worker,
    variables: raw.variables ? JSON.parse(raw.variables) : {},
    customHeaders: raw.customHeaders ? JSON.parse(raw.customHeaders) : {},
    tenantId: raw.tenantId,
  };
}

/**
 * Opens a channel to the configured broker (no call is made yet: grpc-js connects lazily and reconnects by
 * itself after a broker restart).
 */
export function createJobClient(config: ForagerConfig): JobClient {
  const gateway = openGateway(config);
  const { address, client, metadata } = gateway;
  const unary = (operation: string, method: string, request: object, deadline: CommandDeadline = {}) =>
    gateway.unary(operation, method, request, { ...deadline, job: true });
  const commands = brokerCommands(gateway, config.tenantId ?? DEFAULT_TENANT);

  return {
    address,

    async activate(request, signal) {
      const meta = await metadata();
      // The broker holds a long poll for requestTimeout; the call's own deadline leaves it room to answer.
      const deadline = Date.now() + Math.max(0, request.requestTimeoutMs) + 10_000;
      return new Promise<ActivatedJob[]>((resolve, reject) => {
        const jobs: ActivatedJob[] = [];
        const call = client.ActivateJobs(
          {
            type: request.type,
            worker: request.worker,
            timeout: request.timeoutMs,
            maxJobsToActivate: request.maxJobs,
            fetchVariable: request.fetchVariables,
            requestTimeout: request.requestTimeoutMs,
          },
          meta,
          { deadline },
        ) as grpc.ClientReadableStream<{ jobs: RawJob[] }>;
        const onAbort = () => call.cancel();
        signal?.addEventListener('abort', onAbort, { once: true });
        call.on('data', (message) => {
          for (const raw of message.jobs) jobs.push(toActivatedJob(raw));
        });
        call.on('error', (error: grpc.ServiceError) => {
          signal?.removeEventListener('abort', onAbort);
          // Cancelled by us after jobs arrived: they are ours all the same.
          if (error.code === grpc.status.CANCELLED && (signal?.aborted || jobs.length > 0)) resolve(jobs);
          else reject(gateway.brokerError('activate jobs', error));
        });
        call.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(jobs);
        });
      });
    },

    stream(request, handlers) {
      let call: grpc.ClientReadableStream<RawJob> | undefined;
      let closed = false;
      let ended = false;
      const end = (error: BrokerError | undefined) => {
        if (ended) return;
        ended = true;
        handlers.onEnd(error);
      };
      metadata().then(
        (meta) => {
          if (closed) return end(undefined);
          call = client.StreamActivatedJobs(
            { type: request.type, worker: request.worker, timeout: request.timeoutMs, fetchVariable: request.fetchVariables },
            meta,
          ) as grpc.ClientReadableStream<RawJob>;
          call.on('data', (raw: RawJob) => handlers.onJob(toActivatedJob(raw)));
          call.on('error', (error: grpc.ServiceError) =>
            end(closed && error.code === grpc.status.CANCELLED ? undefined : gateway.brokerError('stream jobs', error)),
          );
          call.on('end', () => end(undefined));
        },
        (error: Error) => end(gateway.brokerError('stream jobs', error)),
      );
      return {
        pause: () => call?.pause(),
        resume: () => call?.resume(),
        close: () => {
          closed = true;
          call?.cancel();
        },
      };
    },

    async complete(jobKey, variables, deadline) {
      await unary('complete job', 'CompleteJob', { jobKey, variables: JSON.stringify(variables) }, deadline);
    },

    async fail(jobKey, request, deadline) {
      await unary('fail job', 'FailJob', {
        jobKey,
        retries: request.retries,
        errorMessage: request.errorMessage,
        retryBackOff: request.retryBackOffMs,
        variables: request.variables ? JSON.stringify(request.variables) : '',
      }, deadline);
    },

    async throwError(jobKey, errorCode, errorMessage, variables, deadline) {
      await unary('throw error', 'ThrowError', {
        jobKey,
        errorCode,
        errorMessage,
        variables: variables ? JSON.stringify(variables) : '',
      }, deadline);
    },

    async updateTimeout(jobKey, timeoutMs) {
      await unary('update job timeout', 'UpdateJobTimeout', { jobKey, timeout: timeoutMs });
    },

    deploy: (resources) => commands.deploy(resources),

    createInstance: async (bpmnProcessId, variables) => (await commands.createInstance(bpmnProcessId, variables)).processInstanceKey,

    publishMessage: (message) => commands.publishMessage(message),

    close: () => gateway.close(),
  };
}
