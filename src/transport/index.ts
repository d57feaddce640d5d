/**
 * The transport: forager's one narrow way to talk to a Zeebe broker, in domain terms. Two parts:
 * - `connect()`: deploy, create a process instance (and await its result), publish a message, broadcast a
 *   signal, cancel a process instance, set variables, update job retries, resolve an incident, topology —
 *   for the CLI, on the official SDK's gRPC client (`new Camunda8(sdkConfig).getZeebeGrpcApiClient()`);
 * - `createJobClient()` (job-client.ts): the job hot path (activate, stream, complete, fail, throw error,
 *   extend timeout) on a bare grpc-js channel over the SDK's proto, with the SDK's auth providers.
 * gRPC types, status codes and retries stay behind this folder; every failure leaves it as one of the errors
 * in `errors.ts`.
 */
import { hostPort, type BrokerAddress, type ForagerConfig, type SdkLogLevel } from '../config/index.ts';
import { BrokerError, BrokerTimeoutError, NoBrokerAddressError, toBrokerError } from './errors.ts';
import { checkReachable } from './reachable.ts';

export * from './errors.ts';
export { checkReachable } from './reachable.ts';
export { createJobClient } from './job-client.ts';
export type { ActivatedJob } from './job-client.ts';
export type { ActivateRequest, FailRequest, JobClient, JobStream, StreamHandlers, StreamRequest } from './job-client.ts';

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
  /** With `awaitResult`: only these variables in the result (all when omitted or empty). */
  readonly fetchVariables?: readonly string[];
}

/** A message to publish: correlated by name and correlation key, buffered for `timeToLiveMs`. */
export interface MessageToPublish {
  readonly name: string;
  readonly correlationKey: string;
  readonly variables?: Readonly<Record<string, unknown>>;
  /** How long the broker keeps the message for subscriptions opened later; 0 (the default) correlates only now. */
  readonly timeToLiveMs?: number;
  /** Deduplicates: a second message with the same id (and name) within the time to live is rejected. */
  readonly messageId?: string;
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
  readonly brokers: readonly TopologyBroker[];
}

export interface TopologyBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly version: string;
  readonly partitions: readonly { readonly partitionId: number; readonly role: string; readonly health: string }[];
}


export interface Transport {
  readonly address: BrokerAddress;
  /** One DeployResource call with every resource: the broker accepts all of them or none. */
  deploy(resources: readonly Resource[]): Promise<Deployment>;
  createInstance(bpmnProcessId: string, variables: Readonly<Record<string, unknown>>, options?: CreateInstanceOptions): Promise<ProcessInstance>;
  topology(): Promise<Topology>;
  /** Publishes a message; returns the message key. */
  publishMessage(message: MessageToPublish): Promise<string>;
  /** Broadcasts a signal; returns the signal key. */
  broadcastSignal(signalName: string, variables?: Readonly<Record<string, unknown>>): Promise<string>;
  cancelInstance(processInstanceKey: string): Promise<void>;
  /** Sets variables in the scope of an element instance (or process instance); `local` keeps them from propagating up. */
  setVariables(elementInstanceKey: string, variables: Readonly<Record<string, unknown>>, options?: { local?: boolean }): Promise<void>;
  updateRetries(jobKey: string, retries: number): Promise<void>;
  resolveIncident(incidentKey: string): Promise<void>;
  /** Closes the client. Idempotent. */
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
interface SdkZeebeClient {
  deployResources(resources: { process: Buffer; name: string }[]): Promise<unknown>;
  createProcessInstance(request: { bpmnProcessId: string; variables: Record<string, unknown>; version?: number }): Promise<unknown>;
  createProcessInstanceWithResult(request: {
    bpmnProcessId: string;
    variables: Record<string, unknown>;
    version?: number;
    requestTimeout?: number;
    fetchVariables?: string[];
  }): Promise<unknown>;
  topology(): Promise<unknown>;
  publishMessage(request: { name: string; correlationKey: string; variables?: Record<string, unknown>; timeToLive?: number; messageId?: string }): Promise<unknown>;
  broadcastSignal(request: { signalName: string; variables?: Record<string, unknown> }): Promise<unknown>;
  cancelProcessInstance(processInstanceKey: string): Promise<unknown>;
  setVariables(request: { elementInstanceKey: string; variables: Record<string, unknown>; local: boolean }): Promise<unknown>;
  updateJobRetries(request: { jobKey: string; retries: number }): Promise<unknown>;
  resolveIncident(request: { incidentKey: string }): Promise<unknown>;
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
      const fetchVariables = options.fetchVariables?.length ? { fetchVariables: [...options.fetchVariables] } : {};
      return call(
        'create process instance (awaiting its result)',
        async () => {
          const raw = (await zeebe.createProcessInstanceWithResult({ ...request, ...requestTimeout, ...fetchVariables })) as RawInstance | null;
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
          brokers: (raw.brokers ?? []).map((b) => ({
            nodeId: b.nodeId,
            host: b.host,
            port: b.port,
            version: b.version,
            partitions: (b.partitions ?? []).map((p) => ({ partitionId: p.partitionId, role: String(p.role), health: String(p.health) })),
          })),
        };
      }),

    publishMessage: (message) =>
      call('publish message', async () => {
        const raw = (await zeebe.publishMessage({
          name: message.name,
          correlationKey: message.correlationKey,
          variables: { ...(message.variables ?? {}) },
          ...(message.timeToLiveMs !== undefined ? { timeToLive: message.timeToLiveMs } : {}),
          ...(message.messageId !== undefined ? { messageId: message.messageId } : {}),
        })) as { key: string } | null;
        return raw === null ? null : String(raw.key);
      }),

    broadcastSignal: (signalName, variables = {}) =>
      call('broadcast signal', async () => {
        const raw = (await zeebe.broadcastSignal({ signalName, variables: { ...variables } })) as { key: string } | null;
        return raw === null ? null : String(raw.key);
      }),

    cancelInstance: (processInstanceKey) =>
      call('cancel process instance', async () => {
        await zeebe.cancelProcessInstance(processInstanceKey);
      }),

    setVariables: (elementInstanceKey, variables, options = {}) =>
      call('set variables', async () => {
        await zeebe.setVariables({ elementInstanceKey, variables: { ...variables }, local: options.local === true });
      }),

    updateRetries: (jobKey, retries) =>
      call('update job retries', async () => {
        await zeebe.updateJobRetries({ jobKey, retries });
      }),

    resolveIncident: (incidentKey) =>
      call('resolve incident', async () => {
        await zeebe.resolveIncident({ incidentKey });
      }),

    close() {
      closing ??= (async () => {
        await zeebe.close(2_000).catch(() => undefined);
      })();
      return closing;
    },
  };
}
