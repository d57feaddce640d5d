/**
 * The gRPC gateway: Zeebe's `gateway_protocol.Gateway` service, loaded from the proto that ships in the
 * installed `@camunda8/sdk`. Each call is checked, turned into one command, and answered from the command's
 * result. Long polls and job streams live here, at the edge: they park until a commit makes jobs of their
 * type activatable.
 *
 * Backpressure (off by default) works as in a Zeebe broker: commands wait in a queue that is drained in
 * batches on the event loop, so the queue's length is the number of commands in flight; past the limit a
 * command gets 8 RESOURCE_EXHAUSTED, except CompleteJob, FailJob, CancelProcessInstance and DeployResource,
 * which are always taken (zeebe-semantics.md §10). With the limit off and nothing queued, a command is
 * processed at once, with no extra turn of the event loop.
 *
 * The gateway can be closed and opened again around a restart of the gRPC server (the engine and its state
 * stay): closing answers what is queued, ends long polls empty, ends job streams with 14 UNAVAILABLE and
 * yields back every pushed job that had not reached the connection.
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { BatchResult, ProcessingEngine } from '../processing/engine.ts';
import type { ActivateValue, ActivatedJob } from '../processing/jobs.ts';
import { TENANT, type PreparedResource } from '../processing/processors.ts';
import type { Command, EngineRecord } from '../state/records.ts';
import { indexSize } from '../state/state.ts';
import type { Cancel, Clock } from '../time/clock.ts';
import {
  GatewayError,
  activationOverloaded,
  invalidArgument,
  overloaded,
  rejectionError,
  toServiceError,
  unavailable,
} from './errors.ts';
import { MAX_VARIABLE_NESTING_DEPTH, nestingDepth, tooDeep } from './nesting.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- proto-loader messages are untyped objects */
type Msg = any;

export const GATEWAY_VERSION = '8.8.0';
const DEFAULT_LONG_POLL_MS = 10_000;
const DEFAULT_AWAIT_RESULT_MS = 15_000;
/** Queued commands processed per turn of the event loop before I/O gets its turn again. */
const DRAIN_BATCH = 64;

