/**
 * The REST API v2 subset forager's engine serves, with Camunda 8.8's paths and request and response
 * shapes: status, searches and get-by-key over the history (process definitions, process instances, element
 * instances, incidents, jobs, variables), and the commands create / cancel instance, resolve incident,
 * publish / correlate message and broadcast signal. Commands go through `Gateway.submit` (admission and
 * backpressure, as gRPC calls do); rejections map to Camunda's status codes (problem.ts).
 *
 * @example
 * const api = createRestApi({ clock, gateway, history, onCommit: (l) => engine.onCommit(l) });
 * if (await api.handle(req, res, path)) return; // served
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { History } from '../../history/history.ts';
import type { BatchResult } from '../../processing/engine.ts';
import type { Command, EngineRecord } from '../../state/records.ts';
import type { Clock } from '../../time/clock.ts';
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../grpc-gateway.ts';
import {
  checkTenant,
  isObject,
  objectBody,
  optBoolean,
  optInteger,
  optKey,
  optObject,
  optString,
  optStringArray,
  onlyKnown,
  optArray,
  pathKey,
  readJsonBody,
  type Json,
  type JsonObject,
} from './input.ts';
import { RestProblem, invalidArgument, notFound, notSupported, rejectionProblem, sendJson, sendNoContent, sendProblem } from './problem.ts';
import {
  ELEMENT_INSTANCE_SEARCH,
  INCIDENT_SEARCH,
  JOB_SEARCH,
  PROCESS_DEFINITION_SEARCH,
  VARIABLE_SEARCH,
  processInstanceSearch,
  VARIABLE_TRUNCATE_AT,
} from './specs.ts';
import { search } from './search.ts';

export interface RestApiOptions {
  clock: Clock;
  gateway: Gateway;
  history: History;
  /** Subscribes to committed batches (for requests that await a process instance's result). */
  onCommit: (listener: (records: EngineRecord[]) => void) => void;
}

/** How long `awaitCompletion` waits when the request names no `requestTimeout` (wall time, as Zeebe's). */
export const DEFAULT_AWAIT_TIMEOUT_MS = 15_000;

/** The properties of a process instance creation, by id or by key (Camunda's one request class for both). */
const CREATE_INSTANCE = [
  'processDefinitionId',
  'processDefinitionKey',
  'processDefinitionVersion',
  'variables',
  'tenantId',
  'operationReference',
  'startInstructions',
  'runtimeInstructions',
  'awaitCompletion',
  'fetchVariables',
  'requestTimeout',
  'tags',
] as const;

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path parameters in pattern order. */
  params: string[];
}

type Handler = (r: Request) => Promise<void>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

export interface RestApi {
  /** Serves the request if its path is one of the API's; false when the path is not served here. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean>;
}

export function createRestApi(options: RestApiOptions): RestApi {
  const { clock, gateway, history } = options;
  const results = new ResultWaiters(options.onCommit);

  /** `limited`: backpressure may refuse it (429, as Camunda's REST gateway); cancellation never is, as over gRPC. */
  const submit = async (intent: string, command: Command, limited = true): Promise<BatchResult> => {
    let result: BatchResult;
    try {
      result = await gateway.submit(command, limited);
    } catch (error) {
      if (error instanceof GatewayError && error.code === grpcStatus.RESOURCE_EXHAUSTED) {
        throw new RestProblem(429, 'RESOURCE_EXHAUSTED', error.message);
      }
      if (error instanceof GatewayError && error.code === grpcStatus.UNAVAILABLE) {
        throw new RestProblem(503, 'UNAVAILABLE', error.message);
      }
      throw error;
    }
    if (result.rejection) throw rejectionProblem(intent, result.rejection);
    return result;
  };

  /** A command's body: only the properties its request has (`known`), as Camunda 8.8 refuses any other. */
  const body = async (r: Request, known: readonly string[], optional = false): Promise<JsonObject> =>
    onlyKnown(objectBody(await readJsonBody(r.req), optional), known);
  /** A search's body, checked by {@link search}. */
  const query = async (r: Request): Promise<JsonObject> => objectBody(await readJsonBody(r.req), true);

  const getOr404 = <T>(row: T | undefined, what: string, key: string): T => {
    if (!row) throw notFound(`${what} with key '${key}' not found`);
    return row;
  };

  const routes: Route[] = [];
  const route = (method: string, path: string, handler: Handler) => {
    const pattern = new RegExp(`^${path.replace(/:[a-zA-Z]+/g, '([^/]+)')}$`);
    routes.push({ method, pattern, handler });
  };

  route('GET', '/v2/status', async ({ res }) => sendNoContent(res));

