import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  StorageError,
  type StorageErrorKind,
  type StoredVideo,
  type VideoStorage,
} from '../storage/video-storage.js';

export interface StoreVideoDependencies {
  storage: VideoStorage;
}

export interface StoreVideoInput {
  /** The download activity's `tempPath`. */
  tempPath: string;
  key: string;
  sha256: string;
  bytes: number;
  sourceUrl: string;
  /** Caller metadata for the sidecar (workflow id, provider, model, prompt…). */
  sidecar: Record<string, unknown>;
}

/**
 * Storage errors that another attempt of this activity cannot fix. `missing-temp` and
 * `checksum-mismatch` mean the download has to run again, which is the workflow's call.
 */
const FAILURE_TYPES: Partial<Record<StorageErrorKind, string>> = {
  'invalid-key': 'InvalidStorageKey',
  'invalid-temp-path': 'InvalidTempPath',
  'missing-temp': 'DownloadMissing',
  'checksum-mismatch': 'DownloadCorrupt',
  conflict: 'StorageConflict',
};

export function createStoreVideo(deps: StoreVideoDependencies) {
  return async function storeVideo(input: StoreVideoInput): Promise<StoredVideo> {
    try {
      return await commitStagedVideo(deps.storage, input);
    } catch (error) {
      throw storeFailure(error);
    }
  };
}

/**
 * Commits a staged, verified download to storage with its sidecar (storage-specific: a hard
 * link on disk, a verified multipart upload to S3). Throws the storage's own errors.
 */
export async function commitStagedVideo(
  storage: VideoStorage,
  input: StoreVideoInput,
): Promise<StoredVideo> {
  const stored = await storage.commitVideo({
    tempPath: input.tempPath,
    key: input.key,
    sidecar: {
      ...input.sidecar,
      // The verified facts win over anything the caller put in the same fields.
      sha256: input.sha256,
      bytes: input.bytes,
      sourceUrl: input.sourceUrl,
      storedAt: new Date().toISOString(),
    },
  });
  Context.current().log.info('stored video', { path: stored.path, bytes: stored.bytes });
  return stored;
}

/** Storage errors another attempt cannot fix become non-retryable failures; the rest retry. */
export function storeFailure(error: unknown): unknown {
  const type = error instanceof StorageError ? FAILURE_TYPES[error.kind] : undefined;
  if (type) {
    return ApplicationFailure.create({
      type,
      message: (error as StorageError).message,
      nonRetryable: true,
      cause: error as StorageError,
    });
  }
  // Disk full, permissions, I/O errors, an unreachable bucket: worth another attempt.
  return error;
}
