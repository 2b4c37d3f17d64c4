import { open } from 'node:fs/promises';
import { INPUT_VIDEO_LIMITS, type InputVideoField } from '../request/input-video-limits.js';
import { BLOB_REFERENCE_PATTERN } from '../request/unified-request.js';
import { probeVideo } from '../storage/video-probe.js';
import type { VideoStorage } from '../storage/video-storage.js';
import { fieldInvalid, type Invalid, localPath } from './local-path.js';

/**
 * A local motion or reference video (a path or `file:` URL). Every provider that takes one
 * fetches it from a URL (apimodels `motion_video`, the official `video_list[].video_url`: no
 * seed shows inline video bytes), so the file is stored as a blob only where the storage can
 * hand out a presigned URL for it (S3); with local-disk storage nothing could give the provider
 * a URL, and the request is refused here, before anything is stored or submitted. The length
 * and size are checked against the providers' limits first, so a video they would refuse
 * after the submit was paid for never leaves this machine.
 */
export async function storeLocalVideo(
  field: InputVideoField,
  value: string,
  storage: Pick<VideoStorage, 'putBlob' | 'blobUrl'>,
  location: string | undefined,
): Promise<string> {
  const invalid = fieldInvalid(field, location);
  const allowed = [
    'http(s) URL',
    'a local .mp4/.mov file with S3 storage (KLINGFLOW_STORAGE=s3://…)',
  ];
  if (!storage.blobUrl) {
    throw invalid(
      `${value} is not an http(s) URL: a local video needs S3 storage (KLINGFLOW_STORAGE=s3://…), which gives the provider a presigned URL for it; local-disk storage cannot, so pass a URL the provider can fetch`,
      allowed,
    );
  }
  // A blob the caller stored itself: the worker presigns it like any other.
  if (BLOB_REFERENCE_PATTERN.test(value)) return value;
  if (/^data:/i.test(value)) {
    throw invalid('a video cannot be given as a data URI; pass a file path or a URL', allowed);
  }
  const bytes = await readVideoFile(localPath(value, invalid), INPUT_VIDEO_LIMITS[field], invalid);
  const probe = probeVideo(bytes);
  if (!probe) throw invalid(`${value} is not an MP4 or MOV video`, ['.mp4', '.mov']);
  const { minSeconds, maxSeconds } = INPUT_VIDEO_LIMITS[field];
  if (probe.seconds < minSeconds || probe.seconds > maxSeconds) {
    throw invalid(
      `${value} is ${Math.round(probe.seconds * 100) / 100} s long; it must be ${minSeconds}–${maxSeconds} s`,
      [`${minSeconds}–${maxSeconds} s`],
    );
  }
  return storage.putBlob(bytes, probe.contentType);
}

/** Reads the file, refusing it by its size before reading a byte of one that is too large. */
async function readVideoFile(
  path: string,
  limits: { maxBytes: number },
  invalid: Invalid,
): Promise<Uint8Array> {
  const unreadable = (cause: unknown) =>
    invalid(
      `cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      undefined,
      cause,
    );
  const handle = await open(path, 'r').catch((cause: unknown) => {
    throw unreadable(cause);
  });
  try {
    const { size } = await handle.stat().catch((cause: unknown) => {
      throw unreadable(cause);
    });
    if (size > limits.maxBytes) {
      throw invalid(`${path} has ${size} bytes; the limit is ${limits.maxBytes} bytes`, [
        `at most ${limits.maxBytes / (1024 * 1024)} MB`,
      ]);
    }
    return await handle.readFile().catch((cause: unknown) => {
      throw unreadable(cause);
    });
  } finally {
    await handle.close();
  }
}
