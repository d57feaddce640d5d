/**
 * The REST v2 subset the engine serves, in Camunda 8.8's shapes: topology and the clock here, and with a
 * gateway and a history (rest/api.ts) status, searches, get-by-key and commands. Any other endpoint answers
 * 501 with an RFC 9457 problem document, never 429/503 (which clients retry).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { History } from '../history/history.ts';
import type { BatchResult } from '../processing/engine.ts';
import type { Command, EngineRecord } from '../state/records.ts';
import type { Clock } from '../time/clock.ts';
import type { Gateway } from './grpc-gateway.ts';
import { createRestApi, type RestApi } from './rest/api.ts';
import { objectBody, onlyKnown, optInteger, readJsonBody, type Json } from './rest/input.ts';
import { RestProblem, invalidArgument, sendProblem } from './rest/problem.ts';

export interface RestOptions {
  clock: Clock;
  host: string;
  grpcPort: () => number;
  gatewayVersion: string;
  /** Runs after the clock moved, so due work is processed before the answer. */
  settle: () => Promise<void>;
  /** With these three, the API over the history and the commands is served too (rest/api.ts). */
  gateway?: Gateway;
  history?: History;
  onCommit?: (listener: (records: EngineRecord[]) => void) => void;
  /**
   * Processes a CLOCK command (PIN / RESET) on the log and resolves once it is durable; without it, the clock
   * object is moved directly (not on the log).
   */
  clockCommand?: (command: Command) => Promise<BatchResult>;
}

/** The latest instant JavaScript's Date (and ISO 8601 in the REST answers) can hold: +275760-09-13. */
const MAX_INSTANT_MS = 8_640_000_000_000_000;

export function createRestServer(options: RestOptions): Server {
  const { gateway, history, onCommit } = options;
  const api = gateway && history && onCommit ? createRestApi({ clock: options.clock, gateway, history, onCommit }) : undefined;
  const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    handle(req, res, options, api).catch((error: Error) => problem(res, 500, 'INTERNAL', error.message, req.url ?? '/'));
  });
  // A request Node cannot parse (a head past the limit, a malformed request line) gets a status and a
  // problem document before the connection closes, instead of a reset.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: 'about:blank',
      title: tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
      status,
      detail: tooLarge ? `The request line and headers exceed ${MAX_REQUEST_HEAD_BYTES} bytes` : `The request could not be parsed: ${error.message}`,
      instance: '/',
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/** The most a request's line and headers may take (a long query string included); past it: 431. */
export const MAX_REQUEST_HEAD_BYTES = 256 * 1024;

async function handle(req: IncomingMessage, res: ServerResponse, options: RestOptions, api: RestApi | undefined): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname.replace(/\/+$/, '');
  if (req.method === 'GET' && path === '/v2/topology') {
    return json(res, 200, {
      brokers: [
        {
          nodeId: 0,
          host: options.host,
          port: options.grpcPort(),
          partitions: [{ partitionId: 1, role: 'leader', health: 'healthy' }],
          version: options.gatewayVersion,
        },
      ],
      clusterSize: 1,
      partitionsCount: 1,
      replicationFactor: 1,
      gatewayVersion: options.gatewayVersion,
      lastCompletedChangeId: '-1',
    });
  }
  if (req.method === 'PUT' && path === '/v2/clock') {
    let timestamp: number;
    try {
      timestamp = pinTimestamp(await readJsonBody(req));
      if (!options.clockCommand) options.clock.pin(timestamp);
    } catch (error) {
      const known = error instanceof RestProblem ? error : new RestProblem(400, 'INVALID_ARGUMENT', (error as Error).message);
      return sendProblem(res, path, known);
    }
    if (options.clockCommand) {
      // On the log (CLOCK PIN), answered once durable; any instant from 0 on, earlier than engine time too.
      const { rejection } = await options.clockCommand({ valueType: 'CLOCK', intent: 'PIN', value: { time: timestamp } });
      if (rejection) return sendProblem(res, path, new RestProblem(400, 'INVALID_ARGUMENT', rejection.reason));
    }
    await options.settle();
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && path === '/v2/clock/reset') {
    if (options.clockCommand) await options.clockCommand({ valueType: 'CLOCK', intent: 'RESET', value: {} });
    else options.clock.reset();
    await options.settle();
    res.writeHead(204).end();
    return;
  }
  if (api && (await api.handle(req, res, url, path))) return;
  return problem(res, 501, 'NOT_IMPLEMENTED', `${req.method} ${path} is not served by forager's engine (see its README for the REST API subset it serves)`, path);
}

/** The body of `PUT /v2/clock`, checked as Camunda's ClockValidator does. */
function pinTimestamp(body: Json | undefined): number {
  const request = onlyKnown(objectBody(body), ['timestamp']);
  const timestamp = optInteger(request, 'timestamp');
  if (timestamp === undefined) throw invalidArgument('No timestamp provided');
  if (timestamp < 0) throw invalidArgument(`The value for timestamp is '${timestamp}' but must be not negative`);
  if (timestamp > MAX_INSTANT_MS) {
    throw invalidArgument(`The value for timestamp is '${timestamp}' but must be at most ${MAX_INSTANT_MS} (the latest instant a date can hold)`);
  }
  return timestamp;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, title: string, detail: string, instance: string): void {
  sendProblem(res, instance, new RestProblem(status, title, detail));
}