  /* ---------- process definitions ---------- */

  route('POST', '/v2/process-definitions/search', async (r) => {
    sendJson(r.res, 200, search(PROCESS_DEFINITION_SEARCH(history), await query(r), history.processDefinitions()));
  });
  route('GET', '/v2/process-definitions/:key', async (r) => {
    const key = pathKey(r.params[0]!, 'processDefinitionKey');
    sendJson(r.res, 200, getOr404(history.processDefinition(key), 'Process definition', key));
  });

  /* ---------- process instances ---------- */

  route('POST', '/v2/process-instances/search', async (r) => {
    sendJson(r.res, 200, search(processInstanceSearch(history), await query(r), history.processInstances()));
  });
  route('GET', '/v2/process-instances/:key', async (r) => {
    const key = pathKey(r.params[0]!, 'processInstanceKey');
    sendJson(r.res, 200, getOr404(history.processInstance(key), 'Process instance', key));
  });
  route('POST', '/v2/process-instances', async (r) => {
    const b = await body(r, CREATE_INSTANCE);
    const processDefinitionId = optString(b, 'processDefinitionId');
    const processDefinitionKey = optKey(b, 'processDefinitionKey');
    const violations: string[] = [];
    if (processDefinitionId === undefined && processDefinitionKey === undefined) {
      violations.push('At least one of [processDefinitionId, processDefinitionKey] is required');
    }
    if (processDefinitionId !== undefined && processDefinitionKey !== undefined) {
      violations.push('Only one of [processDefinitionId, processDefinitionKey] is allowed');
    }
    const operationReference = optInteger(b, 'operationReference');
    if (operationReference !== undefined && operationReference < 1) {
      violations.push(`The value for operationReference is '${operationReference}' but must be > 0`);
    }
    if (violations.length > 0) throw invalidArgument(...violations);
    const version = optInteger(b, 'processDefinitionVersion') ?? -1;
    const variables = optObject(b, 'variables') ?? {};
    checkTenant(optString(b, 'tenantId'), 'Create Process Instance');
    const startInstructions = (optArray(b, 'startInstructions') ?? []).map((s, i) => {
      if (!isObject(s)) throw invalidArgument(`No startInstructions[${i}].elementId provided`);
      onlyKnown(s, ['elementId'], `startInstructions[${i}]`);
      const elementId = optString(s, 'elementId', `startInstructions[${i}]`);
      if (!elementId) throw invalidArgument(`No startInstructions[${i}].elementId provided`);
      return elementId;
    });
    if ((optArray(b, 'runtimeInstructions') ?? []).length > 0) throw notSupported('Runtime instructions of a process instance creation');
    if ((optStringArray(b, 'tags') ?? []).length > 0) throw notSupported('Tags of a process instance');
    const awaitCompletion = optBoolean(b, 'awaitCompletion') ?? false;
    const fetchVariables = optStringArray(b, 'fetchVariables') ?? [];
    const requestTimeout = optInteger(b, 'requestTimeout') ?? 0;
    const command: Command = {
      valueType: 'PROCESS_INSTANCE_CREATION',
      intent: 'CREATE',
      value: {
        bpmnProcessId: processDefinitionId ?? '',
        version,
        processDefinitionKey: processDefinitionKey ?? '0',
        variables,
        startInstructions,
        ...(awaitCompletion ? { awaitResult: true, fetchVariables } : {}),
      },
    };
    const intent = awaitCompletion ? 'CREATE_WITH_AWAITING_RESULT' : 'CREATE';
    const created = awaitCompletion
      ? await results.createAndAwait(() => submit(intent, command), requestTimeout > 0 ? requestTimeout : DEFAULT_AWAIT_TIMEOUT_MS, clock)
      : { response: (await submit(intent, command)).response as Record<string, unknown>, variables: {} };
    const response = created.response;
    sendJson(r.res, 200, {
      processDefinitionId: response.bpmnProcessId,
      processDefinitionVersion: response.version,
      processDefinitionKey: String(response.processDefinitionKey),
      processInstanceKey: String(response.processInstanceKey),
      tenantId: '<default>',
      variables: created.variables,
    });
  });
  route('POST', '/v2/process-instances/:key/cancellation', async (r) => {
    const key = pathKey(r.params[0]!, 'processInstanceKey');
    const b = await body(r, ['operationReference'], true);
    const operationReference = optInteger(b, 'operationReference');
    if (operationReference !== undefined && operationReference < 1) {
      throw invalidArgument(`The value for operationReference is '${operationReference}' but must be > 0`);
    }
    await submit('CANCEL', { valueType: 'PROCESS_INSTANCE', intent: 'CANCEL', key, value: {} }, false);
    sendNoContent(r.res);
  });

