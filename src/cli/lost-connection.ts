import { TemporalUnreachableError } from '../errors.js';
import type { FollowedWork } from './interrupted-wait.js';

/** gRPC UNAVAILABLE: the server went away (stopped, restarted, unreachable). */
const GRPC_UNAVAILABLE = 14;

/**
 * True when `error` (or one of its causes) says the Temporal server could not be reached. Read
 * by shape (a gRPC status code with details), as the SDK's isGrpcServiceError does: importing
 * the SDK here would load it on every CLI call, refusals included (startup-weight.test.ts).
 */
export function isLostConnection(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    if (isGrpcStatus(current) && current.code === GRPC_UNAVAILABLE) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

function isGrpcStatus(value: unknown): value is Error & { code: number; details: string } {
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { details?: unknown }).details === 'string'
  );
}

/**
 * The error a waiting command ends with when the server goes away under it: exit 3 and how to
 * follow the work again, instead of the SDK's "Failed to describe workflow" and exit 1 (which
 * says the generation failed; it did not, it is waiting on the server).
 */
export function lostWhileFollowing(error: unknown, work: FollowedWork): unknown {
  if (!isLostConnection(error)) return error;
  const again =
    work.kind === 'job'
      ? `\`klingflow status ${work.id} --wait\``
      : `\`klingflow status ${work.id} --wait\` (or the same batch command with --id ${work.id})`;
  return new TemporalUnreachableError(
    `lost the Temporal server while following ${work.kind} ${work.id}; it keeps its state there, and ${again} follows it again once the server answers`,
    { cause: error },
  );
}
