/**
 * The transport: forager's one narrow way to talk to a Zeebe broker, in domain terms (deploy, create a
 * process instance, topology, subscribe to jobs). For now it sits on the official SDK's gRPC client
 * (`new Camunda8(sdkConfig).getZeebeGrpcApiClient()`); gRPC types, status codes and the SDK's retry
 * behaviour stay behind this file, and every failure leaves it as one of the errors in `errors.ts`.
 */
import { hostPort, type BrokerAddress, type ForagerConfig, type SdkLogLevel } from '../config/index.ts';
import { BrokerError, BrokerTimeoutError, NoBrokerAddressError, toBrokerError } from './errors.ts';
import { checkReachable } from './reachable.ts';

export * from './errors.ts';
export { checkReachable } from './reachable.ts';

/** A file to deploy: its name (which tells the broker its kind: `.bpmn`, `.dmn`, `.form`) and content. */
export interface Resource {
  readonly name: string;
  readonly content: Buffer;
}

/** One resource the broker accepted in a deployment. */
export type DeployedResource =
  | { readonly kind: 'process'; readonly bpmnProcessId: string; readonly version: number; readonly key: string; readonly resourceName: string }
  | { readonly kind: 'decision'; readonly decisionId: string; readonly version: number; readonly key: string; readonly resourceName: string }
  | { readonly kind: 'decisionRequirements'; readonly decisionRequirementsId: string; readonly version: number; readonly key: string; readonly resourceName: string }
  | { readonly kind: 'form'; readonly formId: string; readonly version: number; readonly key: string; readonly resourceName: string };

export interface Deployment {
  readonly key: string;
  readonly resources: readonly DeployedResource[];
}

export interface CreateInstanceOptions {
  /** Wait until the process instance completes and return its variables. */
  readonly awaitResult?: boolean;
  /** With `awaitResult`: how long the broker may take before answering DEADLINE_EXCEEDED. */
  readonly requestTimeoutMs?: number;
  /** A specific process version; the latest when omitted. */
  readonly version?: number;
}

export interface ProcessInstance {
  readonly processInstanceKey: string;
  readonly processDefinitionKey: string;
  readonly bpmnProcessId: string;
  readonly version: number;
  /** The variables at completion, only with `awaitResult`. */
  readonly variables?: Readonly<Record<string, unknown>>;
}

export interface Topology {
  readonly clusterSize: number;
  readonly partitionsCount: number;
  readonly replicationFactor: number;
  readonly gatewayVersion: string;
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number; readonly version: string }[];
}

/** A job handed to a subscription, in forager's terms. */
export interface ActivatedJob {
  readonly key: string;
  readonly type: string;
  readonly processInstanceKey: string;
  readonly bpmnProcessId: string;
  readonly processDefinitionVersion: number;
  readonly elementId: string;
  readonly elementInstanceKey: string;
  readonly retries: number;
  /** Epoch milliseconds after which the broker may hand the job to another worker. */
  readonly deadline: number;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly customHeaders: Readonly<Record<string, unknown>>;
  readonly tenantId: string;
}

/** What to tell the broker about a job: exactly one command per job. */
export type JobOutcome =
  | { readonly kind: 'complete'; readonly variables: Readonly<Record<string, unknown>> }
  | { readonly kind: 'fail'; readonly errorMessage: string; readonly retries: number; readonly retryBackOffMs: number }
  | { readonly kind: 'throwError'; readonly errorCode: string; readonly errorMessage: string; readonly variables: Readonly<Record<string, unknown>> };

export interface SubscribeOptions {
  readonly type: string;
  /** How long the broker gives a worker per job before handing it out again. */
  readonly timeoutMs: number;
  readonly maxJobsActive: number;
  /** A name for the worker, shown by the broker. */
  readonly workerName?: string;
  /** Called when the subscription loses (or cannot get) its connection, and when it has one again. */
  readonly onConnectionChange?: (connected: boolean) => void;
}

