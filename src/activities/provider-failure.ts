import { ApplicationFailure } from '@temporalio/common';
import { ProviderError } from '../errors.js';
import { ImageResolveError } from '../storage/image-resolver.js';
import { FAILURE_TYPE_BY_KIND, FailureTypes } from '../workflows/generation-types.js';

/**
 * The one place an activity's error becomes a Temporal failure. Transient provider errors stay
 * retryable (honouring Retry-After); everything else is final for this provider attempt, and
 * the workflow decides between failover and failing the job from the failure type.
 *
 * For a submit, only a provider's own answer (a non-ambiguous ProviderError) says what happened
 * to the request. Anything else (an ambiguous ProviderError, a bug, an abort) may have left a
 * task at the provider, so it becomes `AmbiguousSubmit`: never re-sent, never failed over.
 */
export function toActivityFailure(error: unknown, options: { submit: boolean }): unknown {
  if (error instanceof ImageResolveError) {
    // Images are resolved while the body is built, before anything reaches the provider. One
    // that cannot be read fails the job (no provider will do better); a flaky image host is
    // worth another try.
    return ApplicationFailure.create({
      type: error.retryable ? FailureTypes.transient : FailureTypes.invalidRequest,
      message: `request image: ${redactCallbackTokens(error.message)}`,
      nonRetryable: !error.retryable,
    });
  }
  if (!(error instanceof ProviderError)) {
    if (!options.submit || !(error instanceof Error)) return error;
    return ApplicationFailure.create({
      type: FailureTypes.ambiguousSubmit,
      message: `submit failed unexpectedly (${error.name}): ${redactCallbackTokens(error.message)}`,
      nonRetryable: true,
    });
  }
  const message = redactCallbackTokens(error.message);
  if (options.submit && error.ambiguous) {
    return ApplicationFailure.create({
      type: FailureTypes.ambiguousSubmit,
      message: `${error.provider}: ${message}`,
      nonRetryable: true,
    });
  }
  const transient = error.kind === 'transient';
  return ApplicationFailure.create({
    type: FAILURE_TYPE_BY_KIND[error.kind],
    message: `${error.provider}: ${message}`,
    nonRetryable: !transient,
    ...(transient && error.retryAfterMs !== undefined
      ? {
          nextRetryDelay: error.retryAfterMs,
          // Workflow code retries submits itself and reads the delay from here (the decoded
          // failure does not carry nextRetryDelay back).
          details: [{ retryAfterMs: error.retryAfterMs }],
        }
      : {}),
  });
}

/** A path separator as it appears in an echo: `/`, JSON-escaped `\/`, or percent-encoded. */
const SEPARATOR = String.raw`(?:\\?\/|%(?:25)?2[fF])`;
const CALLBACK_TOKEN_PATH = new RegExp(
  String.raw`(callbacks${SEPARATOR}[^\s"'<>]*?${SEPARATOR}\d+${SEPARATOR})[A-Za-z0-9_-]{16,}`,
  'g',
);

/**
 * A provider that echoes our request in an error would carry the callback URL, and its token,
 * into the failure message and so into workflow history: cut the token out first, whether the
 * echo is plain, JSON-escaped (`\/callbacks\/…`) or percent-encoded (`%2Fcallbacks%2F…`).
 */
export function redactCallbackTokens(text: string): string {
  return text.replace(CALLBACK_TOKEN_PATH, '$1[redacted]');
}
