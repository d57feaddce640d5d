/**
 * `autoExtendTimeout`: a middleware that keeps a long job with its worker by extending its timeout before it
 * runs out, for as long as the handler runs. When to extend is the pure policy `heartbeatDelayMs` (at 2/3 of
 * the remaining time, at least 100 ms before the deadline, the remaining time capped at the timeout against
 * clock skew); this file only schedules it. A refused extension is logged; the job's abort signal tells the
 * handler when the job is lost.
 */
import { heartbeatDelayMs } from '../policy/capacity.ts';
import type { Middleware } from './define.ts';

/**
 * @example
 * const chain = definition.autoExtendTimeout ? [heartbeat(definition.timeoutMs), ...middleware] : middleware;
 */
export function heartbeat(timeoutMs: number): Middleware {
  return async (ctx, next) => {
    let deadline = Math.min(ctx.job.deadline, Date.now() + timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const schedule = () => {
      if (done || ctx.signal.aborted) return;
      timer = setTimeout(beat, heartbeatDelayMs({ deadline, now: Date.now(), timeoutMs }));
    };
    const beat = () => {
      ctx.extendTimeout(timeoutMs).then(
        () => {
          deadline = Date.now() + timeoutMs;
          schedule();
        },
        (error: unknown) => {
          if (ctx.signal.aborted) return;
          ctx.log.warn({ err: error }, 'could not extend the job timeout');
          schedule(); // the old deadline stands: try again before it, if there is time
        },
      );
    };
    schedule();
    try {
      return await next();
    } finally {
      done = true;
      clearTimeout(timer);
    }
  };
}
