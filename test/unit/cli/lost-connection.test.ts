import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { isLostConnection, lostWhileFollowing } from '../../../src/cli/lost-connection.js';
import { ValidationError } from '../../../src/errors.js';

/** What @grpc/grpc-js rejects with when nothing answers: a code, details and metadata. */
function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} grpc`), {
    code,
    details: 'No connection established',
    metadata: {},
  });
}

describe('a server lost while following work', () => {
  it('is told by gRPC UNAVAILABLE anywhere in the cause chain', () => {
    expect(
      isLostConnection(new ServiceError('Failed to describe workflow', { cause: grpcError(14) })),
    ).toBe(true);
    expect(isLostConnection(grpcError(14))).toBe(true);
    expect(
      isLostConnection(new ServiceError('Failed to describe workflow', { cause: grpcError(5) })),
    ).toBe(false);
    expect(isLostConnection(new Error('boom'))).toBe(false);
  });

  it('ends the command with exit 3 and how to follow the job again', () => {
    const error = lostWhileFollowing(
      new ServiceError('Failed to describe workflow', { cause: grpcError(14) }),
      { kind: 'job', id: 'kf-1' },
    );

    expect(exitCodeFor(error)).toBe(3);
    expect((error as Error).message).toBe(
      'lost the Temporal server while following job kf-1; it keeps its state there, and `klingflow status kf-1 --wait` follows it again once the server answers',
    );
  });

  it('leaves any other error as it was', () => {
    const invalid = new ValidationError([{ field: 'workflowId', message: 'no generation' }]);
    expect(lostWhileFollowing(invalid, { kind: 'batch', id: 'b1' })).toBe(invalid);
  });
});