export function loadGatewayService(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const sdkDir = dirname(require.resolve('@camunda8/sdk/package.json'));
  const definition = protoLoader.loadSync(join(sdkDir, 'dist/proto/zeebe.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as Msg;
  return pkg.gateway_protocol.Gateway.service as grpc.ServiceDefinition;
}

interface ParkedPoll {
  type: string;
  request: ActivateValue;
  call: grpc.ServerWritableStream<Msg, Msg>;
  cancelTimer: Cancel;
  done: boolean;
}

interface JobStream {
  id: number;
  type: string;
  worker: string;
  timeout: number;
  fetchVariable: string[];
  call: grpc.ServerWritableStream<Msg, Msg>;
  /** False while the client's flow-control window is full. */
  ready: boolean;
  closed: boolean;
  /** Pushed jobs not yet handed to the connection (job key → the deadline they were activated with). */
  inTransit: Map<string, number>;
}

interface ResultWaiter {
  callback: grpc.sendUnaryData<Msg>;
  cancelTimer: Cancel;
  response: Msg;
}

export interface GatewayOptions {
  engine: ProcessingEngine;
  clock: Clock;
  prepareResources(resources: { name: string; content: Buffer }[]): Promise<PreparedResource[]>;
  host: string;
  port: () => number;
  /** Commands in flight before limited ones get RESOURCE_EXHAUSTED; undefined: no limit. */
  maxInFlight?: number;
  /**
   * Runs `fn` once every record appended so far is on disk (the log's `whenDurable`); replies, job pushes
   * and other answers wait on it. Undefined: the log is in memory, answers go out at once.
   */
  whenDurable?: (fn: () => void) => void;
}

/** A unit of work behind one request: processes its command(s) and answers the call itself. */
type Work = () => void;

export class Gateway {
  readonly #engine: ProcessingEngine;
  readonly #clock: Clock;
  readonly #options: GatewayOptions;
  readonly #polls = new Map<string, ParkedPoll[]>();
  readonly #streams = new Map<string, JobStream[]>();
  readonly #waiters = new Map<string, ResultWaiter>();
  #streamIds = 0;
  #stopped = false;
  #maxInFlight: number | undefined;
  /** Commands admitted and not yet processed: the commands in flight. */
  #queue: Work[] = [];
  #queueHead = 0;
  #drainScheduled = false;

  constructor(options: GatewayOptions) {
    this.#engine = options.engine;
    this.#clock = options.clock;
    this.#options = options;
    this.setBackpressure(options.maxInFlight);
    this.#engine.onCommit((records) => this.#afterCommit(records));
  }

  /**
   * Sets the limit of commands in flight: past it, limited commands get 8 RESOURCE_EXHAUSTED. 0 refuses
   * every limited command; undefined turns backpressure off.
   */
  setBackpressure(maxInFlight: number | undefined): void {
    if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight >= 0)) {
      throw new RangeError(`maxInFlight must be a whole number of at least 0, or undefined to turn backpressure off; got ${maxInFlight}`);
    }
    this.#maxInFlight = maxInFlight;
  }

  /** Commands admitted and waiting to be processed. */
  get inFlight(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Closes the gateway: answers every queued command (they were admitted), ends parked polls empty, ends job
   * streams with 14 UNAVAILABLE (jobs still in transit on them are yielded back once the call is gone), and
   * answers result waiters with 14 UNAVAILABLE. Calls that arrive while closed get 14 UNAVAILABLE.
   */
  close(): void {
    this.#drain(Infinity);
    this.#stopped = true;
    for (const polls of this.#polls.values()) for (const poll of [...polls]) this.#endPoll(poll);
    this.#polls.clear();
    for (const streams of this.#streams.values()) {
      for (const s of streams) {
        s.closed = true;
        if (!s.call.cancelled && !s.call.destroyed) failStream(s.call, unavailable());
      }
    }
    this.#streams.clear();
    for (const waiter of this.#waiters.values()) {
      waiter.cancelTimer();
      waiter.callback(toServiceError(unavailable()) as grpc.ServiceError);
    }
    this.#waiters.clear();
  }

  /** Opens the gateway again after `close()` (a new gRPC server serves the same handlers). */
  open(): void {
    this.#stopped = false;
  }

  /**
   * Processes one command through admission (and so backpressure), for the REST API and other edges that are
   * not gRPC calls. Resolves with the batch's result (a rejection is a result, not an error) once it is on
   * disk; rejects with 8 RESOURCE_EXHAUSTED when `limited` and the limit is reached, or 14 UNAVAILABLE while
   * closed.
   */
  submit(command: Command, limited = true): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      try {
        const admitted = this.#admit(limited, () => {
          try {
            const result = this.#engine.process(command);
            this.#whenDurable(() => resolve(result));
          } catch (error) {
            reject(error as Error);
          }
        });
        if (!admitted) reject(overloaded());
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  /**
   * Runs `fn` (an answer a client will see) once the records of every command processed so far are on disk:
   * at once in memory, after the group commit that carries them with a data directory. Processing itself
   * runs ahead; only what leaves the engine waits, rejections included (they may rest on state not yet on disk).
   */
  #whenDurable(fn: () => void): void {
    const wait = this.#options.whenDurable;
    if (wait) wait(fn);
    else fn();
  }

  /* ---------- admission: the command queue and its limit ---------- */

  /**
   * Admits one request's work: runs it at once when backpressure is off and nothing is queued, else queues
   * it for the next drain. Returns false when the limiter refused it (only `limited` work can be refused).
   */
  #admit(limited: boolean, work: Work): boolean {
    if (this.#stopped) throw unavailable();
    const max = this.#maxInFlight;
    const inFlight = this.inFlight;
    if (max === undefined && inFlight === 0) {
      work();
      return true;
    }
    if (limited && max !== undefined && inFlight >= max) return false;
    this.#queue.push(work);
    this.#scheduleDrain();
    return true;
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain(DRAIN_BATCH);
    });
  }

  /** Processes up to `max` queued commands in arrival order; schedules the next batch if more wait. */
  #drain(max: number): void {
    let done = 0;
    while (this.#queueHead < this.#queue.length && done < max) {
      const work = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Work;
      done++;
      try {
        work();
      } catch {
        // Work answers its own call; a failure here must not stop the queue.
      }
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else {
      if (this.#queueHead > 1024) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      this.#scheduleDrain();
    }
  }

  /** The handlers for `grpc.Server.addService`. */
  handlers(): grpc.UntypedServiceImplementation {
    // A request that is not a command (Topology): answered at once, never limited.
    const direct =
      (fn: (request: Msg) => Msg) =>
      (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
        Promise.resolve()
          .then(() => fn(call.request))
          .then(
            (response) => callback(null, response),
            (error) => callback(toServiceError(error) as grpc.ServiceError),
          );
      };
    // A command: `prepare` checks the request (a bad one is answered before backpressure, as Zeebe's gateway
    // does) and returns what processes it; that goes through admission. `limited`: backpressure may refuse it.
    const unary =
      (limited: boolean, prepare: (request: Msg) => (() => Msg) | Promise<() => Msg>) =>
      (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) => {
        const fail = (error: unknown) => callback(toServiceError(error) as grpc.ServiceError);
        Promise.resolve()
          .then(() => prepare(call.request))
          .then((process) => {
            const admitted = this.#admit(limited, () => {
              let response: Msg;
              try {
                response = process();
              } catch (error) {
                this.#whenDurable(() => fail(error));
                return;
              }
              this.#whenDurable(() => callback(null, response));
            });
            if (!admitted) fail(overloaded());
          })
          .catch(fail);
      };
    const LIMITED = true;
    const ALWAYS = false;
    const unimplemented = (name: string) => (_call: unknown, callback: grpc.sendUnaryData<Msg>) =>
      callback({
        code: grpc.status.UNIMPLEMENTED,
        details: `${name} is not implemented by forager's engine yet; run it against a Camunda 8 cluster`,
      });

    return {
      Topology: direct(() => this.#topology()),
      DeployResource: unary(ALWAYS, (r) => this.#deploy(r.resources, r.tenantId)),
      DeployProcess: unary(ALWAYS, async (r) => {
        const deploy = await this.#deploy(
          ((r.processes ?? []) as Msg[]).map((p) => ({ name: p.name, content: p.definition })),
          '',
        );
        return () => {
          const response = deploy();
          return { key: response.key, processes: response.deployments.map((d: Msg) => d.process).filter(Boolean) };
        };
      }),
      CreateProcessInstance: unary(LIMITED, (r) => this.#prepared('CREATE', this.#creation(r))),
      CreateProcessInstanceWithResult: (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) =>
        this.#createWithResult(call, callback),
      CancelProcessInstance: unary(ALWAYS, (r) =>
        this.#prepared('CANCEL', { valueType: 'PROCESS_INSTANCE', intent: 'CANCEL', key: r.processInstanceKey, value: {} }),
      ),
      ActivateJobs: (call: grpc.ServerWritableStream<Msg, Msg>) => this.#activateJobs(call),
      StreamActivatedJobs: (call: grpc.ServerWritableStream<Msg, Msg>) => this.#streamJobs(call),
      CompleteJob: unary(ALWAYS, (r) =>
        this.#prepared('COMPLETE', {
          valueType: 'JOB',
          intent: 'COMPLETE',
          key: r.jobKey,
          value: { variables: parseDocument(r.variables, 'variables') },
        }),
      ),
      FailJob: unary(ALWAYS, (r) =>
        this.#prepared('FAIL', {
          valueType: 'JOB',
          intent: 'FAIL',
          key: r.jobKey,
          value: {
            retries: r.retries,
            errorMessage: r.errorMessage,
            retryBackOff: Number(r.retryBackOff),
            variables: parseDocument(r.variables, 'variables'),
          },
        }),
      ),
      ThrowError: unary(LIMITED, (r) => {
        return this.#prepared('THROW_ERROR', {
          valueType: 'JOB',
          intent: 'THROW_ERROR',
          key: r.jobKey,
          value: { errorCode: r.errorCode, errorMessage: r.errorMessage, variables: parseDocument(r.variables, 'variables') },
        });
      }),
      UpdateJobRetries: unary(LIMITED, (r) =>
        this.#prepared('UPDATE_RETRIES', { valueType: 'JOB', intent: 'UPDATE_RETRIES', key: r.jobKey, value: { retries: r.retries } }),
      ),
      UpdateJobTimeout: unary(LIMITED, (r) =>
        this.#prepared('UPDATE_TIMEOUT', {
          valueType: 'JOB',
          intent: 'UPDATE_TIMEOUT',
          key: r.jobKey,
          value: { timeout: Number(r.timeout) },
        }),
      ),
      ResolveIncident: unary(LIMITED, (r) =>
        this.#prepared('RESOLVE', { valueType: 'INCIDENT', intent: 'RESOLVE', key: r.incidentKey, value: {} }),
      ),
      SetVariables: unary(LIMITED, (r) =>
        this.#prepared('UPDATE', {
          valueType: 'VARIABLE_DOCUMENT',
          intent: 'UPDATE',
          value: { scopeKey: r.elementInstanceKey, variables: parseDocument(r.variables, 'variables'), local: r.local },
        }),
      ),
      PublishMessage: unary(LIMITED, (r) => {
        checkTenant(r.tenantId);
        if (!r.name) throw invalidArgument("Expected to publish a message with a non-empty 'name', but it was empty");
        return this.#prepared('PUBLISH', {
          valueType: 'MESSAGE',
          intent: 'PUBLISH',
          value: {
            name: r.name,
            correlationKey: r.correlationKey,
            timeToLive: Number(r.timeToLive),
            messageId: r.messageId,
            variables: parseDocument(r.variables, 'variables'),
          },
        });
      }),
      BroadcastSignal: unary(LIMITED, (r) => {
        checkTenant(r.tenantId);
        if (!r.signalName) throw invalidArgument("Expected to broadcast a signal with a non-empty 'signalName', but it was empty");
        return this.#prepared('BROADCAST', {
          valueType: 'SIGNAL',
          intent: 'BROADCAST',
          value: { signalName: r.signalName, variables: parseDocument(r.variables, 'variables') },
        });
      }),
      EvaluateDecision: unary(LIMITED, (r) => {
        checkTenant(r.tenantId);
        return this.#prepared('EVALUATE', {
          valueType: 'DECISION_EVALUATION',
          intent: 'EVALUATE',
          value: { decisionId: r.decisionId, decisionKey: String(r.decisionKey ?? ''), variables: parseDocument(r.variables, 'variables') },
        });
      }),
      ModifyProcessInstance: unary(LIMITED, (r) =>
        this.#prepared('MODIFY', {
          valueType: 'PROCESS_INSTANCE_MODIFICATION',
          intent: 'MODIFY',
          value: {
            processInstanceKey: String(r.processInstanceKey),
            activateInstructions: ((r.activateInstructions ?? []) as Msg[]).map((a) => ({
              elementId: String(a.elementId ?? ''),
              ancestorElementInstanceKey: String(a.ancestorElementInstanceKey ?? '-1'),
              variableInstructions: ((a.variableInstructions ?? []) as Msg[]).map((vi) => ({
                variables: parseDocument(vi.variables, 'variables'),
                scopeId: String(vi.scopeId ?? ''),
              })),
            })),
            terminateInstructions: ((r.terminateInstructions ?? []) as Msg[]).map((t) => ({ elementInstanceKey: String(t.elementInstanceKey) })),
          },
        }),
      ),
      MigrateProcessInstance: unimplemented('MigrateProcessInstance'),
      DeleteResource: unary(LIMITED, (r) =>
        this.#prepared('DELETE', { valueType: 'RESOURCE_DELETION', intent: 'DELETE', value: { resourceKey: String(r.resourceKey ?? '') } }),
      ),
    };
  }

  /* ---------- unary commands ---------- */

  #command(intent: string, command: Command): Msg {
    const result = this.#engine.process(command);
    if (result.rejection) throw rejectionError(intent, result.rejection);
    return result.response ?? {};
  }

  /** A checked command, to be processed once admitted. */
  #prepared(intent: string, command: Command): () => Msg {
    return () => this.#command(intent, command);
  }

  #topology(): Msg {
    return {
      brokers: [
        {
          nodeId: 0,
          host: this.#options.host,
          port: this.#options.port(),
          version: GATEWAY_VERSION,
          partitions: [{ partitionId: 1, role: 'LEADER', health: 'HEALTHY' }],
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: GATEWAY_VERSION,
    };
  }

  async #deploy(resources: { name: string; content: Buffer }[], tenantId: string): Promise<() => Msg> {
    checkTenant(tenantId);
    if (!resources || resources.length === 0) {
      throw invalidArgument('Expected to deploy at least one resource, but none given');
    }
    const prepared = await this.#options.prepareResources(resources);
    return this.#prepared('CREATE', { valueType: 'DEPLOYMENT', intent: 'CREATE', value: { resources: prepared } });
  }

  #creation(r: Msg, extra: Record<string, unknown> = {}): Command {
    checkTenant(r.tenantId);
    return {
      valueType: 'PROCESS_INSTANCE_CREATION',
      intent: 'CREATE',
      value: {
        bpmnProcessId: r.bpmnProcessId,
        version: r.version,
        processDefinitionKey: r.processDefinitionKey,
        variables: parseDocument(r.variables, 'variables'),
        startInstructions: (r.startInstructions ?? []).map((s: Msg) => s.elementId),
        ...extra,
      },
    };
  }

  #createWithResult(call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>): void {
    try {
      const r = call.request;
      if (!r.request) throw invalidArgument("Expected a 'request' to create a process instance, but none given");
      const command = this.#creation(r.request, { awaitResult: true, fetchVariables: r.fetchVariables ?? [] });
      // Processing and registering the result waiter happen in one go, so that no commit in between can
      // complete the instance unseen.
      if (!this.#admit(true, () => this.#createAndAwait(call, callback, command))) throw overloaded();
    } catch (error) {
      callback(toServiceError(error) as grpc.ServiceError);
    }
  }

  #createAndAwait(call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>, command: Command): void {
    let created: Msg;
    let records: EngineRecord[];
    try {
      const result = this.#engine.process(command);
      if (result.rejection) throw rejectionError('CREATE_WITH_AWAITING_RESULT', result.rejection);
      created = result.response;
      records = result.records;
    } catch (error) {
      this.#whenDurable(() => callback(toServiceError(error) as grpc.ServiceError));
      return;
    }
    const key = String(created.processInstanceKey);
    const response = {
      processDefinitionKey: created.processDefinitionKey,
      bpmnProcessId: created.bpmnProcessId,
      version: created.version,
      processInstanceKey: key,
      tenantId: TENANT,
    };
    const done = records.find(isResultOf(key));
    if (done) {
      this.#whenDurable(() => callback(null, { ...response, variables: JSON.stringify(done.value.variables) }));
      return;
    }
    const timeoutMs = Number(call.request.requestTimeout) > 0 ? Number(call.request.requestTimeout) : DEFAULT_AWAIT_RESULT_MS;
    const cancelTimer = this.#clock.afterWall(timeoutMs, () => {
      this.#waiters.delete(key);
      callback({
        code: grpc.status.DEADLINE_EXCEEDED,
        details: `Time out between gateway and broker: the process instance '${key}' did not complete within ${timeoutMs} ms; it keeps running`,
      });
    });
    this.#waiters.set(key, { callback, cancelTimer, response });
    call.on('cancelled', () => {
      const waiter = this.#waiters.get(key);
      if (waiter) {
        waiter.cancelTimer();
        this.#waiters.delete(key);
      }
    });
  }

  /* ---------- job activation ---------- */

  #activationRequest(r: Msg, max: number): ActivateValue {
    if (!r.type) throw invalidArgument("Expected to activate jobs with a non-empty 'type', but it was empty");
    const timeout = Number(r.timeout);
    if (!(timeout >= 1)) throw invalidArgument(`Expected to activate jobs with a 'timeout' of at least 1 ms, but it was '${r.timeout}'`);
    if (!(max >= 1)) {
      throw invalidArgument(`Expected to activate jobs with a 'maxJobsToActivate' of at least 1, but it was '${max}'`);
    }
    checkTenantIds(r.tenantIds);
    return { type: r.type, worker: r.worker ?? '', timeout, maxJobsToActivate: max, fetchVariable: r.fetchVariable ?? [] };
  }

  #activateJobs(call: grpc.ServerWritableStream<Msg, Msg>): void {
    let request: ActivateValue;
    let admitted: boolean;
    try {
      request = this.#activationRequest(call.request, call.request.maxJobsToActivate);
      admitted = this.#admit(true, () => this.#activateOrPark(call, request));
    } catch (error) {
      failStream(call, error);
      return;
    }
    // Refused by the limiter: as in Zeebe (A5), 8 only when no job could be activated; no long polling.
    if (!admitted && !this.#tryActivate(call, request)) failStream(call, activationOverloaded(request.type));
  }

  #activateOrPark(call: grpc.ServerWritableStream<Msg, Msg>, request: ActivateValue): void {
    if (call.cancelled || call.destroyed) return;
    if (this.#tryActivate(call, request)) return;
    const requestTimeout = Number(call.request.requestTimeout);
    if (requestTimeout < 0 || this.#stopped) {
      this.#whenDurable(() => {
        if (!call.cancelled && !call.destroyed) call.end();
      });
      return;
    }
    const wait = requestTimeout === 0 ? DEFAULT_LONG_POLL_MS : requestTimeout;
    const poll: ParkedPoll = {
      type: request.type,
      request,
      call,
      done: false,
      cancelTimer: () => {},
    };
    poll.cancelTimer = this.#clock.afterWall(wait, () => this.#endPoll(poll));
    const list = this.#polls.get(request.type) ?? [];
    list.push(poll);
    this.#polls.set(request.type, list);
    call.on('cancelled', () => this.#endPoll(poll));
  }

  /** Activates jobs for a poll and answers it when there were any. */
  #tryActivate(call: grpc.ServerWritableStream<Msg, Msg>, request: ActivateValue): boolean {
    const result = this.#engine.process({ valueType: 'JOB_BATCH', intent: 'ACTIVATE', value: { ...request } });
    const jobs = (result.response as { jobs?: ActivatedJob[] } | undefined)?.jobs ?? [];
    if (jobs.length === 0) return false;
    if (call.cancelled || call.destroyed) {
      // The client went away: give the jobs back at once, retries unchanged.
      for (const job of jobs) this.#engine.process({ valueType: 'JOB', intent: 'YIELD', key: job.key, value: {} });
      return true;
    }
    // Jobs that never reach the connection (the call is cut first) are given back too.
    const inTransit = new Map(jobs.map((job) => [job.key, this.#engine.state.jobs.get(job.key)?.deadline ?? -1]));
    call.once('cancelled', () => this.#yieldLater(inTransit));
    this.#whenDurable(() => {
      if (call.cancelled || call.destroyed) return; // the 'cancelled' handler gives the jobs back
      call.write({ jobs }, (error?: Error | null) => {
        if (!error) inTransit.clear();
      });
      call.end();
    });
    return true;
  }

  /**
   * Gives jobs that were activated for a call but never handed to its connection back (YIELD, retries
   * unchanged), unless they moved on meanwhile (completed, timed out, activated again).
   */
  #yieldLater(jobs: Map<string, number>): void {
    if (jobs.size === 0) return;
    const entries = [...jobs];
    jobs.clear();
    setImmediate(() => {
      for (const [key, deadline] of entries) {
        const job = this.#engine.state.jobs.get(key);
        if (job?.state === 'ACTIVATED' && job.deadline === deadline) {
          this.#engine.process({ valueType: 'JOB', intent: 'YIELD', key, value: {} });
        }
      }
    });
  }

  #endPoll(poll: ParkedPoll): void {
    if (poll.done) return;
    poll.done = true;
    poll.cancelTimer();
    const list = this.#polls.get(poll.type);
    if (list) {
      const i = list.indexOf(poll);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#polls.delete(poll.type);
    }
    if (!poll.call.cancelled && !poll.call.destroyed) poll.call.end();
  }

  #streamJobs(call: grpc.ServerWritableStream<Msg, Msg>): void {
    let request: ActivateValue;
    try {
      request = this.#activationRequest(call.request, 1);
      if (this.#stopped) throw unavailable();
    } catch (error) {
      failStream(call, error);
      return;
    }
    const stream: JobStream = {
      id: ++this.#streamIds,
      type: request.type,
      worker: request.worker,
      timeout: request.timeout,
      fetchVariable: request.fetchVariable,
      call,
      ready: true,
      closed: false,
      inTransit: new Map(),
    };
    const list = this.#streams.get(stream.type) ?? [];
    list.push(stream);
    this.#streams.set(stream.type, list);
    const remove = () => {
      if (stream.closed) return;
      stream.closed = true;
      const current = this.#streams.get(stream.type);
      if (!current) return;
      const i = current.indexOf(stream);
      if (i >= 0) current.splice(i, 1);
      if (current.length === 0) this.#streams.delete(stream.type);
    };
    // Cut before they reached the connection: the jobs in transit go back (S5).
    const cut = () => {
      remove();
      this.#yieldLater(stream.inTransit);
    };
    call.on('cancelled', cut);
    call.on('close', cut);
    call.on('error', remove);
    call.on('drain', () => {
      stream.ready = true;
    });
  }

  /* ---------- after each commit ---------- */

  #afterCommit(records: EngineRecord[]): void {
    const available: string[] = [];
    for (const r of records) {
      if (r.recordType !== 'EVENT') continue;
      if (r.valueType === 'PROCESS_INSTANCE_RESULT') this.#answerWaiter(r);
      else if (r.valueType === 'PROCESS_INSTANCE' && r.intent === 'ELEMENT_TERMINATED' && r.value.flowScopeKey === undefined) {
        // A cancelled instance sends no result; its caller runs into the request timeout, as with Zeebe.
      } else if (becameActivatable(r)) available.push(jobKeyOf(r));
    }
    if (available.length > 0) setImmediate(() => this.#distribute(available));
  }

  #answerWaiter(record: EngineRecord): void {
    const key = String(record.value.processInstanceKey);
    const waiter = this.#waiters.get(key);
    if (!waiter) return;
    this.#waiters.delete(key);
    waiter.cancelTimer();
    this.#whenDurable(() => waiter.callback(null, { ...waiter.response, variables: JSON.stringify(record.value.variables) }));
  }

  /** Offers jobs that became activatable to streams of their type first, then to parked polls. */
  #distribute(jobKeys: string[]): void {
    if (this.#stopped) return;
    const forPolls = new Set<string>();
    for (const key of jobKeys) {
      const job = this.#engine.state.jobs.get(key);
      if (!job || job.state !== 'ACTIVATABLE') continue;
      if (!this.#push(key, job.type)) forPolls.add(job.type);
    }
    for (const type of forPolls) {
      const polls = this.#polls.get(type);
      while (polls && polls.length > 0 && indexSize(this.#engine.state.activatable, type) > 0) {
        const poll = polls[0]!;
        if (this.#tryActivate(poll.call, poll.request)) {
          poll.done = true;
          poll.cancelTimer();
          polls.shift();
        } else break;
      }
      if (polls && polls.length === 0) this.#polls.delete(type);
    }
  }

  /** Pushes one job to a random ready stream of its type; false when no stream could take it. */
  #push(jobKey: string, type: string): boolean {
    const candidates = (this.#streams.get(type) ?? []).filter((s) => s.ready && !s.closed);
    while (candidates.length > 0) {
      const i = candidates.length === 1 ? 0 : randomInt(candidates.length);
      const stream = candidates[i]!;
      candidates.splice(i, 1);
      const result = this.#engine.process({
        valueType: 'JOB_BATCH',
        intent: 'ACTIVATE',
        value: {
          type,
          worker: stream.worker,
          timeout: stream.timeout,
          maxJobsToActivate: 1,
          fetchVariable: stream.fetchVariable,
          jobKeys: [jobKey],
        },
      });
      const job = (result.response as { jobs?: ActivatedJob[] } | undefined)?.jobs?.[0];
      if (!job) return true; // someone else took it meanwhile
      if (stream.closed || stream.call.cancelled || stream.call.destroyed) {
        this.#engine.process({ valueType: 'JOB', intent: 'YIELD', key: jobKey, value: {} });
        continue;
      }
      const deadline = this.#engine.state.jobs.get(jobKey)?.deadline ?? -1;
      stream.inTransit.set(jobKey, deadline);
      this.#whenDurable(() => {
        // A stream cut meanwhile gives its jobs in transit back (see `cut` in #streamJobs).
        if (stream.closed || stream.call.cancelled || stream.call.destroyed) return;
        stream.ready = stream.call.write(job, (error?: Error | null) => {
          if (!error && stream.inTransit.get(jobKey) === deadline) stream.inTransit.delete(jobKey);
        });
      });
      return true;
    }
    return false;
  }
}

