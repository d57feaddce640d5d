/**
 * Wires the engine together: clock → processing engine with its processors → due-date scheduler → gRPC
 * gateway bound to 127.0.0.1. `startEngine` is what tests (through `forager/testing`) and
 * `forager engine up` (through main.ts) call.
 *
 * The gRPC server can be stopped and started again on the same port while the engine keeps running
 * (`stopGateway` / `startGateway`), as a Zeebe gateway restarts in front of a broker that keeps its state.
 */
import * as grpc from '@grpc/grpc-js';
import { GATEWAY_VERSION, Gateway, loadGatewayService } from './gateway/grpc-gateway.ts';
import { createTokenVerifier, requireBearerToken, requireBearerTokenOnRest, type AuthOptions } from './gateway/auth.ts';
import { noteUnknownFields, rejectUnknownFields, withBrokerJobFields } from './gateway/unknown-fields.ts';
import { createRestServer } from './gateway/rest-gateway.ts';
import { History, type HistoryOptions } from './history/history.ts';
import { createMemoryLog, type RecordLog } from './log/log.ts';
import { openDataDir, type DataDir, type Recovery, type StorageStats } from './log/data-dir.ts';
import { StorageError } from './log/errors.ts';
import { clockEffects, restoreClock } from './processing/clock.ts';
import { ProcessingEngine, type BatchResult } from './processing/engine.ts';
import { registerProcessors } from './processing/processors.ts';
import { prepareResources } from './processing/resources.ts';
import { checkIndexes, checkReplay } from './state/integrity.ts';
import type { Command, EngineRecord } from './state/records.ts';
import { createClock, type Clock } from './time/clock.ts';
import { DueDateScheduler } from './time/due-dates.ts';

export interface EngineOptions {
  /** Port to bind; 0 or undefined picks a free one. */
  port?: number;
  /** Address to bind; only loopback addresses are allowed. Default 127.0.0.1. */
  host?: string;
  /** A clock to drive time; by default a real clock that can be pinned. */
  clock?: Clock;
  /** Port of the REST API (topology, clock); 0 or undefined picks a free one. */
  restPort?: number;
  /**
   * Backpressure as a Zeebe broker applies it; off when not given. `maxInFlight`: commands in flight (queued
   * and not yet processed) past which limited commands get 8 RESOURCE_EXHAUSTED. CompleteJob, FailJob,
   * CancelProcessInstance and DeployResource are never refused; ActivateJobs is refused only when no job could
   * be activated; Topology and StreamActivatedJobs never. Can be changed later with `setBackpressure`.
   */
  backpressure?: { maxInFlight: number };
  /**
   * A data directory (created when missing): the engine keeps its log and snapshots there, answers a command
   * only once its records are on disk (group commit), and on start recovers what the directory holds, after a
   * `kill -9` too. A second engine on the same directory is refused (DATA_DIR_LOCKED). Without it, in memory.
   */
  dataDir?: string;
  /**
   * How many of the most recent records the engine keeps in memory for `records()` and `checkIntegrity()`
   * (default 100 000). They cost memory only; the standalone program keeps 10 000.
   */
  recentRecords?: number;
  /** With `dataDir`: a snapshot every `snapshotEvery` records (default 100 000); log segments of `segmentBytes` (default 32 MiB). */
  storage?: { snapshotEvery?: number; segmentBytes?: number };
  /** With `dataDir`: called once if writing the log fails (LOG_WRITE_FAILED); nothing is acknowledged after it. */
  onStorageFailure?: (error: StorageError) => void;
  /**
   * Authentication, off when not given: gRPC and REST calls must carry `authorization: Bearer <JWT>` signed by
   * `issuer`'s keys (OIDC discovery, or `jwksUri`), with `iss` = issuer and, if set, `aud` containing `audience`;
   * otherwise 16 UNAUTHENTICATED / 401. See gateway/auth.ts.
   */
  auth?: AuthOptions;
  /**
   * The history the REST API searches (ended instances, resolved incidents): ended process instances are
   * dropped `retentionMs` after they ended (engine clock, default 24 h) or beyond `maxEndedInstances` (default
   * 10 000), oldest first. With `dataDir` the history survives a restart (it is part of each snapshot).
   */
  history?: HistoryOptions;
}