/** A running job subscription; `close()` stops fetching and waits for jobs in flight (up to `drainMs`). */
export interface JobSubscription {
  close(drainMs?: number): Promise<void>;
}

export interface Transport {
  readonly address: BrokerAddress;
  /** One DeployResource call with every resource: the broker accepts all of them or none. */
  deploy(resources: readonly Resource[]): Promise<Deployment>;
  createInstance(bpmnProcessId: string, variables: Readonly<Record<string, unknown>>, options?: CreateInstanceOptions): Promise<ProcessInstance>;
  topology(): Promise<Topology>;
  /** Runs `onJob` for each activated job of `type`; its outcome becomes the broker command. `onJob` must not throw. */
  subscribe(options: SubscribeOptions, onJob: (job: ActivatedJob) => Promise<JobOutcome>): JobSubscription;
  /** Closes subscriptions still open, then the client. Idempotent. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * Let the SDK retry a call on UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED (forever). Off for
   * one-shot commands, which should fail with a message; on for long-running workers.
   */
  readonly retry?: boolean;
  /** How long the reachability probe may take before `BrokerUnreachableError`. Default 10 s. */
  readonly reachableTimeoutMs?: number;
  /**
   * A client-side deadline for one call (deploy, create, topology), after which it fails with
   * `BrokerTimeoutError` whatever the SDK is doing (it sets no gRPC deadline of its own). Default 30 s;
   * an awaited process instance gets its own `requestTimeoutMs` plus this much.
   */
  readonly callTimeoutMs?: number;
}

// The slice of the SDK client this file uses, typed loosely on purpose: the SDK's own types are generic
// over DTO classes and int64 representations that forager does not expose.
interface SdkJob {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  elementId: string;
  elementInstanceKey: string;
  retries: number;
  deadline: string;
  variables: Record<string, unknown>;
  customHeaders: Record<string, unknown>;
  tenantId: string;
}
interface SdkJobActions {
  complete(variables?: Record<string, unknown>): Promise<unknown>;
  fail(options: { errorMessage: string; retries?: number; retryBackOff?: number }): Promise<unknown>;
  error(options: { errorCode: string; errorMessage?: string; variables?: Record<string, unknown> }): Promise<unknown>;
}
interface SdkWorker {
  close(timeout?: number): Promise<unknown>;
}
interface SdkZeebeClient {
  deployResources(resources: { process: Buffer; name: string }[]): Promise<unknown>;
  createProcessInstance(request: { bpmnProcessId: string; variables: Record<string, unknown>; version?: number }): Promise<unknown>;
  createProcessInstanceWithResult(request: {
    bpmnProcessId: string;
    variables: Record<string, unknown>;
    version?: number;
    requestTimeout?: number;
  }): Promise<unknown>;
  topology(): Promise<unknown>;
  createWorker(config: {
    taskType: string;
    taskHandler: (job: SdkJob & SdkJobActions) => Promise<unknown>;
    timeout: number;
    maxJobsToActivate: number;
    id?: string;
    onReady?: () => void;
    onConnectionError?: () => void;
  }): SdkWorker;
  close(timeout?: number): Promise<unknown>;
}

interface RawDeployment {
  key: string;
  deployments: {
    process?: { bpmnProcessId: string; version: number; processDefinitionKey: string; resourceName: string };
    decision?: { dmnDecisionId: string; version: number; decisionKey: string; resourceName?: string; dmnDecisionRequirementsId: string };
    decisionRequirements?: { dmnDecisionRequirementsId: string; version: number; decisionRequirementsKey: string; resourceName: string };
    form?: { formId: string; version: number; formKey: string; resourceName: string };
  }[];
}

