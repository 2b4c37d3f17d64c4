import { hasNoUnit, parseDuration } from '../config/duration.js';
import { ValidationError } from '../errors.js';
import type { StoredVideo, VideoStorage } from './video-storage.js';

/** SigV4 presigned URLs live at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;

/** `--presign DURATION` (`15m`, `1h`, `3600s`…) in whole seconds; exit 2 when out of range. */
export function parsePresignDuration(value: string, flag = '--presign'): number {
  // A bare number is milliseconds everywhere else, but `aws s3 presign --expires-in` takes
  // seconds: `--presign 3600` would sign for 4 s. Asked for with its unit instead.
  if (hasNoUnit(value)) {
    throw new ValidationError([
      {
        field: flag,
        message: `"${value}" needs a unit; did you mean ${value.trim()}s? (examples: 15m, 1h, 24h, 7d)`,
      },
    ]);
  }
  const milliseconds = parseDuration(value);
  const seconds = milliseconds === undefined ? undefined : Math.round(milliseconds / 1000);
  if (seconds === undefined || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
    throw new ValidationError([
      {
        field: flag,
        message: `"${value}" is not a duration between 1s and 7 days (examples: 15m, 1h, 24h, 7d)`,
      },
    ]);
  }
  return seconds;
}

export type PresignedVideo = StoredVideo & { url?: string };

/**
 * Adds `url`, a presigned GET URL, to every video the storage can sign (S3 paths). A local-disk
 * storage signs nothing and the videos come back unchanged: their `path` is already readable.
 */
export async function presignVideos<T extends { videos: StoredVideo[] }>(
  status: T,
  storage: Pick<VideoStorage, 'presignVideo'>,
  expiresInSeconds: number,
): Promise<Omit<T, 'videos'> & { videos: PresignedVideo[] }> {
  if (!storage.presignVideo) return status;
  const sign = storage.presignVideo.bind(storage);
  const videos = await Promise.all(
    status.videos.map(async (video) =>
      video.path.startsWith('s3://')
        ? { ...video, url: await sign(video.path, expiresInSeconds) }
        : video,
    ),
  );
  return { ...status, videos };
}
