/**
 * The host's HTTP server for the platform: `/healthz` (the process is alive: 200 while the event loop
 * answers), `/readyz` (200 while connected to the broker and activating jobs, 503 otherwise, including
 * while draining at shutdown), `/metrics` (Prometheus text format). GET and HEAD only. A component:
 * `start()` binds (port 0 picks a free port), `stop()` closes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Readiness {
  readonly ready: boolean;
  /** Shown in /readyz's body: what is and is not ready. */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readiness(): Readiness;
  metrics(): Promise<{ body: string; contentType: string }>;
  onError(error: Error): void;
}

export interface HostHttpServer {
  /** Binds; resolves with the URL it listens on. Rejects with a clear message when the port is taken. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Raised when the HTTP server cannot listen (the port is taken, the address is not local). */
export class HttpListenError extends Error {
  override readonly name = 'HttpListenError';
  readonly code = 'HTTP_LISTEN_FAILED';
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function createHttpServer(options: HttpServerOptions): HostHttpServer {
  let server: Server | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, 200, 'application/json', '{"status":"alive"}\n');
        return;
      case '/readyz': {
        const { ready, detail } = options.readiness();
        send(res, ready ? 200 : 503, 'application/json', `${JSON.stringify({ status: ready ? 'ready' : 'not ready', ...detail })}\n`);
        return;
      }
      case '/metrics': {
        const { body, contentType } = await options.metrics();
        send(res, 200, contentType, body);
        return;
      }
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz or /metrics\n');
    }
  };
  return {
    start() {
      return new Promise((resolve, reject) => {
        const s = createServer((req, res) => {
          handle(req, res).catch((error: Error) => {
            options.onError(error);
            if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
            else res.destroy();
          });
        });
        s.keepAliveTimeout = 5_000;
        s.once('error', (error: NodeJS.ErrnoException) => {
          const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EADDRNOTAVAIL' ? 'the address is not on this machine' : error.message;
          reject(new HttpListenError(`the HTTP server cannot listen on ${options.host}:${options.port}: ${why} (set FORAGER_HTTP_PORT / FORAGER_HTTP_HOST)`));
        });
        s.listen(options.port, options.host, () => {
          server = s;
          const { address, port } = s.address() as AddressInfo;
          resolve(`http://${address.includes(':') ? `[${address}]` : address}:${port}`);
        });
      });
    },
    stop() {
      const s = server;
      server = undefined;
      if (!s) return Promise.resolve();
      return new Promise((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}
