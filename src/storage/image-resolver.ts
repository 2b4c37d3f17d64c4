import type { Dispatcher } from 'undici';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import { findBlockedAddressError, redactUrl } from '../http/guarded-agent.js';
import { discardBody, guardedGet } from '../http/guarded-get.js';
import { headerValue } from '../http/headers.js';
import type { ImageResolver } from '../providers/provider.js';
import { blobDigest, isBlobReference, StorageError, type VideoStorage } from './video-storage.js';

export const DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024;

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

export interface ImageResolverOptions {
  storage: Pick<VideoStorage, 'readBlob'>;
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  maxImageBytes?: number;
  /** Aborts image fetches, e.g. the submit activity's cancellation signal. */
  signal?: AbortSignal;
  /** The provider being submitted to: named in errors, and the failure is charged to it. */
  providerName?: string;
  /** The request's image fields (`startImage` → reference), so an error names the field. */
  fields?: Readonly<Record<string, string | undefined>>;
}

/** What stays the same for every submit on a worker. */
export type ImageResolverSettings = Omit<
  ImageResolverOptions,
  'signal' | 'providerName' | 'fields'
>;

/** What one submit knows: its provider, cancellation signal and the request's image fields. */
export type ImageResolverFactory = (
  submit: Pick<ImageResolverOptions, 'signal' | 'providerName' | 'fields'>,
) => ImageResolver;

/**
 * The submit activity calls this once per submit, so loaded images live only as long as that
 * submit (no worker-wide cache to grow without bound or serve a changed URL stale) and every
 * fetch stops when the activity is cancelled.
 */
export function imageResolverFactory(settings: ImageResolverSettings): ImageResolverFactory {
  return (submit) => createImageResolver({ ...settings, ...submit });
}

interface LoadedImage {
  bytes: Uint8Array;
  contentType: ImageType;
  fileName: string;
}

type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

const EXTENSIONS: Record<ImageType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Header types that may carry an image; the bytes themselves decide which one it is. */
const ACCEPTED_HEADER_TYPES = new Set([
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/png',
  'image/webp',
  // Object stores serve uploads without a declared type this way.
  'application/octet-stream',
  'binary/octet-stream',
]);

/**
 * Resolves request image references for one submit. A start and an end image are often the same
 * reference, so each one is loaded at most once per resolver.
 */
