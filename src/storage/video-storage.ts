/**
 * Where finished videos and image blobs live. The filesystem implementation is the default;
 * the S3 one (s3-storage.ts) implements the same interface. Downloads always stage on the
 * worker's local disk (`partialPath`), so only `commitVideo` and the blob and document calls
 * talk to a bucket.
 */
export interface VideoStorage {
  /**
   * Local staging file for a download. Deterministic per key, so a retry on another worker
   * process sharing the same disk finds the bytes an earlier attempt already fetched.
   */
  partialPath(key: string): string;
  /**
   * Moves a finished, verified download to its final place atomically, with its sidecar.
   * Idempotent: committing the same key and sha256 again succeeds without change, also after
   * the temp file was already moved by an attempt that crashed before reporting back.
   */
  commitVideo(input: CommitVideoInput): Promise<StoredVideo>;
  /**
   * Where a video is already stored under `key` (its path or `s3://` URI), if one is: a job
   * whose id was used before, by a run Temporal no longer holds, would pay and then find its
   * place taken.
   */
  storedVideoPath(key: string): Promise<string | undefined>;
  /**
   * The sha256 and size of the video stored under `key`, if one is (computed from the file, or
   * read from the object's metadata on S3), and its sidecar when it has one: a download whose
   * earlier attempt committed it, then died before reporting, finishes with it when its result
   * URL no longer answers.
   */
  storedVideoDigest(key: string): Promise<StoredVideoDigest | undefined>;
  removePartial(key: string): Promise<void>;
  /** Stores bytes content-addressed and returns `blob:sha256:<hex>`. */
  putBlob(bytes: Uint8Array, contentType: string): Promise<BlobReference>;
  /** Reads a blob back, verifying its hash. */
  readBlob(reference: string): Promise<StoredBlob>;
  /**
   * Stores a small text document (a batch manifest) atomically under `name` relative to the
   * storage root and returns where it is. Storages without it have manifests written to a local
   * directory by the caller.
   */
  writeDocument?(name: string, text: string): Promise<string>;
  /** Reads a document by the location this storage gave it (a video's sidecar); undefined if absent. */
  readDocument?(location: string): Promise<string | undefined>;
  /** A time-limited GET URL for a blob, for providers that take images only as URLs. */
  blobUrl?(reference: string, expiresInSeconds: number): Promise<string>;
  /** A time-limited GET URL for a stored video's `path` (`--presign`). */
  presignVideo?(path: string, expiresInSeconds: number): Promise<string>;
  /**
   * Throws, saying why, when videos cannot be stored here (no such bucket, access denied, a
   * directory that cannot be written): a worker checks before it takes jobs it would pay for
   * and then fail to store.
   */
  checkWritable(): Promise<void>;
}

export interface StoredVideoDigest {
  sha256: string;
  bytes: number;
  /** The sidecar written after the video; absent when its commit stopped in between. */
  sidecar?: Record<string, unknown>;
}

export interface StoredVideo {
  /** Absolute path of the video file, or its `s3://bucket/key` URI with S3 storage. */
  path: string;
  sha256: string;
  bytes: number;
  sourceUrl: string;
}

/**
 * Metadata written next to the video as `<key>.json`. The known fields describe the file;
 * callers add their own (workflow id, provider, model, prompt, cost…).
 */
export interface VideoSidecar {
  sha256: string;
  bytes: number;
  sourceUrl: string;
  /** ISO timestamp of the commit. */
  storedAt: string;
  [field: string]: unknown;
}

export interface CommitVideoInput {
  tempPath: string;
  key: string;
  sidecar: VideoSidecar;
}

export type BlobReference = `blob:sha256:${string}`;

export interface StoredBlob {
  bytes: Uint8Array;
  contentType: string;
}

export type StorageErrorKind =
  /** The key would not make a safe file name. */
  | 'invalid-key'
  /** The file to commit is not in this storage's staging directory. */
  | 'invalid-temp-path'
  /** Neither the temp file nor a matching final file exists: the download must run again. */
  | 'missing-temp'
  /** The file's content does not hash to the sha256 it was committed or referenced with. */
  | 'checksum-mismatch'
  /** A different video is already stored under this key. */
  | 'conflict'
  | 'invalid-blob-reference'
  | 'blob-not-found';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly kind: StorageErrorKind;

  constructor(kind: StorageErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.kind = kind;
  }
}

const BLOB_REFERENCE = /^blob:sha256:([0-9a-f]{64})$/;

export function isBlobReference(reference: string): reference is BlobReference {
  return BLOB_REFERENCE.test(reference);
}

/** The hex digest inside a blob reference; throws a typed error for anything else. */
export function blobDigest(reference: string): string {
  const match = BLOB_REFERENCE.exec(reference);
  if (!match?.[1]) {
    throw new StorageError(
      'invalid-blob-reference',
      `not a blob reference (expected blob:sha256:<64 hex digits>): ${reference.slice(0, 80)}`,
    );
  }
  return match[1];
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Keys become file names, so only a conservative character set is accepted. */
export function isValidStorageKey(key: string): boolean {
  return SAFE_KEY.test(key) && !key.includes('..');
}

export function assertValidKey(key: string): void {
  if (!isValidStorageKey(key)) {
    throw new StorageError(
      'invalid-key',
      `storage key must be 1-200 characters of [A-Za-z0-9._-], start with a letter or digit and contain no "..": ${JSON.stringify(key.slice(0, 80))}`,
    );
  }
}

/** The collision-free key of a job's video (shared with the workflow). */
export { videoStorageKey as storageKeyFor } from './storage-key.js';
