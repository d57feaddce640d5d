/**
 * `npm run demo`: the whole loop in one process. Uses the broker in ZEEBE_GRPC_ADDRESS / ZEEBE_ADDRESS if
 * set, otherwise starts forager's engine in-process; deploys bpmn/, runs workers/, starts `hello` with
 * {"name":"World"}, awaits the result and prints the greeting. Everything started is stopped in reverse
 * order in a `finally`, also when a step fails.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startBroker } from '../src/testing/index.ts';
import { connect, type Transport } from '../src/transport/index.ts';
import { runWorkers, type RunningWorkers } from '../src/worker/index.ts';
import { describeDeployed } from './commands/deploy.ts';
import { toCliError } from './lib/errors.ts';
import { loadWorkers } from './lib/load-workers.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

async function demo(): Promise<number> {
  const t0 = performance.now();
  const ms = (from: number) => `${Math.round(performance.now() - from)} ms`;
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  try {
    const tBroker = performance.now();
    const broker = await startBroker(process.env);
    stops.push({ name: broker.engine ? 'engine' : 'nothing (the broker is not ours)', stop: () => broker.stop() });
    console.log(
      broker.engine
        ? `demo: engine started in-process at ${broker.address} in ${ms(tBroker)}`
        : `demo: using the broker at ${broker.address}`,
    );
    const config = broker.config;

    const transport: Transport = await connect(config, { retry: true });
    stops.push({ name: 'client', stop: () => transport.close() });

    const bpmnDir = join(ROOT, 'bpmn');
    const files = (await readdir(bpmnDir)).filter((f) => f.endsWith('.bpmn')).sort();
    const resources = await Promise.all(files.map(async (f) => ({ name: relative(ROOT, join(bpmnDir, f)), content: await readFile(join(bpmnDir, f)) })));
    const tDeploy = performance.now();
    const deployment = await transport.deploy(resources);
    for (const resource of deployment.resources) console.log(`demo: ${describeDeployed(resource)}`);
    console.log(`demo: deployed in ${ms(tDeploy)}`);

    const workers = await loadWorkers(join(ROOT, 'workers'), ROOT);
    const log = pino({ name: 'forager', level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination({ dest: 2, sync: true }));
    const running: RunningWorkers = runWorkers(
      workers.map((w) => w.definition),
      { config, logger: log },
    );
    stops.push({ name: 'workers', stop: () => running.stop(5_000) });
    console.log(`demo: workers running for ${running.types.join(', ')}`);

    const tInstance = performance.now();
    const result = await transport.createInstance('hello', { name: 'World' }, { awaitResult: true, requestTimeoutMs: 10_000 });
    console.log(String(result.variables?.greeting));
    console.log(`demo: process instance ${result.processInstanceKey} completed in ${ms(tInstance)}`);
    return 0;
  } catch (error) {
    console.error(`demo: ${toCliError(error).message}`);
    return 1;
  } finally {
    for (const { name, stop } of stops.reverse()) {
      const tStop = performance.now();
      await stop().catch((error: unknown) => console.error(`demo: stopping the ${name} failed: ${String(error)}`));
      console.log(`demo: ${name} stopped in ${ms(tStop)}`);
    }
    console.log(`demo: total ${ms(t0)}`);
  }
}

process.exit(await demo());
