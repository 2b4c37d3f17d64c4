import type { Dispatcher } from 'undici';
import { redactUrl } from '../http/guarded-agent.js';
import type { ImageResolver } from '../providers/provider.js';
import { EXTENSIONS, fetchImage, type LoadedImage, sniffImageType } from './image-fetch.js';
import { ImageResolveError, imageTooLarge, withImageContext } from './image-resolve-error.js';
import { blobDigest, isBlobReference, type VideoStorage } from './video-storage.js';

export { sniffImageType } from './image-fetch.js';
export { ImageResolveError, type ImageResolveReason } from './image-resolve-error.js';

export const DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/** How long a presigned blob URL given to a provider stays valid: providers may queue a job for hours. */
export const BLOB_URL_LIFETIME_SECONDS = 24 * 60 * 60;

export interface ImageResolverOptions {
  /** `blobUrl` (S3 storage) lets URL-only providers take local images as presigned URLs. */
  storage: Pick<VideoStorage, 'readBlob' | 'blobUrl'>;
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
        : fetchImage(assertHttpReference(reference), { ...options, maxBytes });
      loaded.set(reference, pending);
      pending.catch(() => loaded.delete(reference));
    }
    return pending;
  };

  const loadBlob = async (reference: string): Promise<LoadedImage> => {
    const blob = await options.storage.readBlob(reference);
    if (blob.bytes.byteLength > maxBytes) {
      throw imageTooLarge(reference, blob.bytes.byteLength, maxBytes);
    }
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

  const fieldOf = (reference: string): string | undefined =>
    Object.entries(options.fields ?? {}).find(([, value]) => value === reference)?.[0];

  /** Names the provider and the request field in whatever went wrong with this reference. */
  const inContext = async <T>(reference: string, resolve: () => Promise<T>): Promise<T> => {
    try {
      return await resolve();
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw withImageContext(error, options.providerName, fieldOf(reference));
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

  async function asUrl(reference: string): Promise<string> {
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
  }
}

function assertHttpReference(reference: string): string {
  if (/^https?:\/\//i.test(reference)) return reference;
  throw new ImageResolveError(
    'unsupported-reference',
    `an image reference is an http(s) URL or blob:sha256:<hex> (the client stores local files and data URIs as blobs), not ${redactUrl(reference).slice(0, 40)}`,
  );
}
