/**
 * The worker against a broker that misbehaves: the gateway stopped and restarted on the same port mid-run
 * (state kept), and backpressure (RESOURCE_EXHAUSTED) switched on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.ts';
import { defineWorker, runWorkers } from '../../src/index.ts';
import { startEngine } from '../../src/testing/index.ts';
import { createJobClient } from '../../src/transport/index.ts';
import { oneTaskProcess } from '../helpers/bpmn.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const silent = pino({ level: 'silent' });

test('the gateway restarts on the same port mid-run: the stream is reopened and every instance finishes', { timeout: 60_000 }, async () => {
  const engine = await startEngine();
  const config = resolveConfig({}, { address: `grpc://${engine.address}` });
  const client = createJobClient(config);
  const N = 60;
  let workers: ReturnType<typeof runWorkers> | undefined;
  try {
    await client.deploy([{ name: 'restart.bpmn', content: Buffer.from(oneTaskProcess('p_restart', 'res-restart')) }]);
    workers = runWorkers(
      [
        defineWorker({
          type: 'res-restart',
          maxJobsActive: 8,
          handler: async () => {
            await sleep(10);
            return { ok: true };
          },
        }),
      ],
      { config, logger: silent },
    );
    let opened = 0;
    let closed = 0;
    workers.on('stream:opened', () => opened++);
    workers.on('stream:closed', () => closed++);
    await sleep(300);
    const keys: string[] = [];
    for (let i = 0; i < N / 2; i++) keys.push(await client.createInstance('p_restart', { i }));

    await engine.stopGateway();
    await sleep(500);
    await engine.startGateway();

    // The creator's channel reconnects by itself, as the worker's does.
    for (let i = N / 2; i < N; i++) {
      for (let attempt = 0; ; attempt++) {
        try {
          keys.push(await client.createInstance('p_restart', { i }));
          break;
        } catch (error) {
          if (attempt > 50) throw error;
          await sleep(100);
        }
      }
    }
    const done = () => keys.every((k) => engine.records().some((r) => r.key === k && r.intent === 'ELEMENT_COMPLETED'));
    for (let i = 0; i < 600 && !done(); i++) await sleep(25);
    assert.ok(done(), 'every instance finished, those created before and after the restart');
    assert.ok(closed >= 1, 'the worker saw its stream end');
    assert.ok(opened >= 2, 'and opened it again');
    assert.deepEqual(engine.checkIntegrity(), []);
  } finally {
    await workers?.stop(2_000);
    client.close();
    await engine.stop();
  }
});

test('RESOURCE_EXHAUSTED from the broker is answered with backoff, and work resumes when it clears', { timeout: 30_000 }, async () => {
  const engine = await startEngine();
  const config = resolveConfig({}, { address: `grpc://${engine.address}` });
  const client = createJobClient(config);
  let workers: ReturnType<typeof runWorkers> | undefined;
  try {
    await client.deploy([{ name: 'bp.bpmn', content: Buffer.from(oneTaskProcess('p_bp', 'res-bp')) }]);
    engine.setBackpressure(0); // every limited command, and polls that find no job, get 8 RESOURCE_EXHAUSTED
    workers = runWorkers([defineWorker({ type: 'res-bp', handler: () => ({ ok: true }) })], { config, logger: silent, mode: 'poll' });
    const pollErrors: { backoffMs: number; message: string }[] = [];
    workers.on('poll:error', (e) => pollErrors.push({ backoffMs: e.backoffMs, message: e.error.message }));
    await sleep(1_500);
    assert.ok(pollErrors.length >= 3, `polls were refused (${pollErrors.length})`);
    assert.ok(pollErrors.length < 40, `and the worker backed off instead of spinning (${pollErrors.length} polls in 1.5 s)`);
    assert.match(pollErrors[0]!.message, /RESOURCE_EXHAUSTED/);
    const delays = pollErrors.map((e) => e.backoffMs);
    assert.ok(delays.at(-1)! > delays[0]!, `the backoff grew: ${delays.join(', ')}`);

    engine.setBackpressure(undefined);
    const key = await client.createInstance('p_bp', {});
    const done = () => engine.records().some((r) => r.key === key && r.intent === 'ELEMENT_COMPLETED');
    for (let i = 0; i < 400 && !done(); i++) await sleep(25);
    assert.ok(done(), 'once the pressure cleared, the worker took and completed the job');
  } finally {
    await workers?.stop(2_000);
    client.close();
    await engine.stop();
  }
});