export interface RunningEngine {
  /** `host:port`, as ZEEBE_ADDRESS takes it. */
  address: string;
  host: string;
  port: number;
  /** `http://host:port` of the REST API (GET /v2/topology, PUT /v2/clock, POST /v2/clock/reset). */
  restAddress: string;
  /** The engine clock; moving it directly (`clock.pin`) is not on the log, so a restart would not keep it. */
  clock: Clock;
  /**
   * Moves engine time forward and resolves once the work that fell due has been processed. It is a CLOCK PIN
   * command on the log (as `PUT /v2/clock` is), so with a data directory a restart keeps the pinned time.
   */
  advanceClock(ms: number): Promise<void>;
  /** The records processed so far (most recent 100 000), for assertions in tests. */
  records(): readonly EngineRecord[];
  /**
   * Calls `listener` with the records of each command the engine commits, once they are applied (a test
   * waits on what happens instead of polling). A listener that throws is reported, not let through. Returns
   * a function that removes it.
   */
  onCommit(listener: (records: readonly EngineRecord[]) => void): () => void;
  /**
   * Problems in the engine's state: an index entry without its record, or a state that replaying the log
   * would not rebuild. Empty when all is well; tests assert that after each scenario.
   */
  checkIntegrity(): string[];
  /** With a data directory: what the start recovered (snapshot, events replayed, bytes of a torn tail cut). */
  readonly recovery: Recovery | undefined;
  /** With a data directory: the log's counters (fsyncs, group commits, records, bytes, snapshots); else undefined. */
  storageStats(): StorageStats | undefined;
  /** With a data directory: takes a snapshot now and compacts the log; resolves once it is on disk. */
  snapshot(): Promise<void>;
  /**
   * Turns backpressure on with a limit of `maxInFlight` commands in flight, or off with `undefined`. `0`
   * refuses every limited command, so a client test can see 8 RESOURCE_EXHAUSTED deterministically.
   */
  setBackpressure(maxInFlight: number | undefined): void;
  /**
   * Stops the gRPC server and keeps the engine: queued commands are answered first, long polls end empty,
   * job streams end with 14 UNAVAILABLE, awaited results get 14 UNAVAILABLE, and new connections are refused
   * (clients see 14 UNAVAILABLE). Jobs pushed on a cut stream that never reached the connection are yielded
   * back; jobs that were delivered keep their deadline and time out as usual. Time keeps running (timers,
   * deadlines, backoffs), and the REST API stays up (the clock remains reachable). Resolves once the server is
   * closed (open calls are cut after 2 s). Does nothing if the gateway is already stopped.
   */
  stopGateway(): Promise<void>;
  /**
   * Starts the gRPC server again on the same host and port, with the same engine state (deployments,
   * instances, jobs). Rejects with EngineStartError PORT_IN_USE if another program took the port meanwhile.
   * Does nothing if the gateway is running.
   */
  startGateway(): Promise<void>;
  /** True while the gRPC server listens (false between `stopGateway` and `startGateway`, and after `stop`). */
  readonly gatewayRunning: boolean;
  stop(): Promise<void>;
}

