import type { Dispatcher } from 'undici';
import { findBlockedAddressError, redactUrl } from '../http/guarded-agent.js';
import { discardBody, guardedGet } from '../http/guarded-get.js';
import { headerValue } from '../http/headers.js';
import { ImageResolveError, imageTooLarge } from './image-resolve-error.js';

export interface LoadedImage {
  bytes: Uint8Array;
  contentType: ImageType;
  fileName: string;
}

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

export const EXTENSIONS: Record<ImageType, string> = {
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

export interface ImageFetchOptions {
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

/** Fetches an image URL through the network guard, bounded, and checks it is an image. */
export async function fetchImage(url: string, options: ImageFetchOptions): Promise<LoadedImage> {
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
  if (Number.isFinite(declaredLength) && declaredLength > options.maxBytes) {
    discardBody(body);
    throw imageTooLarge(where, declaredLength, options.maxBytes);
  }

  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).byteLength;
    if (total > options.maxBytes) {
      discardBody(body);
      throw imageTooLarge(where, total, options.maxBytes);
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
