/**
 * Pure policy for the worker and the transport: durations, backoff, retry classification and capacity.
 * Nothing here sleeps, reads the clock or does I/O; time and randomness are passed in.
 */
export { DurationError, MAX_DURATION_MS, durationMessage, readDuration, toMs, type Duration, type DurationReading } from './durations.ts';
export {
  BROKER_ERROR_BACKOFF,
  exponential,
  fixed,
  none,
  type BackoffPolicy,
  type ExponentialBackoff,
  type ExponentialOptions,
  type FixedBackoff,
  type FixedOptions,
} from './backoff.ts';
export {
  MAX_FAIL_MESSAGE_LENGTH,
  classifyHandlerError,
  describeError,
  failMessage,
  maskSecrets,
  retriesAfterFailure,
  type HandlerErrorClass,
} from './retry.ts';
export {
  heartbeatDelayMs,
  jobsToRequest,
  pollThreshold,
  shouldPoll,
  type CapacityCounters,
  type HeartbeatInput,
  type PollCounters,
} from './capacity.ts';
