/**
 * The REST v2 subset the engine serves: topology and the clock (Camunda's shapes). Any other endpoint
 * answers 501 with an RFC 9457 problem document, never 429/503 (which clients retry forever).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../time/clock.ts';

export interface RestOptions {
  clock: Clock;
  host: string;
  grpcPort: () => number;
  gatewayVersion: string;
  /** Runs after the clock moved, so due work is processed before the answer. */
  settle: () => Promise<void>;
}

export function createRestServer(options: RestOptions): Server {
  return createServer((req, res) => {
    handle(req, res, options).catch((error: Error) => problem(res, 500, 'INTERNAL', error.message));
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, options: RestOptions): Promise<void> {
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
    const body = await readJson(req);
    const timestamp = Number((body as { timestamp?: unknown } | undefined)?.timestamp);
    if (!Number.isFinite(timestamp)) {
      return problem(res, 400, 'INVALID_ARGUMENT', "Expected a body {\"timestamp\": <epoch ms>} to pin the clock");
    }
    try {
      options.clock.pin(timestamp);
    } catch (error) {
      return problem(res, 400, 'INVALID_ARGUMENT', (error as Error).message);
    }
    await options.settle();
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && path === '/v2/clock/reset') {
    options.clock.reset();
    await options.settle();
    res.writeHead(204).end();
    return;
  }
  return problem(res, 501, 'NOT_IMPLEMENTED', `${req.method} ${path} is not served by forager's engine; it serves GET /v2/topology, PUT /v2/clock and POST /v2/clock/reset`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  res
    .writeHead(status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}
