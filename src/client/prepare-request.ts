import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { parseUnifiedRequest } from '../request/parse-request.js';
import {
  BLOB_REFERENCE_PATTERN,
  type UnifiedRequest,
  type UnifiedRequestInput,
} from '../request/unified-request.js';
import type { VideoStorage } from '../storage/video-storage.js';

/** A request as a caller writes it: images may also be local file paths or data URIs. */
export type GenerationRequest = UnifiedRequestInput;

const IMAGE_FIELDS = ['startImage', 'endImage'] as const;
const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/**
 * Validates a request and moves local images into blob storage, so the workflow only ever
 * carries a URL or a small `blob:sha256:…` reference (history payloads are capped at 2 MB).
 */
export async function prepareRequest(
  input: GenerationRequest,
  storage: Pick<VideoStorage, 'putBlob'>,
  location?: string,
): Promise<UnifiedRequest> {
  const prepared: Record<string, unknown> = { ...input };
  for (const field of IMAGE_FIELDS) {
    const value = input[field];
    if (
      typeof value !== 'string' ||
      /^https?:\/\//i.test(value) ||
      BLOB_REFERENCE_PATTERN.test(value)
    )
      continue;
    prepared[field] = await storeImage(field, value, storage, location);
  }
  return parseUnifiedRequest(prepared, location);
}

async function storeImage(
  field: string,
  value: string,
  storage: Pick<VideoStorage, 'putBlob'>,
  location: string | undefined,
): Promise<string> {
  const dataUri = value.match(/^data:([^;,]+)(;base64)?,(.*)$/s);
  if (dataUri && !Object.values(CONTENT_TYPES).includes(dataUri[1] ?? '')) {
    throw new ValidationError([
      {
        field,
        message: `a data URI of type ${dataUri[1]} is not an image`,
        allowed: [...new Set(Object.values(CONTENT_TYPES))],
        ...(location ? { location } : {}),
      },
    ]);
  }
  if (dataUri) {
    const bytes = dataUri[2]
      ? Buffer.from(dataUri[3] ?? '', 'base64')
      : Buffer.from(decodeURIComponent(dataUri[3] ?? ''));
    return storage.putBlob(bytes, dataUri[1] ?? 'application/octet-stream');
  }
  const path = resolve(value.startsWith('file://') ? new URL(value).pathname : value);
  const contentType = CONTENT_TYPES[extname(path).toLowerCase()];
  if (!contentType) {
    throw new ValidationError([
      {
        field,
        message: `${value} is not an image file`,
        allowed: ['.png', '.jpg', '.jpeg', '.webp', 'http(s) URL', 'data URI'],
        ...(location ? { location } : {}),
      },
    ]);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ValidationError(
      [
        {
          field,
          message: `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
          ...(location ? { location } : {}),
        },
      ],
      { cause },
    );
  }
  return storage.putBlob(bytes, contentType);
}