  /* ---------- element instances ---------- */

  route('POST', '/v2/element-instances/search', async (r) => {
    sendJson(r.res, 200, search(ELEMENT_INSTANCE_SEARCH(history), await query(r), history.elementInstances()));
  });
  route('GET', '/v2/element-instances/:key', async (r) => {
    const key = pathKey(r.params[0]!, 'elementInstanceKey');
    sendJson(r.res, 200, getOr404(history.elementInstance(key), 'Element instance', key));
  });

  /* ---------- incidents ---------- */

  route('POST', '/v2/incidents/search', async (r) => {
    sendJson(r.res, 200, search(INCIDENT_SEARCH, await query(r), history.incidents()));
  });
  route('GET', '/v2/incidents/:key', async (r) => {
    const key = pathKey(r.params[0]!, 'incidentKey');
    sendJson(r.res, 200, getOr404(history.incident(key), 'Incident', key));
  });
  route('POST', '/v2/incidents/:key/resolution', async (r) => {
    const key = pathKey(r.params[0]!, 'incidentKey');
    const b = await body(r, ['operationReference'], true);
    const operationReference = optInteger(b, 'operationReference');
    if (operationReference !== undefined && operationReference < 1) {
      throw invalidArgument(`The value for operationReference is '${operationReference}' but must be > 0`);
    }
    await submit('RESOLVE', { valueType: 'INCIDENT', intent: 'RESOLVE', key, value: {} });
    sendNoContent(r.res);
  });

  /* ---------- jobs and variables ---------- */

  route('POST', '/v2/jobs/search', async (r) => {
    sendJson(r.res, 200, search(JOB_SEARCH, await query(r), history.jobs()));
  });

  route('POST', '/v2/variables/search', async (r) => {
    const truncate = r.url.searchParams.get('truncateValues') !== 'false';
    const result = search(VARIABLE_SEARCH, await query(r), history.variables());
    sendJson(r.res, 200, {
      ...result,
      items: result.items.map((row) => {
        const isTruncated = truncate && row.value.length > VARIABLE_TRUNCATE_AT;
        return { ...row, value: isTruncated ? row.value.slice(0, VARIABLE_TRUNCATE_AT) : row.value, isTruncated };
      }),
    });
  });
  route('GET', '/v2/variables/:key', async (r) => {
    const key = pathKey(r.params[0]!, 'variableKey');
    sendJson(r.res, 200, getOr404(history.variable(key), 'Variable', key));
  });

  /* ---------- messages and signals ---------- */

  route('POST', '/v2/messages/publication', async (r) => {
    const b = await body(r, ['name', 'correlationKey', 'timeToLive', 'messageId', 'variables', 'tenantId']);
    const name = optString(b, 'name');
    if (!name || name.trim() === '') throw invalidArgument('No name provided');
    checkTenant(optString(b, 'tenantId'), 'Publish Message');
    const timeToLive = optInteger(b, 'timeToLive') ?? 0;
    const result = await submit('PUBLISH', {
      valueType: 'MESSAGE',
      intent: 'PUBLISH',
      value: {
        name,
        correlationKey: optString(b, 'correlationKey') ?? '',
        timeToLive,
        messageId: optString(b, 'messageId') ?? '',
        variables: optObject(b, 'variables') ?? {},
      },
    });
    const response = result.response as { key: string };
    sendJson(r.res, 200, { messageKey: String(response.key), tenantId: '<default>' });
  });

  route('POST', '/v2/messages/correlation', async (r) => {
    const b = await body(r, ['name', 'correlationKey', 'variables', 'tenantId']);
    const name = optString(b, 'name');
    if (!name || name.trim() === '') throw invalidArgument('No messageName provided');
    checkTenant(optString(b, 'tenantId'), 'Correlate Message');
    const correlationKey = optString(b, 'correlationKey') ?? '';
    // Correlation without buffering: a message with no time to live reaches what waits for it now, or nothing.
    const result = await submit('CORRELATE', {
      valueType: 'MESSAGE',
      intent: 'PUBLISH',
      value: { name, correlationKey, timeToLive: 0, messageId: '', variables: optObject(b, 'variables') ?? {} },
    });
    const processInstanceKey = firstCorrelatedInstance(result.records);
    if (processInstanceKey === undefined) {
      throw rejectionProblem('CORRELATE', {
        type: 'NOT_FOUND',
        reason: `Expected to find subscription for message with name '${name}' and correlation key '${correlationKey}', but none was found.`,
      });
    }
    const response = result.response as { key: string };
    sendJson(r.res, 200, { messageKey: String(response.key), processInstanceKey, tenantId: '<default>' });
  });