function toDeployment(raw: RawDeployment): Deployment {
  const resources: DeployedResource[] = [];
  for (const d of raw.deployments ?? []) {
    if (d.process) {
      const p = d.process;
      resources.push({ kind: 'process', bpmnProcessId: p.bpmnProcessId, version: Number(p.version), key: String(p.processDefinitionKey), resourceName: p.resourceName });
    } else if (d.decision) {
      const p = d.decision;
      resources.push({ kind: 'decision', decisionId: p.dmnDecisionId, version: Number(p.version), key: String(p.decisionKey), resourceName: p.resourceName ?? '' });
    } else if (d.decisionRequirements) {
      const p = d.decisionRequirements;
      resources.push({
        kind: 'decisionRequirements',
        decisionRequirementsId: p.dmnDecisionRequirementsId,
        version: Number(p.version),
        key: String(p.decisionRequirementsKey),
        resourceName: p.resourceName,
      });
    } else if (d.form) {
      const p = d.form;
      resources.push({ kind: 'form', formId: p.formId, version: Number(p.version), key: String(p.formKey), resourceName: p.resourceName });
    }
  }
  return { key: String(raw.key), resources };
}

interface RawInstance {
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  variables?: Record<string, unknown>;
}

function toInstance(raw: RawInstance, withVariables: boolean): ProcessInstance {
  const instance = {
    processInstanceKey: String(raw.processInstanceKey),
    processDefinitionKey: String(raw.processDefinitionKey),
    bpmnProcessId: raw.bpmnProcessId,
    version: Number(raw.version),
  };
  return withVariables ? { ...instance, variables: raw.variables ?? {} } : instance;
}

function toJob(job: SdkJob): ActivatedJob {
  return {
    key: String(job.key),
    type: job.type,
    processInstanceKey: String(job.processInstanceKey),
    bpmnProcessId: job.bpmnProcessId,
    processDefinitionVersion: Number(job.processDefinitionVersion),
    elementId: job.elementId,
    elementInstanceKey: String(job.elementInstanceKey),
    retries: Number(job.retries),
    deadline: Number(job.deadline),
    variables: job.variables ?? {},
    customHeaders: job.customHeaders ?? {},
    tenantId: job.tenantId,
  };
}

/** The SDK answers a call made while closing with `null` instead of an error; forager makes that an error. */
function orClosed<T>(operation: string, value: T | null): T {
  if (value === null) throw new BrokerError(`${operation}: the client is closing`);
  return value;
}

/**
 * Runs `build` with `console.warn` muted unless the SDK's logs were asked for. Loading and constructing the
 * SDK re-reads `process.env` and warns about settings (ZEEBE_ADDRESS beside ZEEBE_GRPC_ADDRESS, deprecated
 * TLS flags) that forager has already resolved and overridden explicitly, so the warnings would mislead.
 */
async function quietly<T>(sdkLogLevel: SdkLogLevel, build: () => Promise<T>): Promise<T> {
  if (sdkLogLevel !== 'NONE') return build();
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return await build();
  } finally {
    console.warn = warn;
  }
}

/**
 * Checks that a broker answers at the configured address (within `reachableTimeoutMs`), then opens the SDK
 * client. Throws `NoBrokerAddressError` when no address is configured and `BrokerUnreachableError` when
 * none answers.
 */
