import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  assertBlobDigest,
  normaliseContentType,
  sha256Hex,
  sidecarJson,
  sizeIfExists,
  stagedTempPath,
  writableDirectory,
} from './local-files.js';
import { type S3Location, s3Uri, splitS3Uri } from './s3-location.js';
import { type S3Objects, SHA256_METADATA, s3Objects } from './s3-objects.js';
import { abortStaleUploads, uploadVerified } from './s3-verified-upload.js';
import {
  assertValidKey,
  blobDigest,
  type CommitVideoInput,
  StorageError,
  type StoredVideo,
  type VideoStorage,
} from './video-storage.js';

export interface S3StorageOptions {
  client: S3Client;
  location: S3Location;
  /** The worker's own local directory for downloads in progress (never shared). */
  stagingDirectory: string;
}

export interface S3Storage extends VideoStorage {
  readonly location: S3Location;
  /** The object key of a video (`<prefix><key>.mp4`). */
  videoObjectKey(key: string): string;
  writeDocument(name: string, text: string): Promise<string>;
  readDocument(location: string): Promise<string | undefined>;
  blobUrl(reference: string, expiresInSeconds: number): Promise<string>;
  presignVideo(path: string, expiresInSeconds: number): Promise<string>;
}

/** The bucket, its objects, the key layout and the local staging directory. */
interface Bucket {
  client: S3Client;
  name: string;
  prefix: string;
  objects: S3Objects;
  stagingDirectory: string;
}

/**
 * Layout in the bucket, mirroring the filesystem storage:
 *   <prefix><key>.mp4, <prefix><key>.json    finished videos and their sidecars
 *   <prefix>.blobs/<sha256>                   content-addressed image blobs (type as Content-Type)
 *   <prefix>batches/<batchId>.jsonl           batch manifests
 * Downloads stage on the worker's local disk (resumable with Range); the commit streams the file
 * into the bucket while hashing it and completes the upload only once it verified.
 */
export function createS3Storage(options: S3StorageOptions): S3Storage {
  const { client, location } = options;
  const bucket: Bucket = {
    client,
    name: location.bucket,
    prefix: location.prefix,
    objects: s3Objects(client, location.bucket),
    stagingDirectory: resolve(options.stagingDirectory),
  };
  const { objects } = bucket;
  const partialPath = (key: string) => {
    assertValidKey(key);
    return join(bucket.stagingDirectory, `${key}.mp4.part`);
  };
  return {
    async checkWritable() {
      await client.send(new HeadBucketCommand({ Bucket: bucket.name })).catch((error: unknown) => {
        throw new Error(`s3://${bucket.name}: ${bucketProblem(error)}`, { cause: error });
      });
      await writableDirectory(bucket.stagingDirectory);
    },
    location,
    videoObjectKey: (key) => videoObjectKey(bucket, key),
    partialPath,
    commitVideo: (input) => commitVideo(bucket, input),
    async storedVideoPath(key) {
      const objectKey = videoObjectKey(bucket, key);
      return (await objects.head(objectKey)) ? s3Uri(bucket.name, objectKey) : undefined;
    },
    async storedVideoDigest(key) {
      const head = await objects.head(videoObjectKey(bucket, key));
      const sha256 = head?.Metadata?.[SHA256_METADATA];
      // Only klingflow's own commit writes the digest: an object without it is not adopted.
      if (!sha256 || head?.ContentLength === undefined) return undefined;
      const sidecar = await objects.getBytes(sidecarObjectKey(bucket, key));
      return {
        sha256,
        bytes: head.ContentLength,
        ...(sidecar
          ? {
              sidecar: JSON.parse(Buffer.from(sidecar.bytes).toString('utf8')) as Record<
                string,
                unknown
              >,
            }
          : {}),
      };
    },
    async removePartial(key: string): Promise<void> {
      await rm(partialPath(key), { force: true });
      await abortStaleUploads(client, bucket.name, videoObjectKey(bucket, key));
    },
    putBlob: (bytes, contentType) => putBlob(bucket, bytes, contentType),
    readBlob: (reference) => readBlob(bucket, reference),
    async writeDocument(name: string, text: string): Promise<string> {
      // A single PUT replaces an object atomically: readers see the old or the new manifest.
      await objects.put(bucket.prefix + name, text, documentType(name));
      return s3Uri(bucket.name, bucket.prefix + name);
    },
    async readDocument(where: string): Promise<string | undefined> {
      const found = await objects.getBytes(ownKey(bucket, where));
      return found ? Buffer.from(found.bytes).toString('utf8') : undefined;
    },
    blobUrl: (reference, expiresInSeconds) =>
      objects.presign(blobObjectKey(bucket, reference), expiresInSeconds),
    presignVideo: (path, expiresInSeconds) =>
      objects.presign(ownKey(bucket, path), expiresInSeconds),
  };
}

/** HeadBucket answers without a body, so its errors say little: the status says more. */
function bucketProblem(error: unknown): string {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 404) return 'the bucket does not exist';
  if (status === 403) return 'access denied (check the credentials and the bucket policy)';
  if (status === 301) return 'the bucket is in another region (set AWS_REGION to it)';
  return error instanceof Error ? error.message : String(error);
}