/** Errors of starting the engine, with codes. */
export class EngineStartError extends Error {
  constructor(
    readonly code: 'PORT_IN_USE' | 'BIND_FAILED' | 'NOT_LOOPBACK' | StorageError['code'],
    message: string,
  ) {
    super(message);
    this.name = 'EngineStartError';
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

/**
 * Starts an engine in this process.
 *
 * @example
 * const engine = await startEngine();
 * process.env.ZEEBE_ADDRESS = engine.address;
 * // … deploy, start instances, run workers …
 * await engine.stop();
 */
export async function startEngine(options: EngineOptions = {}): Promise<RunningEngine> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host)) {
    throw new EngineStartError('NOT_LOOPBACK', `forager's engine binds to loopback addresses only, not '${host}'`);
  }
  const maxInFlight = options.backpressure?.maxInFlight;
  if (options.backpressure && !(Number.isInteger(maxInFlight) && maxInFlight! >= 0)) {
    throw new RangeError(`backpressure.maxInFlight must be a whole number of at least 0; got ${maxInFlight}`);
  }
  const clock = options.clock ?? createClock();
  // The history is recovered with the state (a section of each snapshot, plus the records after it).
  const history = new History(clock, options.history);
  const { engine, log, dataDir, recovery } = openState(clock, options, history);
  // A pinned clock is on the log (CLOCK PINNED): the recovered state pins it again, before anything runs.
  if (recovery) restoreClock(clock, engine.state.clock);
  history.prune();
  registerProcessors(engine);
  engine.onCommit(clockEffects(clock));
  const scheduler = new DueDateScheduler(engine, clock);
  if (dataDir) engine.onCommit(() => dataDir.afterCommit());
  let boundPort = 0;
  const gateway = new Gateway({
    engine,
    clock,
    prepareResources,
    host,
    port: () => boundPort,
    ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    ...(dataDir ? { whenDurable: (fn: () => void) => log.whenDurable(fn) } : {}),
  });
  const service = withBrokerJobFields(noteUnknownFields(loadGatewayService()));
  const verifier = options.auth ? createTokenVerifier(options.auth) : undefined;
  const guarded = rejectUnknownFields(service, gateway.handlers());
  const handlers = verifier ? requireBearerToken(service, guarded, verifier) : guarded;

  /** A new gRPC server on `port` (0: a free one); the handlers, and so the engine, are the same each time. */
  const listen = async (port: number): Promise<{ server: grpc.Server; port: number }> => {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1000,
    });
    server.addService(service, handlers);
    try {
      const bound = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) => {
          if (!error) return resolve(actual);
          if (/EADDRINUSE|address already in use|No address added/i.test(error.message)) {
            reject(new EngineStartError('PORT_IN_USE', `port ${port} on ${host} is already in use (another engine or program listens there)`));
          } else {
            reject(new EngineStartError('BIND_FAILED', `cannot listen on ${host}:${port}: ${error.message}`));
          }
        });
      });
      return { server, port: bound };
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
  };
  /** Closes a gRPC server: graceful first; calls that do not end by themselves are cut after a grace. */
  const shutdown = (server: grpc.Server) =>
    new Promise<void>((resolve) => {
      const force = clock.afterWall(2000, () => {
        server.forceShutdown();
        resolve();
      });
      server.tryShutdown(() => {
        force();
        resolve();
      });
    });

  const first = await listen(options.port ?? 0).catch(async (error: unknown) => {
    await dataDir?.close().catch(() => undefined); // releases the data directory's lock
    throw error;
  });
  let server: grpc.Server | undefined = first.server;
  boundPort = first.port;

  const settle = async () => {
    for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  engine.onCommit((records) => history.apply(records));
  const rest = createRestServer({
    clock,
    host,
    grpcPort: () => boundPort,
    gatewayVersion: GATEWAY_VERSION,
    settle,
    gateway,
    history,
    onCommit: (listener) => engine.onCommit(listener),
    clockCommand: (command) => clockCommand(command),
  });
  if (verifier) requireBearerTokenOnRest(rest, verifier);
  const restPort = await new Promise<number>((resolve, reject) => {
    rest.once('error', (error: NodeJS.ErrnoException) => {
      first.server.forceShutdown();
      reject(
        error.code === 'EADDRINUSE'
          ? new EngineStartError('PORT_IN_USE', `port ${options.restPort} on ${host} (REST) is already in use`)
          : new EngineStartError('BIND_FAILED', `cannot listen on ${host}:${options.restPort ?? 0}: ${error.message}`),
      );
    });
    rest.listen(options.restPort ?? 0, host, () => {
      const address = rest.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });

  // Listeners of RunningEngine.onCommit, behind one listener of the processing engine.
  const commitListeners = new Set<(records: readonly EngineRecord[]) => void>();
  engine.onCommit((records) => {
    for (const listener of commitListeners) {
      try {
        listener(records);
      } catch (error) {
        process.emitWarning(`forager engine: an onCommit listener threw: ${(error as Error)?.stack ?? String(error)}`);
      }
    }
  });

  let stopped: Promise<void> | undefined;
  /**
   * A CLOCK command (PIN / RESET) on the log, resolved once durable: through the gateway's admission while it
   * runs (never refused by backpressure), directly while it is stopped (the clock stays reachable then).
   */
  const clockCommand = (command: Command): Promise<BatchResult> => {
    if (server) return gateway.submit(command, false);
    const result = engine.process(command);
    return new Promise((resolve) => log.whenDurable(() => resolve(result)));
  };
  // stopGateway, startGateway and stop run one after the other, never interleaved.
  let gatewayOps: Promise<unknown> = Promise.resolve();
  const serialized = <T>(op: () => Promise<T>): Promise<T> => {
    const run = gatewayOps.then(op);
    gatewayOps = run.catch(() => undefined);
    return run;
  };
  const stopGateway = async (): Promise<void> => {
    if (!server) return;
    const closing = server;
    server = undefined;
    gateway.close();
    await shutdown(closing);
    // Let the cut calls' last events run (jobs that never reached a connection are yielded back then).
    await settle();
  };

  // Deadlines, backoffs, TTLs and timers of the recovered state carry on.
  if (recovery) scheduler.armAll();

  return {
    address: `${host}:${boundPort}`,
    host,
    port: boundPort,
    restAddress: `http://${host}:${restPort}`,
    clock,
    async advanceClock(ms: number) {
      if (!(ms >= 0)) throw new RangeError(`cannot advance the clock by ${ms} ms`);
      if (stopped) return clock.advance(ms);
      // On the log (CLOCK PIN advanceBy), so that a restart keeps the pinned time.
      const { rejection } = await clockCommand({ valueType: 'CLOCK', intent: 'PIN', value: { advanceBy: ms } });
      if (rejection) throw new RangeError(rejection.reason);
      await settle();
    },
    records: () => log.records(),
    onCommit(listener) {
      commitListeners.add(listener);
      return () => commitListeners.delete(listener);
    },
    checkIntegrity: () => {
      const records = log.records();
      // With a data directory the records kept may start after a snapshot: replay from it.
      const base = dataDir ? dataDir.replayBase(records) : undefined;
      const replay = dataDir && !base ? [] : checkReplay(engine.state, records, base);
      return [...checkIndexes(engine.state), ...replay];
    },
    recovery,
    storageStats: () => dataDir?.stats(),
    snapshot: async () => {
      await dataDir?.snapshot();
    },
    setBackpressure(maxInFlight: number | undefined) {
      gateway.setBackpressure(maxInFlight);
    },
    get gatewayRunning() {
      return server !== undefined;
    },
    stopGateway: () => serialized(stopGateway),
    startGateway: () =>
      serialized(async () => {
        if (stopped) throw new Error('the engine was stopped; start a new one');
        if (server) return;
        const next = await listen(boundPort);
        server = next.server;
        gateway.open();
      }),
    stop() {
      stopped ??= serialized(async () => {
        scheduler.stop();
        rest.close();
        rest.closeAllConnections();
        // Open streams of clients that went quiet are cut after a grace.
        await stopGateway();
        try {
          // Flush, snapshot, close the log, release the lock.
          await dataDir?.close();
        } finally {
          clock.dispose();
        }
      });
      return stopped;
    },
  };
}

/**
 * The processing engine on its log: in memory, or with a data directory, recovered from it (snapshot, then
 * the events after it; the key generator and the record positions continue where they were).
 */
function openState(
  clock: Clock,
  options: EngineOptions,
  history: History,
): { engine: ProcessingEngine; log: RecordLog; dataDir?: DataDir; recovery?: Recovery } {
  if (options.dataDir === undefined) {
    const log = createMemoryLog(options.recentRecords);
    return { engine: new ProcessingEngine(clock, log), log };
  }
  // The engine owns its state; the data directory fills it before the first command, so the engine is made
  // first, on a log that forwards to the file log once it is open.
  let fileLog: RecordLog | undefined;
  const log: RecordLog = {
    append: (records) => fileLog!.append(records),
    records: () => fileLog!.records(),
    whenDurable: (fn) => fileLog!.whenDurable(fn),
  };
  const engine = new ProcessingEngine(clock, log);
  try {
    const { dataDir, recovery } = openDataDir(
      {
        dir: options.dataDir,
        ...(options.storage?.snapshotEvery !== undefined ? { snapshotEvery: options.storage.snapshotEvery } : {}),
        ...(options.storage?.segmentBytes !== undefined ? { segmentBytes: options.storage.segmentBytes } : {}),
        ...(options.recentRecords !== undefined ? { recentRecords: options.recentRecords } : {}),
        ...(options.onStorageFailure ? { onFailure: options.onStorageFailure } : {}),
        sections: [history.snapshotSection()],
      },
      engine.state,
    );
    fileLog = dataDir.log;
    engine.resumeAt(recovery.lastPosition);
    // A failed batch is rolled back by replaying the log from the newest snapshot it reaches back to.
    engine.useReplayBase((records) => dataDir.replayBase(records));
    return { engine, log, dataDir, recovery };
  } catch (error) {
    if (error instanceof StorageError) throw new EngineStartError(error.code, error.message);
    throw error;
  }
}
