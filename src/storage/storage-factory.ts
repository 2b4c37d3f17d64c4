import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { withTimeout } from '../async/with-timeout.js';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError } from '../errors.js';
import { createFilesystemStorage } from './filesystem-storage.js';
import { createS3Client, parseS3Location } from './s3-location.js';
import { createS3Storage } from './s3-storage.js';
import type { VideoStorage } from './video-storage.js';

export interface StorageSettings {
  /** `KLINGFLOW_STORAGE_DIR` (resolved): the store itself, or with S3 the local staging area. */
  storageDirectory: string;
}

/**
 * The storage `KLINGFLOW_STORAGE` asks for: unset (or a plain directory) means the local
 * directory `KLINGFLOW_STORAGE_DIR`; `s3://bucket/prefix` means the bucket, with downloads still
 * staged under `KLINGFLOW_STORAGE_DIR/.partial` on the worker's own disk.
 */
export function createVideoStorage(
  settings: StorageSettings,
  environment: NodeJS.ProcessEnv = process.env,
  s3Overrides: S3ClientConfig = {},
): VideoStorage {
  const target = environment[VARIABLES.storage]?.trim();
  if (!target) return createFilesystemStorage({ rootDirectory: settings.storageDirectory });
  if (target.startsWith('s3://')) {
    return createS3Storage({
      client: createS3Client(environment, s3Overrides),
      location: parseS3Location(target),
      stagingDirectory: join(settings.storageDirectory, '.partial'),
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new ConfigurationError(
      VARIABLES.storage,
      `unsupported storage ${JSON.stringify(target.slice(0, 40))}; use s3://bucket/prefix or a directory`,
    );
  }
  return createFilesystemStorage({ rootDirectory: target });
}

/** How long the start-up check may take: a bucket or disk that never answers stops the worker. */
const CHECK_WRITABLE_TIMEOUT_MS = 30_000;

/**
 * The storage's own check, as a ConfigurationError naming the variable that chose it (exit 2):
 * a worker refuses to start rather than pay for videos it cannot store. A check that never
 * settles (a directory under /proc, where Node's mkdir hangs; a bucket endpoint that takes the
 * connection and says nothing) is refused too, once `timeoutMs` have passed.
 */
export async function checkStorageWritable(
  storage: VideoStorage,
  environment: NodeJS.ProcessEnv = process.env,
  timeoutMs = CHECK_WRITABLE_TIMEOUT_MS,
): Promise<void> {
  try {
    await withTimeout(storage.checkWritable(), timeoutMs, `no answer within ${timeoutMs / 1000} s`);
  } catch (cause) {
    const variable = environment[VARIABLES.storage]?.trim()
      ? VARIABLES.storage
      : VARIABLES.storageDirectory;
    const reason = (cause as NodeJS.ErrnoException).code
      ? `${(cause as NodeJS.ErrnoException).code} on ${(cause as NodeJS.ErrnoException).path ?? 'the directory'}`
      : cause instanceof Error
        ? cause.message
        : String(cause);
    throw new ConfigurationError(variable, `cannot store videos there: ${reason}`, { cause });
  }
}