export async function connect(config: ForagerConfig, options: ConnectOptions = {}): Promise<Transport> {
  const address = config.address;
  if (!address) throw new NoBrokerAddressError();
  await checkReachable(address, options.reachableTimeoutMs ?? 10_000, config.tls);

  const retry = options.retry ?? false;
  const sdkConfig = {
    ...config.sdkConfig,
    zeebeGrpcSettings: {
      ...config.sdkConfig.zeebeGrpcSettings,
      ZEEBE_GRPC_CLIENT_RETRY: retry,
      ...(retry ? {} : { ZEEBE_GRPC_CLIENT_MAX_RETRIES: 0 }),
    },
  };
  const zeebe = await quietly(config.sdkLogLevel, async () => {
    const { Camunda8 } = await import('@camunda8/sdk');
    const c8 = new Camunda8(sdkConfig as ConstructorParameters<typeof Camunda8>[0]);
    return c8.getZeebeGrpcApiClient() as unknown as SdkZeebeClient;
  });
  const target = hostPort(address);
  const subscriptions = new Set<JobSubscription>();
  let closing: Promise<void> | undefined;

  const callTimeoutMs = options.callTimeoutMs ?? 30_000;

  const call = async <T>(operation: string, run: () => Promise<T | null>, timeoutMs = callTimeoutMs): Promise<T> => {
    if (closing) throw new BrokerError(`${operation}: the client is closed`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BrokerTimeoutError(operation, `no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return orClosed(operation, await Promise.race([run(), deadline]));
    } catch (error) {
      throw toBrokerError(operation, error, target);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    address,

    deploy: (resources) =>
      call('deploy', async () => {
        const raw = (await zeebe.deployResources(resources.map((r) => ({ process: r.content, name: r.name })))) as RawDeployment | null;
        return raw === null ? null : toDeployment(raw);
      }),

    createInstance: (bpmnProcessId, variables, options = {}) => {
      const request = { bpmnProcessId, variables: { ...variables }, ...(options.version !== undefined ? { version: options.version } : {}) };
      if (!options.awaitResult) {
        return call('create process instance', async () => {
          const raw = (await zeebe.createProcessInstance(request)) as RawInstance | null;
          return raw === null ? null : toInstance(raw, false);
        });
      }
      const requestTimeout = options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : {};
      return call(
        'create process instance (awaiting its result)',
        async () => {
          const raw = (await zeebe.createProcessInstanceWithResult({ ...request, ...requestTimeout })) as RawInstance | null;
          return raw === null ? null : toInstance(raw, true);
        },
        (options.requestTimeoutMs ?? 0) + callTimeoutMs,
      );
    },

    topology: () =>
      call('topology', async () => {
        const raw = (await zeebe.topology()) as Topology | null;
        if (raw === null) return null;
        return {
          clusterSize: raw.clusterSize,
          partitionsCount: raw.partitionsCount,
          replicationFactor: raw.replicationFactor,
          gatewayVersion: raw.gatewayVersion,
          brokers: (raw.brokers ?? []).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, version: b.version })),
        };
      }),

    subscribe(subscribeOptions, onJob) {
      if (closing) throw new BrokerError(`subscribe ${subscribeOptions.type}: the client is closed`);
      const worker = zeebe.createWorker({
        taskType: subscribeOptions.type,
        timeout: subscribeOptions.timeoutMs,
        maxJobsToActivate: subscribeOptions.maxJobsActive,
        ...(subscribeOptions.workerName !== undefined ? { id: subscribeOptions.workerName } : {}),
        onReady: () => subscribeOptions.onConnectionChange?.(true),
        onConnectionError: () => subscribeOptions.onConnectionChange?.(false),
        taskHandler: async (job) => {
          const outcome = await onJob(toJob(job));
          switch (outcome.kind) {
            case 'complete':
              return job.complete({ ...outcome.variables });
            case 'fail':
              return job.fail({ errorMessage: outcome.errorMessage, retries: outcome.retries, retryBackOff: outcome.retryBackOffMs });
            case 'throwError':
              return job.error({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, variables: { ...outcome.variables } });
          }
        },
      });
      let closed: Promise<void> | undefined;
      const subscription: JobSubscription = {
        close(drainMs = 10_000) {
          closed ??= (async () => {
            let timer: NodeJS.Timeout | undefined;
            const deadline = new Promise<void>((resolve) => {
              timer = setTimeout(resolve, drainMs);
              timer.unref();
            });
            try {
              await Promise.race([worker.close(drainMs).then(() => undefined), deadline]);
            } finally {
              clearTimeout(timer);
              subscriptions.delete(subscription);
            }
          })();
          return closed;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    close() {
      closing ??= (async () => {
        await Promise.allSettled([...subscriptions].map((s) => s.close()));
        await zeebe.close(2_000).catch(() => undefined);
      })();
      return closing;
    },
  };
}
