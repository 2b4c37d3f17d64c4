import { ProviderError, type ProviderErrorKind } from '../errors.js';
import { findBlockedAddressError } from '../http/guarded-agent.js';
import { StorageError } from './video-storage.js';

export type ImageResolveReason =
  /** The provider only takes image URLs and the image is a local blob. */
  | 'needs-public-url'
  /** Neither an http(s) URL nor a `blob:sha256:` reference. */
  | 'unsupported-reference'
  /** The blob the client stored is not in this worker's storage. */
  | 'blob-not-found'
  /** The image URL points at a private or loopback address. */
  | 'blocked-address'
  | 'image-too-large'
  /** Not a JPEG, PNG or WebP image. */
  | 'unsupported-image-type'
  /** The image URL answered with an error status or the connection failed. */
  | 'image-fetch-failed';

/**
 * A request image that cannot be used. It is a ProviderError so the submit activity's
 * `toActivityFailure` maps it like any other: a bad image is an invalid request (the job fails
 * once, naming the image, instead of failing over to every provider in turn); an image host
 * that may recover is transient; a blob for a URL-only provider fails over to one that takes
 * uploads. Nothing was sent to the provider in any case, so none of these is ambiguous.
 */
export class ImageResolveError extends ProviderError {
  readonly reason: ImageResolveReason;
  /** True when trying again later may succeed (5xx, 429, network errors). */
  readonly retryable: boolean;
  /** The request field that named the image (`startImage`, `endImage`), when known. */
  readonly field: string | undefined;

  constructor(
    reason: ImageResolveReason,
    message: string,
    details: {
      httpStatus?: number;
      retryable?: boolean;
      cause?: unknown;
      provider?: string;
      field?: string;
    } = {},
  ) {
    super(kindFor(reason, details.retryable ?? false), details.provider ?? 'image', message, {
      ...(details.httpStatus !== undefined ? { httpStatus: details.httpStatus } : {}),
      cause: details.cause,
      ambiguous: false,
    });
    this.reason = reason;
    this.retryable = details.retryable ?? false;
    this.field = details.field;
  }
}

function kindFor(reason: ImageResolveReason, retryable: boolean): ProviderErrorKind {
  if (reason === 'needs-public-url') return 'provider-unavailable';
  if (retryable) return 'transient';
  return 'invalid-request';
}

export function imageTooLarge(what: string, bytes: number, maxBytes: number): ImageResolveError {
  return new ImageResolveError(
    'image-too-large',
    `image ${what} has ${bytes} bytes or more; the limit is ${maxBytes} bytes`,
  );
}

/** Names the provider and the request field in whatever went wrong with an image. */
export function withImageContext(
  error: unknown,
  provider: string | undefined,
  field: string | undefined,
) {
  const prefix = field ? `${field}: ` : '';
  const context = { ...(provider ? { provider } : {}), ...(field ? { field } : {}) };
  if (error instanceof ImageResolveError) {
    return new ImageResolveError(error.reason, `${prefix}${error.message}`, {
      ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
      retryable: error.retryable,
      cause: error.cause,
      ...context,
    });
  }
  const blocked = findBlockedAddressError(error);
  if (blocked) {
    return new ImageResolveError('blocked-address', `${prefix}${blocked.message}`, {
      cause: blocked,
      ...context,
    });
  }
  if (error instanceof StorageError && error.kind === 'blob-not-found') {
    return new ImageResolveError('blob-not-found', `${prefix}${error.message}`, {
      cause: error,
      ...context,
    });
  }
  return error;
}
