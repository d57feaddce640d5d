/**
 * How a failed broker call is classified (pure: the mapping from a gRPC status, and what the channel knew,
 * to forager's error classes). The worker, the host and the CLI decide on these classes and flags only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BrokerRejectionError,
  BrokerTimeoutError,
  BrokerUnreachableError,
  GRPC_STATUS_NAMES,
  JobNotActiveError,
  JobNotFoundError,
  toBrokerError,
} from '../../src/transport/errors.ts';

const grpcError = (code: number, details = 'the broker says so') => Object.assign(new Error(`${code} ${details}`), { code, details });

describe('toBrokerError', () => {
  const transient = new Set(['UNKNOWN', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'INTERNAL', 'UNAVAILABLE']);
  const unprocessed = new Set(['RESOURCE_EXHAUSTED', 'UNAVAILABLE']);
  for (const [code, name] of GRPC_STATUS_NAMES.entries()) {
    if (code === 0) continue;
    it(`${code} ${name} from a connected gateway: ${transient.has(name) ? 'transient' : 'final'}${unprocessed.has(name) ? ', not processed' : ''}`, () => {
      const error = toBrokerError('complete job', grpcError(code), '127.0.0.1:26500', { connected: true });
      assert.equal(error.transient, transient.has(name));
      assert.equal(error.unprocessed, unprocessed.has(name));
      if (name === 'DEADLINE_EXCEEDED') assert.ok(error instanceof BrokerTimeoutError);
      else assert.ok(error instanceof BrokerRejectionError && error.status === name);
    });
  }

  it('UNAVAILABLE on a channel that is not connected: the broker is unreachable (transient, not processed)', () => {
    const error = toBrokerError('deploy', grpcError(14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1'), '127.0.0.1:1');
    assert.ok(error instanceof BrokerUnreachableError);
    assert.equal(error.reason, 'connection refused');
    assert.equal(error.transient && error.unprocessed, true);
  });

  it('UNAVAILABLE from a connected gateway (a partition not ready): a transient rejection, whatever its text', () => {
    const error = toBrokerError('create process instance', grpcError(14, 'no leader'), '127.0.0.1:26500', { connected: true });
    assert.ok(error instanceof BrokerRejectionError && !(error instanceof BrokerUnreachableError));
    assert.equal(error.transient, true);
  });

  it('job commands: NOT_FOUND is JobNotFoundError, FAILED_PRECONDITION JobNotActiveError; other calls keep the plain rejection', () => {
    assert.ok(toBrokerError('complete job', grpcError(5), 'x', { job: true, connected: true }) instanceof JobNotFoundError);
    assert.ok(toBrokerError('complete job', grpcError(9), 'x', { job: true, connected: true }) instanceof JobNotActiveError);
    const cancel = toBrokerError('cancel process instance', grpcError(5), 'x', { connected: true });
    assert.ok(cancel instanceof BrokerRejectionError && !(cancel instanceof JobNotFoundError));
    assert.equal(cancel.code, 'BROKER_REJECTED');
  });

  it('CANCELLED is ours: final, flagged as cancelled', () => {
    const error = toBrokerError('activate jobs', grpcError(1), 'x', { connected: true });
    assert.ok(error instanceof BrokerRejectionError && error.cancelled && !error.transient);
  });
});