function becameActivatable(r: EngineRecord): boolean {
  if (r.valueType === 'JOB') {
    if (r.intent === 'CREATED' || r.intent === 'TIMED_OUT' || r.intent === 'RECURRED_AFTER_BACKOFF' || r.intent === 'YIELDED') {
      return true;
    }
    return r.intent === 'FAILED' && (r.value.retries as number) > 0 && (r.value.recurAt as number) < 0;
  }
  return r.valueType === 'INCIDENT' && r.intent === 'RESOLVED' && Boolean(r.value.jobKey);
}

function jobKeyOf(r: EngineRecord): string {
  return r.valueType === 'INCIDENT' ? String(r.value.jobKey) : r.key;
}

function isResultOf(key: string) {
  return (r: EngineRecord) => r.recordType === 'EVENT' && r.valueType === 'PROCESS_INSTANCE_RESULT' && r.key === key;
}

/** Zeebe's JSON-document rule: "" means {}; the root must be an object. */
export function parseDocument(text: string | undefined, field: string): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(`Property '${field}' is invalid: Expected document to be valid JSON, but it was not: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'NIL' : Array.isArray(value) ? 'ARRAY' : typeof value === 'string' ? 'STRING' : typeof value === 'number' ? 'NUMBER' : 'BOOLEAN';
    throw invalidArgument(`Property '${field}' is invalid: Expected document to be a root level object, but was '${kind}'`);
  }
  if (nestingDepth(value, MAX_VARIABLE_NESTING_DEPTH) > MAX_VARIABLE_NESTING_DEPTH) throw invalidArgument(tooDeep(field));
  return value as Record<string, unknown>;
}

function checkTenant(tenantId: string | undefined): void {
  if (tenantId && tenantId !== TENANT) {
    throw invalidArgument(`Expected to handle request with tenant identifier '${tenantId}', but multi-tenancy is disabled`);
  }
}

function checkTenantIds(tenantIds: string[] | undefined): void {
  for (const id of tenantIds ?? []) checkTenant(id);
}

export { GatewayError };

/** Ends a server stream with an error status (grpc-js sends the status on the stream's 'error' event). */
function failStream(call: grpc.ServerWritableStream<Msg, Msg>, error: unknown): void {
  call.emit('error', Object.assign(new Error((error as Error).message), toServiceError(error)));
}