  route('POST', '/v2/signals/broadcast', async (r) => {
    const b = await body(r, ['signalName', 'variables', 'tenantId']);
    const signalName = optString(b, 'signalName');
    if (signalName === undefined) throw invalidArgument('No signalName provided');
    checkTenant(optString(b, 'tenantId'), 'Broadcast Signal');
    const result = await submit('BROADCAST', {
      valueType: 'SIGNAL',
      intent: 'BROADCAST',
      value: { signalName, variables: optObject(b, 'variables') ?? {} },
    });
    const response = result.response as { key: string };
    sendJson(r.res, 200, { signalKey: String(response.key), tenantId: '<default>' });
  });

  return {
    async handle(req, res, url, path) {
      const matching = routes.filter((r) => r.pattern.test(path));
      if (matching.length === 0) return false;
      const found = matching.find((r) => r.method === req.method);
      try {
        if (!found) {
          throw new RestProblem(405, 'Method Not Allowed', `Method '${req.method}' is not supported.`);
        }
        const params = (path.match(found.pattern) ?? []).slice(1);
        await found.handler({ req, res, url, params });
      } catch (error) {
        sendProblem(res, path, toProblem(error));
      }
      return true;
    },
  };
}

function toProblem(error: unknown): RestProblem {
  if (error instanceof RestProblem) return error;
  return new RestProblem(
    500,
    'INTERNAL',
    `Unexpected error occurred during the request processing: ${(error as Error)?.message ?? String(error)}`,
  );
}

/** The process instance a correlated message reached first: a waiting subscription's, or one it started. */
function firstCorrelatedInstance(records: EngineRecord[]): string | undefined {
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.recordType !== 'EVENT') continue;
    if (r.valueType === 'MESSAGE_SUBSCRIPTION' && r.intent === 'CORRELATED') return String(r.value.processInstanceKey);
    if (r.valueType === 'MESSAGE_START_EVENT_SUBSCRIPTION' && r.intent === 'CORRELATED') {
      const started = records
        .slice(i + 1)
        .find((s) => s.recordType === 'EVENT' && s.valueType === 'PROCESS_INSTANCE' && s.intent === 'ELEMENT_ACTIVATING');
      if (started) return started.key;
    }
  }
  return undefined;
}

/**
 * Results of process instances created with `awaitCompletion`. Results are collected from every commit
 * while a creation is in flight, so one that completes in a later batch before the creation's answer is
 * read is not missed.
 */
class ResultWaiters {
  #creating = 0;
  readonly #early = new Map<string, Record<string, unknown>>();
  readonly #waiting = new Map<string, (variables: Record<string, unknown>) => void>();

  constructor(onCommit: (listener: (records: EngineRecord[]) => void) => void) {
    onCommit((records) => {
      for (const r of records) {
        if (r.recordType !== 'EVENT' || r.valueType !== 'PROCESS_INSTANCE_RESULT') continue;
        const variables = (r.value.variables ?? {}) as Record<string, unknown>;
        const waiter = this.#waiting.get(r.key);
        if (waiter) {
          this.#waiting.delete(r.key);
          waiter(variables);
        } else if (this.#creating > 0) {
          this.#early.set(r.key, variables);
        }
      }
    });
  }

  async createAndAwait(
    create: () => Promise<BatchResult>,
    timeoutMs: number,
    clock: Clock,
  ): Promise<{ response: Record<string, unknown>; variables: Record<string, unknown> }> {
    this.#creating++;
    let response: Record<string, unknown>;
    let key: string;
    let done: Record<string, unknown> | undefined;
    try {
      const result = await create();
      response = result.response as Record<string, unknown>;
      key = String(response.processInstanceKey);
      const inBatch = result.records.find((r) => r.recordType === 'EVENT' && r.valueType === 'PROCESS_INSTANCE_RESULT' && r.key === key);
      done = inBatch ? ((inBatch.value.variables ?? {}) as Record<string, unknown>) : this.#early.get(key);
    } finally {
      if (--this.#creating === 0) this.#early.clear();
    }
    if (done) return { response, variables: done };
    const variables = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const cancel = clock.afterWall(timeoutMs, () => {
        this.#waiting.delete(key);
        reject(
          new RestProblem(
            504,
            'java.util.concurrent.TimeoutException',
            'Expected to handle REST API request, but request timed out between gateway and broker',
          ),
        );
      });
      this.#waiting.set(key, (vars) => {
        cancel();
        resolve(vars);
      });
    });
    return { response, variables };
  }
}

export type { Json };
