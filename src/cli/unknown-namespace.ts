import type { TemporalUnreachableError } from '../errors.js';
import { unknownNamespaceError } from '../temporal/unknown-namespace.js';

/**
 * The SDK's NamespaceNotFoundError (a client call on a TEMPORAL_NAMESPACE the server does not
 * have) as exit 3 with what to do, instead of exit 1, which says a generation failed. Read by
 * shape, so the CLI does not load the SDK to recognise it (startup-weight.test.ts). Workers
 * check the namespace when they connect (temporal/connection.ts).
 */
export function unknownNamespace(error: unknown): TemporalUnreachableError | undefined {
  if (!(error instanceof Error) || error.name !== 'NamespaceNotFoundError') return undefined;
  const namespace = (error as Error & { namespace?: unknown }).namespace;
  return typeof namespace === 'string' ? unknownNamespaceError(namespace, error) : undefined;
}
