/**
 * Wires the engine together: clock → processing engine with its processors → due-date scheduler → gRPC
 * gateway bound to 127.0.0.1. `startEngine` is what tests (through `forager/testing`) and
 * `forager engine up` (through main.ts) call.
 */
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { parseBpmn } from './bpmn/parse.ts';
import { GATEWAY_VERSION, Gateway, loadGatewayService } from './gateway/grpc-gateway.ts';
import { createRestServer } from './gateway/rest-gateway.ts';
import { createMemoryLog, type RecordLog } from './log/log.ts';
import { ProcessingEngine } from './processing/engine.ts';
import { registerProcessors, type PreparedResource } from './processing/processors.ts';
import { checkIndexes, checkReplay } from './state/integrity.ts';
import type { EngineRecord } from './state/records.ts';
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
}

export interface RunningEngine {
  /** `host:port`, as ZEEBE_ADDRESS takes it. */
  address: string;
  host: string;
  port: number;
  /** `http://host:port` of the REST API (GET /v2/topology, PUT /v2/clock, POST /v2/clock/reset). */
  restAddress: string;
  clock: Clock;
  /** Moves engine time forward and resolves once the work that fell due has been processed. */
  advanceClock(ms: number): Promise<void>;
  /** The records processed so far (most recent 100 000), for assertions in tests. */
  records(): readonly EngineRecord[];
  /**
   * Problems in the engine's state: an index entry without its record, or a state that replaying the log
   * would not rebuild. Empty when all is well; tests assert that after each scenario.
   */
  checkIntegrity(): string[];
  stop(): Promise<void>;
}

/** Errors of starting the engine, with codes. */
export class EngineStartError extends Error {
  constructor(
    readonly code: 'PORT_IN_USE' | 'BIND_FAILED' | 'NOT_LOOPBACK',
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
  const clock = options.clock ?? createClock();
  const log: RecordLog = createMemoryLog();
  const engine = new ProcessingEngine(clock, log);
  registerProcessors(engine);
  const scheduler = new DueDateScheduler(engine, clock);
  let boundPort = 0;
  const gateway = new Gateway({ engine, clock, prepareResources, host, port: () => boundPort });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1000,
  });
  server.addService(loadGatewayService(), gateway.handlers());
  const requested = options.port ?? 0;
  boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${requested}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (!error) return resolve(port);
      if (/EADDRINUSE|address already in use|No address added/i.test(error.message)) {
        reject(new EngineStartError('PORT_IN_USE', `port ${requested} on ${host} is already in use (another engine or program listens there)`));
      } else {
        reject(new EngineStartError('BIND_FAILED', `cannot listen on ${host}:${requested}: ${error.message}`));
      }
    });
  });

  const settle = async () => {
    for (let i = 0; i < 4; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const rest = createRestServer({ clock, host, grpcPort: () => boundPort, gatewayVersion: GATEWAY_VERSION, settle });
  const restPort = await new Promise<number>((resolve, reject) => {
    rest.once('error', (error: NodeJS.ErrnoException) => {
      server.forceShutdown();
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

  let stopped: Promise<void> | undefined;
  return {
    address: `${host}:${boundPort}`,
    host,
    port: boundPort,
    restAddress: `http://${host}:${restPort}`,
    clock,
    async advanceClock(ms: number) {
      clock.advance(ms);
      await settle();
    },
    records: () => log.records(),
    checkIntegrity: () => [...checkIndexes(engine.state), ...checkReplay(engine.state, log.records())],
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        scheduler.stop();
        gateway.stop();
        rest.close();
        rest.closeAllConnections();
        // Calls that do not end by themselves (open streams of clients that went quiet) are cut after a grace.
        const force = clock.afterWall(2000, () => {
          server.forceShutdown();
          clock.dispose();
          resolve();
        });
        server.tryShutdown(() => {
          force();
          clock.dispose();
          resolve();
        });
      });
      return stopped;
    },
  };
}

async function prepareResources(resources: { name: string; content: Buffer }[]): Promise<PreparedResource[]> {
  return Promise.all(
    resources.map(async ({ name, content }) => {
      const checksum = createHash('md5').update(content).digest('hex');
      const prepared: PreparedResource = { name, checksum, processes: [], errors: [] };
      if (!/\.(bpmn|xml)$/i.test(name)) {
        prepared.errors.push(
          /\.(dmn|form)$/i.test(name)
            ? `- ${name.endsWith('.dmn') ? 'DMN decisions' : 'Forms'} are not supported by forager's engine yet`
            : `- Expected the resource name to end with '.bpmn', '.xml', '.dmn' or '.form', but it was '${name}' (unknown resource type)`,
        );
        return prepared;
      }
      const parsed = await parseBpmn(Buffer.from(content).toString('utf8'));
      if (parsed.ok) prepared.processes = parsed.processes;
      else prepared.errors = parsed.errors;
      return prepared;
    }),
  );
}
