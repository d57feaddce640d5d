/**
 * Preloaded into the engine process by the engine figures (`node --expose-gc --import tsx --import
 * test/bench/engine-probe.ts src/engine/main.ts …`, started with an IPC channel), so that the bench can read
 * the engine's memory after a full garbage collection without a debug endpoint in the engine. It touches
 * nothing of the engine: on the message 'memory' it collects garbage and answers `process.memoryUsage()`.
 */
const collect = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (message: unknown) => {
    if (message !== 'memory') return;
    if (collect) {
      collect();
      collect();
    }
    process.send!({ ev: 'memory', gc: collect !== undefined, ...process.memoryUsage() });
  });
  // The channel must not keep an engine alive that was told to stop.
  process.channel?.unref();
}
