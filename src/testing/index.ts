/**
 * `forager/testing`: what a test needs to run workers and processes in-process, with no Docker and no
 * cluster.
 *
 * @example
 * import { startEngine } from 'forager/testing';
 * const engine = await startEngine();          // 127.0.0.1, a free port
 * process.env.ZEEBE_ADDRESS = engine.address;  // what every forager command and the official SDK read
 * await engine.advanceClock(60_000);           // job deadlines, backoffs and message TTLs move with it
 * await engine.stop();
 */
export { EngineNotInstalledError, startEngine } from './engine.ts';
export type { Clock, EngineOptions, RunningEngine } from './engine.ts';
export { startBroker } from './broker.ts';
export type { TestBroker } from './broker.ts';
export { createTestKit } from './kit.ts';
export type { Incident, TestInstance, TestKit, TestKitOptions } from './kit.ts';
