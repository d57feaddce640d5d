/**
 * The broker's commands in forager's terms, one function each, over a gateway channel: deploy, create a
 * process instance (and await its result), topology, publish a message, broadcast a signal, cancel, set
 * variables, update job retries, resolve an incident. The wire shapes (the SDK's proto: JSON variables as
 * strings, int64 keys as strings, the tenant) are written and read here and nowhere else.
 */
import { CALL_DEADLINE_MS, type GatewayChannel, type RawResponse } from './gateway.ts';

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

/** The tenant every command names: the configured one, or Zeebe's default tenant as the official SDK sends it. */
export const DEFAULT_TENANT = '<default>';

const json = (variables: Readonly<Record<string, unknown>> | undefined): string => JSON.stringify(variables ?? {});

function toDeployment(raw: RawResponse): Deployment {
  const resources: DeployedResource[] = [];
  for (const d of (raw.deployments ?? []) as RawResponse[]) {
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

function toInstance(raw: RawResponse, withVariables: boolean): ProcessInstance {
  const instance = {
    processInstanceKey: String(raw.processInstanceKey),
    processDefinitionKey: String(raw.processDefinitionKey),
    bpmnProcessId: raw.bpmnProcessId,
    version: Number(raw.version),
  };
  return withVariables ? { ...instance, variables: raw.variables ? (JSON.parse(raw.variables) as Record<string, unknown>) : {} } : instance;
}

/** The commands over one channel, every one naming `tenantId`. */
export function brokerCommands(gateway: GatewayChannel, tenantId: string = DEFAULT_TENANT, callDeadlineMs?: number) {
  const unary = (operation: string, method: string, request: object, deadlineMs = callDeadlineMs) =>
    gateway.unary(operation, method, request, deadlineMs === undefined ? {} : { deadlineMs });
  return {
    /** One DeployResource call with every resource: the broker accepts all of them or none. */
    async deploy(resources: readonly Resource[]): Promise<Deployment> {
      return toDeployment(await unary('deploy', 'DeployResource', { resources: resources.map((r) => ({ name: r.name, content: r.content })), tenantId }));
    },

    async createInstance(bpmnProcessId: string, variables: Readonly<Record<string, unknown>>, options: CreateInstanceOptions = {}): Promise<ProcessInstance> {
      const request = { bpmnProcessId, version: options.version ?? -1, variables: json(variables), tenantId };
      if (!options.awaitResult) return toInstance(await unary('create process instance', 'CreateProcessInstance', request), false);
      const requestTimeoutMs = options.requestTimeoutMs ?? 0;
      const raw = await unary(
        'create process instance (awaiting its result)',
        'CreateProcessInstanceWithResult',
        { request, requestTimeout: requestTimeoutMs, fetchVariables: [...(options.fetchVariables ?? [])] },
        // The broker answers DEADLINE_EXCEEDED itself after requestTimeout; the call's deadline leaves it room.
        requestTimeoutMs + (callDeadlineMs ?? CALL_DEADLINE_MS),
      );
      return toInstance(raw, true);
    },

    async topology(): Promise<Topology> {
      const raw = await unary('topology', 'Topology', {});
      return {
        clusterSize: raw.clusterSize,
        partitionsCount: raw.partitionsCount,
        replicationFactor: raw.replicationFactor,
        gatewayVersion: raw.gatewayVersion,
        brokers: ((raw.brokers ?? []) as RawResponse[]).map((b) => ({
          nodeId: b.nodeId,
          host: b.host,
          port: b.port,
          version: b.version,
          partitions: ((b.partitions ?? []) as RawResponse[]).map((p) => ({ partitionId: p.partitionId, role: String(p.role), health: String(p.health) })),
        })),
      };
    },

    /** Publishes a message; returns the message key. */
    async publishMessage(message: MessageToPublish): Promise<string> {
      const raw = await unary('publish message', 'PublishMessage', {
        name: message.name,
        correlationKey: message.correlationKey,
        timeToLive: message.timeToLiveMs ?? 0,
        messageId: message.messageId ?? '',
        variables: json(message.variables),
        tenantId,
      });
      return String(raw.key);
    },

    /** Broadcasts a signal; returns the signal key. */
    async broadcastSignal(signalName: string, variables?: Readonly<Record<string, unknown>>): Promise<string> {
      return String((await unary('broadcast signal', 'BroadcastSignal', { signalName, variables: json(variables), tenantId })).key);
    },

    async cancelInstance(processInstanceKey: string): Promise<void> {
      await unary('cancel process instance', 'CancelProcessInstance', { processInstanceKey });
    },

    /** Sets variables in the scope of an element instance (or process instance); `local` keeps them from propagating up. */
    async setVariables(elementInstanceKey: string, variables: Readonly<Record<string, unknown>>, options: { local?: boolean } = {}): Promise<void> {
      await unary('set variables', 'SetVariables', { elementInstanceKey, variables: json(variables), local: options.local === true });
    },

    async updateRetries(jobKey: string, retries: number): Promise<void> {
      await unary('update job retries', 'UpdateJobRetries', { jobKey, retries });
    },

    async resolveIncident(incidentKey: string): Promise<void> {
      await unary('resolve incident', 'ResolveIncident', { incidentKey });
    },
  };
}

export type BrokerCommands = ReturnType<typeof brokerCommands>;
