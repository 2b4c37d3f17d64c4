import { TemporalUnreachableError } from '../errors.js';

/** A TEMPORAL_NAMESPACE the server does not have: exit 3 and what to do about it. */
export function unknownNamespaceError(
  namespace: string,
  cause?: unknown,
): TemporalUnreachableError {
  return new TemporalUnreachableError(
    `TEMPORAL_NAMESPACE: the Temporal server has no namespace ${JSON.stringify(namespace)}: create it (\`temporal operator namespace create --namespace ${namespace}\`) or set TEMPORAL_NAMESPACE to one that exists`,
    cause === undefined ? undefined : { cause },
  );
}
