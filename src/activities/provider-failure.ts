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
    type: TYPE_BY_KIND[error.kind],
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
