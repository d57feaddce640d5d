/**
 * `npm run bench`: one-task process instances per second through forager's engine.
 *
 * The engine runs in its own process (as `forager engine up` runs it), the client side in this one, so the
 * figures are not two event loops sharing one thread. Measured, in one run:
 *  - sdk-worker: the official @camunda8/sdk worker (its defaults, and maxJobsToActivate raised), instances
 *    started with CreateProcessInstance and counted when the engine has completed them;
 *  - reference: a raw @grpc/grpc-js client on the SDK's proto that pipelines creates, activations and
 *    completions (one client process: its own CPU, not the engine, limits it on 2 cores).
 * Results are printed as instances/s and as ratios to that reference. Bounded: each case stops after
 * BENCH_INSTANCES instances or BENCH_SECONDS seconds, and every process started here is stopped on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Camunda8 } from '@camunda8/sdk';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const processXml = (id: string, type: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="bench" targetNamespace="http://forager/bench">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <bpmn:serviceTask id="task"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>`;

/** ~10 KB of variables, as in Camunda's own benchmarks. */
const payload = { items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `item-${i}`, text: 'x'.repeat(60) })) };

async function startEngineProcess(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/engine/main.ts'), '--port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`engine exited with ${code} before listening`)));
  });
  return { child, address };
}

function rawClient(address: string): Record<string, (...args: unknown[]) => unknown> {
  const require = createRequire(import.meta.url);
  const proto = join(dirname(require.resolve('@camunda8/sdk/package.json')), 'dist/proto/zeebe.proto');
  const def = protoLoader.loadSync(proto, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Gateway = (grpc.loadPackageDefinition(def) as any).gateway_protocol.Gateway;
  return new Gateway(address, grpc.credentials.createInsecure());
}

function call<T>(client: Record<string, (...args: unknown[]) => unknown>, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, (error: Error | null, response: T) => (error ? reject(error) : resolve(response)));
  });
}

async function deploy(client: Record<string, (...args: unknown[]) => unknown>, id: string, type: string): Promise<void> {
  await call(client, 'DeployResource', { resources: [{ name: `${id}.bpmn`, content: Buffer.from(processXml(id, type)) }] });
}

/** Starts instances with a bounded number in flight; resolves when `count` were created. */
async function createMany(client: Record<string, (...args: unknown[]) => unknown>, id: string, count: number, inFlight = 64) {
  let next = 0;
  const variables = JSON.stringify(payload);
  const lane = async () => {
    while (next < count) {
      next++;
      await call(client, 'CreateProcessInstance', { bpmnProcessId: id, version: -1, variables });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

async function benchSdkWorker(address: string, label: string, workerOptions: Record<string, unknown>): Promise<number> {
  const id = `bench_${label}`;
  const type = `bench-${label}`;
  const raw = rawClient(address);
  await deploy(raw, id, type);
  const c8 = new Camunda8({
    ZEEBE_GRPC_ADDRESS: `grpc://${address}`,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_LOG_LEVEL: 'none',
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'NONE', ZEEBE_GRPC_CLIENT_CONNECTION_TOLERANCE_MS: 10 },
  } as never);
  const zb = c8.getZeebeGrpcApiClient();
  let completed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const started = performance.now();
  const worker = zb.createWorker({
    taskType: type,
    ...workerOptions,
    taskHandler: (job) => {
      const result = job.complete({ handled: true });
      if (++completed >= INSTANCES) resolveDone();
      return result;
    },
  });
  const deadline = new Promise<void>((r) => setTimeout(r, SECONDS * 1000).unref());
  await Promise.race([Promise.all([createMany(raw, id, INSTANCES), done]), deadline]);
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await zb.close();
  (raw as unknown as grpc.Client).close();
  return completed / seconds;
}

async function benchCeiling(address: string): Promise<number> {
  const id = 'bench_ceiling';
  const type = 'bench-ceiling';
  const raw = rawClient(address);
  await deploy(raw, id, type);
  let completed = 0;
  const started = performance.now();
  const stopAt = started + SECONDS * 1000;
  const creating = createMany(raw, id, INSTANCES);
  const workerLane = async () => {
    while (completed < INSTANCES && performance.now() < stopAt) {
      const jobs: { key: string }[] = await new Promise((resolve, reject) => {
        const got: { key: string }[] = [];
        const stream = raw.ActivateJobs!({ type, worker: 'ceiling', timeout: 60_000, maxJobsToActivate: 64, requestTimeout: 1000 }) as grpc.ClientReadableStream<{ jobs: { key: string }[] }>;
        stream.on('data', (m) => got.push(...m.jobs));
        stream.on('end', () => resolve(got));
        stream.on('error', reject);
      });
      await Promise.all(
        jobs.map((j) => call(raw, 'CompleteJob', { jobKey: j.key, variables: '{"handled":true}' }).then(() => completed++)),
      );
    }
  };
  await Promise.all([creating, workerLane(), workerLane(), workerLane(), workerLane()]);
  const seconds = (performance.now() - started) / 1000;
  (raw as unknown as grpc.Client).close();
  return completed / seconds;
}

async function main(): Promise<void> {
  const { child, address } = await startEngineProcess();
  const stop = () => child.kill('SIGTERM');
  process.once('SIGINT', stop);
  try {
    console.log(`forager bench: ${INSTANCES} one-task instances per case (~10 KB variables), engine at ${address}, node ${process.version}`);
    const ceiling = await benchCeiling(address);
    const sdkDefault = await benchSdkWorker(address, 'sdk_default', {});
    const sdkTuned = await benchSdkWorker(address, 'sdk_tuned', { maxJobsToActivate: 128, pollInterval: 10 });
    const rows: [string, number][] = [
      ['raw gRPC client, pipelined (reference)', ceiling],
      ['@camunda8/sdk worker, defaults', sdkDefault],
      ['@camunda8/sdk worker, 128 jobs, 10 ms poll', sdkTuned],
    ];
    for (const [name, rate] of rows) {
      console.log(`${name.padEnd(44)} ${rate.toFixed(0).padStart(6)} instances/s   ${(rate / ceiling).toFixed(2)}× reference`);
    }
  } finally {
    stop();
  }
}

await main();
