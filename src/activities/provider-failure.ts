import { ApplicationFailure } from '@temporalio/common';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import { FailureTypes } from '../workflows/generation-types.js';

const TYPE_BY_KIND: Record<ProviderErrorKind, string> = {
  transient: FailureTypes.transient,
  'provider-unavailable': FailureTypes.providerUnavailable,
  'invalid-request': FailureTypes.invalidRequest,
  'content-rejected': FailureTypes.contentRejected,
};

/**
 * The one place a ProviderError becomes a Temporal failure. Transient errors stay retryable
 * (honouring Retry-After); everything else is final for this provider attempt, and the
 * workflow decides between failover and failing the job from the failure type.
 */
export function toActivityFailure(error: unknown, options: { submit: boolean }): unknown {
  if (!(error instanceof ProviderError)) return error;
  if (options.submit && error.ambiguous) {
    return ApplicationFailure.create({
      type: FailureTypes.ambiguousSubmit,
      message: `${error.provider}: ${error.message}`,
      nonRetryable: true,
    });
  }
  const transient = error.kind === 'transient';
  return ApplicationFailure.create({
    type: TYPE_BY_KIND[error.kind],
    message: `${error.provider}: ${error.message}`,
    nonRetryable: !transient,
    ...(transient && error.retryAfterMs !== undefined
      ? { nextRetryDelay: error.retryAfterMs }
      : {}),
  });
}