export function createImageResolver(options: ImageResolverOptions): ImageResolver {
  const maxBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const loaded = new Map<string, Promise<LoadedImage>>();

  const load = (reference: string): Promise<LoadedImage> => {
    let pending = loaded.get(reference);
    if (!pending) {
      pending = isBlobReference(reference)
        ? loadBlob(reference)
        : fetchImage(assertHttpReference(reference));
      loaded.set(reference, pending);
      pending.catch(() => loaded.delete(reference));
    }
    return pending;
  };

  const loadBlob = async (reference: string): Promise<LoadedImage> => {
    const blob = await options.storage.readBlob(reference);
    if (blob.bytes.byteLength > maxBytes) throw tooLarge(reference, blob.bytes.byteLength);
    const contentType = sniffImageType(blob.bytes);
    if (!contentType) {
      throw new ImageResolveError(
        'unsupported-image-type',
        `${reference} (stored as ${blob.contentType}) is not a JPEG, PNG or WebP image`,
      );
    }
    return {
      bytes: blob.bytes,
      contentType,
      fileName: `${blobDigest(reference).slice(0, 16)}.${EXTENSIONS[contentType]}`,
    };
  };

  const fetchImage = async (url: string): Promise<LoadedImage> => {
    const where = redactUrl(url);
    let response: Dispatcher.ResponseData;
    try {
      ({ response } = await guardedGet(url, {
        dispatcher: options.dispatcher,
        allowPrivateNetwork: options.allowPrivateNetwork,
        headers: { accept: 'image/jpeg, image/png, image/webp' },
        signal: options.signal,
      }));
    } catch (error) {
      if (options.signal?.aborted || findBlockedAddressError(error)) throw error;
      throw new ImageResolveError(
        'image-fetch-failed',
        `fetching image ${where} failed: ${(error as Error)?.message ?? String(error)}`,
        { retryable: true, cause: error },
      );
    }

    const { statusCode, headers, body } = response;
    if (statusCode !== 200) {
      await body.dump().catch(() => undefined);
      throw new ImageResolveError(
        'image-fetch-failed',
        `fetching image ${where} answered HTTP ${statusCode}`,
        { httpStatus: statusCode, retryable: isRetryableStatus(statusCode) },
      );
    }
    const declaredType = headerValue(headers['content-type'])?.split(';')[0]?.trim().toLowerCase();
    if (declaredType && !ACCEPTED_HEADER_TYPES.has(declaredType)) {
      discardBody(body);
      throw new ImageResolveError(
        'unsupported-image-type',
        `${where} is ${declaredType}; images must be JPEG, PNG or WebP`,
      );
    }
    const declaredLength = Number(headerValue(headers['content-length']));
    if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
      discardBody(body);
      throw tooLarge(where, declaredLength);
    }

    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += (chunk as Buffer).byteLength;
      if (total > maxBytes) {
        discardBody(body);
        throw tooLarge(where, total);
      }
      chunks.push(chunk as Buffer);
    }
    const bytes = new Uint8Array(Buffer.concat(chunks, total));
    const contentType = sniffImageType(bytes);
    if (!contentType) {
      throw new ImageResolveError(
        'unsupported-image-type',
        `${where} (served as ${declaredType ?? 'no content type'}) is not a JPEG, PNG or WebP image`,
      );
    }
    return { bytes, contentType, fileName: fileNameFor(url, contentType) };
  };

  const tooLarge = (what: string, bytes: number): ImageResolveError =>
    new ImageResolveError(
      'image-too-large',
      `image ${what} has ${bytes} bytes or more; the limit is ${maxBytes} bytes`,
    );

  const fieldOf = (reference: string): string | undefined =>
    Object.entries(options.fields ?? {}).find(([, value]) => value === reference)?.[0];

  /** Names the provider and the request field in whatever went wrong with this reference. */
  const inContext = async <T>(reference: string, resolve: () => Promise<T>): Promise<T> => {
    try {
      return await resolve();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw withContext(error, options.providerName, fieldOf(reference));
    }
  };

  return {
    asUrl: (reference) => inContext(reference, async () => asUrl(reference)),
    asBase64: (reference) =>
      inContext(reference, async () =>
        Buffer.from((await load(reference)).bytes).toString('base64'),
      ),
    asDataUri: (reference) =>
      inContext(reference, async () => {
        const image = await load(reference);
        return `data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}`;
      }),
    asBytes: (reference) =>
      inContext(reference, async () => {
        const image = await load(reference);
        return { bytes: image.bytes, contentType: image.contentType, fileName: image.fileName };
      }),
  };

  function asUrl(reference: string): string {
    if (isBlobReference(reference)) {
      const who = options.providerName ? `provider ${options.providerName}` : 'this provider';
      throw new ImageResolveError(
        'needs-public-url',
        `${who} accepts images only as public http(s) URLs; a local file or data URI (${reference.slice(0, 24)}…) cannot be turned into one. Pass an image URL, or choose a provider that accepts uploaded images`,
      );
    }
    return assertHttpReference(reference);
  }
}

function withContext(error: unknown, provider: string | undefined, field: string | undefined) {
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

function assertHttpReference(reference: string): string {
  if (/^https?:\/\//i.test(reference)) return reference;
  throw new ImageResolveError(
    'unsupported-reference',
    `an image reference is an http(s) URL or blob:sha256:<hex> (the client stores local files and data URIs as blobs), not ${redactUrl(reference).slice(0, 40)}`,
  );
}

/** Identifies JPEG, PNG and WebP by their magic bytes; headers and file names can lie. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  const startsWith = (signature: number[], at = 0) =>
    signature.every((value, index) => bytes[at + index] === value);
  if (startsWith([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) {
    return 'image/webp';
  }
  return undefined;
}

function fileNameFor(url: string, contentType: ImageType): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  const stem = last
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, 64);
  return `${stem || 'image'}.${EXTENSIONS[contentType]}`;
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