function videoObjectKey(bucket: Bucket, key: string): string {
  assertValidKey(key);
  return `${bucket.prefix}${key}.mp4`;
}

function sidecarObjectKey(bucket: Bucket, key: string): string {
  return `${bucket.prefix}${key}.json`;
}

function blobObjectKey(bucket: Bucket, reference: string): string {
  return `${bucket.prefix}.blobs/${blobDigest(reference)}`;
}

/** Streams the verified download into the bucket, then writes its sidecar. */
async function commitVideo(bucket: Bucket, input: CommitVideoInput): Promise<StoredVideo> {
  const key = videoObjectKey(bucket, input.key);
  const tempPath = stagedTempPath(bucket.stagingDirectory, input.tempPath);
  const already = await confirmExisting(bucket, { ...input, tempPath });
  if (already) return already;
  const size = await sizeIfExists(tempPath);
  if (size === undefined) {
    throw new StorageError(
      'missing-temp',
      `neither the downloaded file ${tempPath} nor a stored video ${s3Uri(bucket.name, key)} exists; download it again`,
    );
  }
  await abortStaleUploads(bucket.client, bucket.name, key);
  const placed = await uploadVerified({
    client: bucket.client,
    bucket: bucket.name,
    key,
    path: tempPath,
    sha256: input.sidecar.sha256,
    bytes: input.sidecar.bytes,
    contentType: 'video/mp4',
    metadata: { [SHA256_METADATA]: input.sidecar.sha256 },
  });
  if (!placed) {
    // Another commit of the same key won the race: apply the retry rules to what it stored.
    const raced = await confirmExisting(bucket, { ...input, tempPath });
    if (raced) return raced;
  }
  await putSidecar(bucket, input);
  await rm(tempPath, { force: true });
  return stored(bucket, input);
}

/** The retry path: the video is already in the bucket; finish what a crashed attempt left. */
async function confirmExisting(
  bucket: Bucket,
  input: CommitVideoInput,
): Promise<StoredVideo | undefined> {
  const key = videoObjectKey(bucket, input.key);
  const existing = await bucket.objects.head(key);
  if (!existing) return undefined;
  const sha256 = existing.Metadata?.[SHA256_METADATA];
  if (sha256 !== input.sidecar.sha256) {
    throw new StorageError(
      'conflict',
      `a different video is already stored as ${s3Uri(bucket.name, key)} (sha256 ${sha256 ?? 'unknown'}, expected ${input.sidecar.sha256})`,
    );
  }
  if (!(await bucket.objects.head(sidecarObjectKey(bucket, input.key)))) {
    await putSidecar(bucket, input);
  }
  await rm(input.tempPath, { force: true });
  return stored(bucket, input);
}

function putSidecar(bucket: Bucket, input: CommitVideoInput): Promise<void> {
  const key = sidecarObjectKey(bucket, input.key);
  return bucket.objects.put(key, sidecarJson(input.sidecar), 'application/json');
}

function stored(bucket: Bucket, { key, sidecar }: CommitVideoInput): StoredVideo {
  return {
    path: s3Uri(bucket.name, videoObjectKey(bucket, key)),
    sha256: sidecar.sha256,
    bytes: sidecar.bytes,
    sourceUrl: sidecar.sourceUrl,
  };
}

async function putBlob(
  bucket: Bucket,
  bytes: Uint8Array,
  contentType: string,
): Promise<`blob:sha256:${string}`> {
  const digest = sha256Hex(bytes);
  const reference = `blob:sha256:${digest}` as const;
  const key = blobObjectKey(bucket, reference);
  // Content-addressed: an object of the right size under this digest holds these bytes.
  if ((await bucket.objects.head(key))?.ContentLength !== bytes.byteLength) {
    await bucket.objects.put(key, bytes, normaliseContentType(contentType), digest);
  }
  return reference;
}

/** The blob's bytes, verified against its digest, and its Content-Type. */
async function readBlob(bucket: Bucket, reference: string) {
  const digest = blobDigest(reference);
  const found = await bucket.objects.getBytes(blobObjectKey(bucket, reference));
  if (!found) {
    throw new StorageError(
      'blob-not-found',
      `no blob ${reference} in ${s3Uri(bucket.name, bucket.prefix)}`,
    );
  }
  assertBlobDigest(reference, digest, found.bytes);
  return { bytes: found.bytes, contentType: found.type ?? 'application/octet-stream' };
}

/** The object key of an `s3://` URI in this storage's bucket. */
function ownKey(bucket: Bucket, uri: string): string {
  const parts = splitS3Uri(uri);
  if (!parts || parts.bucket !== bucket.name) {
    throw new StorageError('invalid-key', `${uri.slice(0, 120)} is not in s3://${bucket.name}/`);
  }
  return parts.key;
}

function documentType(name: string): string {
  if (name.endsWith('.jsonl')) return 'application/x-ndjson';
  if (name.endsWith('.json')) return 'application/json';
  return 'text/plain; charset=utf-8';
}
