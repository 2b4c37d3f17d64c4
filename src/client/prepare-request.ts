import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ConfigurationError, ValidationError } from '../errors.js';
import { parseUnifiedRequest } from '../request/parse-request.js';
import {
  BLOB_REFERENCE_PATTERN,
  type UnifiedRequest,
  type UnifiedRequestInput,
} from '../request/unified-request.js';
import { sniffImageType } from '../storage/image-fetch.js';
import { DEFAULT_MAX_IMAGE_BYTES } from '../storage/image-resolver.js';
import type { VideoStorage } from '../storage/video-storage.js';
import { fieldInvalid, type Invalid, localPath } from './local-path.js';
import { storeLocalVideo } from './local-video.js';

/** A request as a caller writes it: images may also be local file paths or data URIs. */
export type GenerationRequest = UnifiedRequestInput;

const IMAGE_FIELDS = ['startImage', 'endImage'] as const;
const VIDEO_FIELDS = ['motionVideo', 'referenceVideo'] as const;
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/**
 * Validates a request and moves local images and videos into blob storage, so the workflow only
 * ever carries a URL or a small `blob:sha256:…` reference (history payloads are capped at 2 MB).
 */
export async function prepareRequest(
  input: GenerationRequest,
  storage: Pick<VideoStorage, 'putBlob' | 'blobUrl'>,
  location?: string,
): Promise<UnifiedRequest> {
  const prepared: Record<string, unknown> = { ...input };
  for (const field of VIDEO_FIELDS) {
    const value = input[field];
    if (typeof value !== 'string' || /^https?:\/\//i.test(value)) continue;
    prepared[field] = await storeLocalVideo(field, value, storage, location).catch(
      unstored(field, value),
    );
  }
  for (const field of IMAGE_FIELDS) {
    const value = input[field];
    if (
      typeof value !== 'string' ||
      /^https?:\/\//i.test(value) ||
      BLOB_REFERENCE_PATTERN.test(value)
    )
      continue;
    prepared[field] = await storeImage(field, value, storage, location).catch(
      unstored(field, value),
    );
  }
  return parseUnifiedRequest(prepared, location);
}

/**
 * A storage failure while keeping a local input for the worker (no such bucket, access denied, a
 * full disk): nothing was submitted, so exit 2 naming the field, not the SDK's bare message.
 */
function unstored(field: string, value: string) {
  return (error: unknown): never => {
    if (error instanceof ValidationError) throw error;
    const what = /^data:/i.test(value) ? 'the data URI' : value;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(
      field,
      `cannot keep ${what} in the video storage (KLINGFLOW_STORAGE / KLINGFLOW_STORAGE_DIR) for the worker: ${reason}`,
      { cause: error },
    );
  };
}

async function storeImage(
  field: string,
  value: string,
  storage: Pick<VideoStorage, 'putBlob'>,
  location: string | undefined,
): Promise<string> {
  const invalid = fieldInvalid(field, location);
  if (/^data:/i.test(value)) {
    const image = parseDataUri(value, invalid);
    return storage.putBlob(checkedImage(image.bytes, 'the data URI', invalid), image.contentType);
  }
  const path = localPath(value, invalid);
  const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
  if (!contentType) {
    throw invalid(`${value} is not an image file`, [
      '.png',
      '.jpg',
      '.jpeg',
      '.webp',
      'http(s) URL',
      'data URI',
    ]);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw invalid(
      `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      undefined,
      cause,
    );
  }
  return storage.putBlob(checkedImage(bytes, path, invalid), contentType);
}

/**
 * The checks the worker makes before a submit (image-resolver.ts), made here so a file that is
 * not an image, or is too large, is refused before the job starts rather than failing it.
 */
function checkedImage(bytes: Buffer, what: string, invalid: Invalid): Buffer {
  if (!sniffImageType(bytes)) {
    throw invalid(`${what} is not a JPEG, PNG or WebP image (by its content)`, [
      'JPEG',
      'PNG',
      'WebP',
    ]);
  }
  if (bytes.byteLength > DEFAULT_MAX_IMAGE_BYTES) {
    throw invalid(
      `${what} is ${byteCount(bytes.byteLength)}; images up to ${DEFAULT_MAX_IMAGE_BYTES / MIB} MiB (${byteCount(DEFAULT_MAX_IMAGE_BYTES)}) are accepted`,
    );
  }
  return bytes;
}

const MIB = 1024 * 1024;

function byteCount(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

/**
 * `data:<type>[;param=value]*[;base64],<data>` (RFC 2397): parameters such as `name=a.png` or
 * `charset=…` may sit between the type and `;base64`.
 */
function parseDataUri(value: string, invalid: Invalid): { bytes: Buffer; contentType: string } {
  const comma = value.indexOf(',');
  if (comma < 0) throw invalid('a data URI needs a comma before its data');
  const [type = '', ...parameters] = value.slice('data:'.length, comma).split(';');
  const contentType = type.trim().toLowerCase();
  const imageTypes = [...new Set(Object.values(CONTENT_TYPES))];
  if (!imageTypes.includes(contentType)) {
    throw invalid(`a data URI of type ${contentType || '(none)'} is not an image`, imageTypes);
  }
  const base64 = parameters.at(-1)?.trim().toLowerCase() === 'base64';
  const data = value.slice(comma + 1);
  if (base64) return { bytes: Buffer.from(decodePercent(data, invalid), 'base64'), contentType };
  return { bytes: Buffer.from(decodePercent(data, invalid), 'latin1'), contentType };
}

/** Percent-decoding that reports malformed escapes as a bad field, not a crash. */
function decodePercent(text: string, invalid: Invalid): string {
  if (!text.includes('%')) return text;
  try {
    return unescapeBytes(text);
  } catch (cause) {
    throw invalid(
      'has malformed percent-encoding (a % not followed by two hex digits)',
      undefined,
      cause,
    );
  }
}

/** Decodes %XX escapes to the bytes they name (as latin1 characters, so binary data survives). */
function unescapeBytes(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})?/g, (match, hex: string | undefined) => {
    if (!hex) throw new URIError(`malformed escape at ${match}`);
    return String.fromCharCode(Number.parseInt(hex, 16));
  });
}
