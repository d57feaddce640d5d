/**
 * The broker connection as the host sees it: asks the gateway for its topology at start and then every
 * `intervalMs` (a bare gRPC call with a deadline, `checkReachable`), and reports when the answer changes.
 * Readiness and the `forager_broker_connected` gauge follow it. A component: `start()` / `stop()`.
 */
import type { BrokerAddress, TlsFiles } from '../config/index.ts';
import { checkReachable } from '../transport/index.ts';

export interface BrokerWatch {
  readonly connected: boolean;
  /** Why the last check failed (undefined while connected). */
  readonly problem: string | undefined;
  start(): void;
  stop(): Promise<void>;
}

export function watchBroker(options: {
  address: BrokerAddress;
  tls: TlsFiles;
  intervalMs: number;
  onChange(connected: boolean, problem: string | undefined): void;
}): BrokerWatch {
  let connected = false;
  let problem: string | undefined = 'not checked yet';
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> | undefined;
  const check = async () => {
    let nowConnected = true;
    let why: string | undefined;
    try {
      await checkReachable(options.address, Math.min(5_000, Math.max(100, options.intervalMs - 50)), options.tls);
    } catch (error) {
      nowConnected = false;
      why = error instanceof Error ? error.message : String(error);
    }
    if (stopped) return;
    const changed = nowConnected !== connected || (problem === 'not checked yet');
    connected = nowConnected;
    problem = why;
    if (changed) options.onChange(connected, problem);
  };
  const loop = () => {
    current = check().finally(() => {
      if (!stopped) timer = setTimeout(loop, options.intervalMs);
    });
  };
  return {
    get connected() {
      return connected;
    },
    get problem() {
      return problem;
    },
    start() {
      if (current === undefined) loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
