import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
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

/**
 * The storage's own check, as a ConfigurationError naming the variable that chose it (exit 2):
 * a worker refuses to start rather than pay for videos it cannot store.
 */
export async function checkStorageWritable(
  storage: VideoStorage,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  try {
    await storage.checkWritable();
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
