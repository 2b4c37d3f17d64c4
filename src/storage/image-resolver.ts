import { type Dispatcher, request } from 'undici';
import { assertFetchableUrl, BlockedAddressError, redactUrl } from '../http/guarded-agent.js';
import { isPrivateAddress } from '../http/private-address.js';
import type { ImageResolver } from '../providers/provider.js';
import { blobDigest, isBlobReference, type VideoStorage } from './video-storage.js';

export const DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** How long a presigned blob URL given to a provider stays valid: providers may queue a job for hours. */
export const BLOB_URL_LIFETIME_SECONDS = 24 * 60 * 60;

export type ImageResolveErrorKind =
  /** The provider only takes image URLs and the image is a local blob. */
  | 'needs-public-url'
  /** Neither an http(s) URL nor a `blob:sha256:` reference. */
  | 'unsupported-reference'
  | 'image-too-large'
  /** Not a JPEG, PNG or WebP image. */
  | 'unsupported-image-type'
  /** The image URL answered with an error status or the connection failed. */
  | 'image-fetch-failed';

export class ImageResolveError extends Error {
  override readonly name = 'ImageResolveError';
  readonly kind: ImageResolveErrorKind;
  readonly httpStatus: number | undefined;
  /** True when trying again later may succeed (5xx, 429, network errors). */
  readonly retryable: boolean;

  constructor(
    kind: ImageResolveErrorKind,
    message: string,
    details: { httpStatus?: number; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.kind = kind;
    this.httpStatus = details.httpStatus;
    this.retryable = details.retryable ?? false;
  }
}

export interface ImageResolverOptions {
  /** `blobUrl` (S3 storage) lets URL-only providers take local images as presigned URLs. */
  storage: Pick<VideoStorage, 'readBlob' | 'blobUrl'>;
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  maxImageBytes?: number;
  /** Aborts image fetches, e.g. the submit activity's cancellation signal. */
  signal?: AbortSignal;
  /** Named in the error when a blob cannot be given as a URL. */
  providerName?: string;
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
      if (options.signal?.aborted) throw error;
      const blocked = findBlockedAddressError(error);
      if (blocked) throw blocked;
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

  return {
    async asUrl(reference: string): Promise<string> {
      if (isBlobReference(reference) && options.storage.blobUrl) {
        return options.storage.blobUrl(reference, BLOB_URL_LIFETIME_SECONDS);
      }
      if (isBlobReference(reference)) {
        const who = options.providerName ? `provider ${options.providerName}` : 'this provider';
        throw new ImageResolveError(
          'needs-public-url',
          `${who} accepts images only as public http(s) URLs; a local file or data URI (${reference.slice(0, 24)}…) cannot be turned into one. Pass an image URL, or choose a provider that accepts uploaded images`,
        );
      }
      return assertHttpReference(reference);
    },
    async asBase64(reference: string): Promise<string> {
      return Buffer.from((await load(reference)).bytes).toString('base64');
    },
    async asDataUri(reference: string): Promise<string> {
      const image = await load(reference);
      return `data:${image.contentType};base64,${Buffer.from(image.bytes).toString('base64')}`;
    },
    async asBytes(reference: string) {
      const image = await load(reference);
      return { bytes: image.bytes, contentType: image.contentType, fileName: image.fileName };
    },
  };
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

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/* ------------------------------------------------------------------------------------------ */
/* Guarded GET, shared with the download activity. It belongs in src/http/ once that is open. */

export interface GuardedGetOptions {
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  maxRedirects?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class TooManyRedirectsError extends Error {
  override readonly name = 'TooManyRedirectsError';
  readonly kind = 'too-many-redirects' as const;
}

/**
 * GET that follows redirects by hand so every hop passes the address policy: the guarded agent
 * checks DNS answers, but a redirect to a literal IP never goes through DNS.
 */
export async function guardedGet(
  url: string,
  options: GuardedGetOptions,
): Promise<{ response: Dispatcher.ResponseData; finalUrl: string }> {
  const maxRedirects = options.maxRedirects ?? 5;
  let current = url;
  for (let hop = 0; ; hop++) {
    assertPublicUrl(current, options.allowPrivateNetwork);
    const response = await request(current, {
      method: 'GET',
      dispatcher: options.dispatcher,
      headers: options.headers,
      signal: options.signal,
    });
    const location = headerValue(response.headers.location);
    if (!REDIRECT_STATUSES.has(response.statusCode) || !location) {
      return { response, finalUrl: current };
    }
    await response.body.dump().catch(() => undefined);
    if (hop >= maxRedirects) {
      throw new TooManyRedirectsError(
        `${redactUrl(url)} redirected more than ${maxRedirects} times`,
      );
    }
    current = new URL(location, current).toString();
  }
}

/**
 * `assertFetchableUrl`, plus IPv4-mapped IPv6 literals: the URL parser rewrites
 * `[::ffff:127.0.0.1]` to `[::ffff:7f00:1]`, which the core check does not recognise.
 */
export function assertPublicUrl(rawUrl: string, allowPrivateNetwork: boolean): URL {
  const url = assertFetchableUrl(rawUrl, allowPrivateNetwork);
  if (allowPrivateNetwork) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped?.[1] && mapped[2]) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    const ipv4 = `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
    if (isPrivateAddress(ipv4)) {
      throw new BlockedAddressError(
        `${host} maps to private address ${ipv4}; set KLINGFLOW_ALLOW_PRIVATE_NETWORK=1 to allow it`,
      );
    }
  }
  return url;
}

/**
 * Drops a response body we will not read. Destroying an unfinished undici body makes it emit an
 * abort error; nobody is listening for it any more, so it is swallowed here.
 */
export function discardBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** undici wraps connect errors; the guarded agent's refusal can sit a few causes deep. */
export function findBlockedAddressError(error: unknown): BlockedAddressError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof BlockedAddressError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
