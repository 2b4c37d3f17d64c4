/**
 * Every error klingflow raises is a small typed class with a `kind`, so callers branch on
 * `error.kind` (or `instanceof`) and never on message text.
 */

/** How a provider failure is handled; classified once, in the adapter that saw it. */
export type ProviderErrorKind =
  /** Retry the same provider (5xx, rate limit, network error before the request was accepted). */
  | 'transient'
  /** Fail over to the next provider (auth, credits, arrears, outage, stuck past the deadline). */
  | 'provider-unavailable'
  /** Permanent: the request itself is wrong for this provider. */
  | 'invalid-request'
  /** Permanent: the provider refused the content (moderation). */
  | 'content-rejected';

export const PROVIDER_ERROR_KINDS: readonly ProviderErrorKind[] = [
  'transient',
  'provider-unavailable',
  'invalid-request',
  'content-rejected',
];

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  /** HTTP status, when the failure was an HTTP response. */
  readonly httpStatus: number | undefined;
  /** The provider's own business code (Kling `code`), when it sent one. */
  readonly providerCode: number | string | undefined;
  /** Milliseconds the provider asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;
  /**
   * True when the request may have reached the provider and been accepted, e.g. the
   * connection dropped after the body was sent. Such a submit must never be re-sent blindly.
   */
  readonly ambiguous: boolean;

  constructor(
    kind: ProviderErrorKind,
    provider: string,
    message: string,
    details: {
      httpStatus?: number;
      providerCode?: number | string;
      retryAfterMs?: number;
      ambiguous?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: details.cause });
    this.kind = kind;
    this.provider = provider;
    this.httpStatus = details.httpStatus;
    this.providerCode = details.providerCode;
    this.retryAfterMs = details.retryAfterMs;
    this.ambiguous = details.ambiguous ?? false;
  }
}

/** Bad input: nothing was submitted. The message names the field and the allowed values. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly kind = 'invalid-input' as const;
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], options: { cause?: unknown } = {}) {
    super(issues.map(formatIssue).join('; '), options);
    this.issues = issues;
  }
}

export interface ValidationIssue {
  /** Field name as the user wrote it (camelCase request field), e.g. `duration`. */
  field: string;
  message: string;
  /** Allowed values, when the field takes one of a set. */
  allowed?: readonly (string | number)[];
  /** Where the issue was found when it is not a single request, e.g. `line 3` of a batch. */
  location?: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.location ? `${issue.location}: ` : '';
  const allowed = issue.allowed ? ` (allowed: ${issue.allowed.join(', ')})` : '';
  return `${where}${issue.field}: ${issue.message}${allowed}`;
}

/** A configuration problem (missing key, bad environment value) found at start-up. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly kind = 'configuration' as const;
  readonly variable: string;

  constructor(variable: string, message: string, options: { cause?: unknown } = {}) {
    super(`${variable}: ${message}`, options);
    this.variable = variable;
  }
}

/** Nothing answers at the Temporal address (exit code 3). */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  readonly kind = 'temporal-unreachable' as const;
}

/** The Temporal CLI could not be found, built or downloaded. */
export class TemporalCliUnavailableError extends Error {
  override readonly name = 'TemporalCliUnavailableError';
  readonly kind = 'temporal-cli-unavailable' as const;
}
