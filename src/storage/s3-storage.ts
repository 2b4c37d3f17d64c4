import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  normaliseContentType,
  sidecarJson,
  sizeIfExists,
  stagedTempPath,
} from './filesystem-storage.js';
import { type S3Location, s3Uri, splitS3Uri } from './s3-location.js';
import { abortStaleUploads, isNotFoundError, uploadVerified } from './s3-verified-upload.js';
import {
  assertValidKey,
  type BlobReference,
  blobDigest,
  type CommitVideoInput,
  StorageError,
  type StoredBlob,
  type StoredVideo,
  type VideoSidecar,
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

/** Metadata key holding a video's or blob's sha256 (sent as `x-amz-meta-sha256`). */
const SHA256_METADATA = 'sha256';

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
  const { bucket, prefix } = location;
  const stagingDirectory = resolve(options.stagingDirectory);

  const objectKey = (name: string) => `${prefix}${name}`;
  const videoObjectKey = (key: string) => {
    assertValidKey(key);
    return objectKey(`${key}.mp4`);
  };
  const sidecarObjectKey = (key: string) => objectKey(`${key}.json`);
  const blobObjectKey = (reference: string) => objectKey(`.blobs/${blobDigest(reference)}`);
  const partialPath = (key: string) => {
    assertValidKey(key);
    return join(stagingDirectory, `${key}.mp4.part`);
  };

  const head = async (key: string): Promise<HeadObjectCommandOutput | undefined> => {
    try {
      return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (isNotFoundError(error)) return undefined;
      throw error;
    }
  };
  const getBytes = async (
    key: string,
  ): Promise<{ bytes: Uint8Array; type?: string } | undefined> => {
    try {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await response.Body?.transformToByteArray();
      return {
        bytes: bytes ?? new Uint8Array(),
        ...(response.ContentType ? { type: response.ContentType } : {}),
      };
    } catch (error) {
      if (isNotFoundError(error)) return undefined;
      throw error;
    }
  };
  const put = (key: string, body: string | Uint8Array, contentType: string, sha256?: string) =>
    client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...(sha256 ? { Metadata: { [SHA256_METADATA]: sha256 } } : {}),
      }),
    );
  const stored = (key: string, sidecar: VideoSidecar): StoredVideo => ({
    path: s3Uri(bucket, videoObjectKey(key)),
    sha256: sidecar.sha256,
    bytes: sidecar.bytes,
    sourceUrl: sidecar.sourceUrl,
  });

  /** The retry path: the video is already in the bucket; finish what a crashed attempt left. */
  const confirmExisting = async (input: CommitVideoInput): Promise<StoredVideo | undefined> => {
    const existing = await head(videoObjectKey(input.key));
    if (!existing) return undefined;
    const sha256 = existing.Metadata?.[SHA256_METADATA];
    if (sha256 !== input.sidecar.sha256) {
      throw new StorageError(
        'conflict',
        `a different video is already stored as ${s3Uri(bucket, videoObjectKey(input.key))} (sha256 ${sha256 ?? 'unknown'}, expected ${input.sidecar.sha256})`,
      );
    }
    if (!(await head(sidecarObjectKey(input.key)))) {
      await put(sidecarObjectKey(input.key), sidecarJson(input.sidecar), 'application/json');
    }
    await rm(input.tempPath, { force: true });
    return stored(input.key, input.sidecar);
  };

  return {
    location,
    videoObjectKey,
    partialPath,

    async commitVideo(input: CommitVideoInput): Promise<StoredVideo> {
      const key = videoObjectKey(input.key);
      const tempPath = stagedTempPath(stagingDirectory, input.tempPath);
      const already = await confirmExisting({ ...input, tempPath });
      if (already) return already;
      const size = await sizeIfExists(tempPath);
      if (size === undefined) {
        throw new StorageError(
          'missing-temp',
          `neither the downloaded file ${tempPath} nor a stored video ${s3Uri(bucket, key)} exists; download it again`,
        );
      }
      await abortStaleUploads(client, bucket, key);
      const placed = await uploadVerified({
        client,
        bucket,
        key,
        path: tempPath,
        sha256: input.sidecar.sha256,
        bytes: input.sidecar.bytes,
        contentType: 'video/mp4',
        metadata: { [SHA256_METADATA]: input.sidecar.sha256 },
      });
      if (!placed) {
        // Another commit of the same key won the race: apply the retry rules to what it stored.
        const raced = await confirmExisting({ ...input, tempPath });
        if (raced) return raced;
      }
      await put(sidecarObjectKey(input.key), sidecarJson(input.sidecar), 'application/json');
      await rm(tempPath, { force: true });
      return stored(input.key, input.sidecar);
    },

    async removePartial(key: string): Promise<void> {
      await rm(partialPath(key), { force: true });
      await abortStaleUploads(client, bucket, videoObjectKey(key));
    },

    async putBlob(bytes: Uint8Array, contentType: string): Promise<BlobReference> {
      const digest = createHash('sha256').update(bytes).digest('hex');
      const reference: BlobReference = `blob:sha256:${digest}`;
      const key = blobObjectKey(reference);
      // Content-addressed: an object of the right size under this digest holds these bytes.
      if ((await head(key))?.ContentLength !== bytes.byteLength) {
        await put(key, bytes, normaliseContentType(contentType), digest);
      }
      return reference;
    },

    async readBlob(reference: string): Promise<StoredBlob> {
      const digest = blobDigest(reference);
      const found = await getBytes(blobObjectKey(reference));
      if (!found) {
        throw new StorageError(
          'blob-not-found',
          `no blob ${reference} in ${s3Uri(bucket, prefix)}`,
        );
      }
      const actual = createHash('sha256').update(found.bytes).digest('hex');
      if (actual !== digest) {
        throw new StorageError(
          'checksum-mismatch',
          `blob ${reference} is corrupt: its content hashes to ${actual}`,
        );
      }
      return { bytes: found.bytes, contentType: found.type ?? 'application/octet-stream' };
    },

    async writeDocument(name: string, text: string): Promise<string> {
      // A single PUT replaces an object atomically: readers see the old or the new manifest.
      await put(objectKey(name), text, documentType(name));
      return s3Uri(bucket, objectKey(name));
    },

    async readDocument(where: string): Promise<string | undefined> {
      const found = await getBytes(ownKey(where));
      return found ? Buffer.from(found.bytes).toString('utf8') : undefined;
    },

    async blobUrl(reference: string, expiresInSeconds: number): Promise<string> {
      return presign(blobObjectKey(reference), expiresInSeconds);
    },

    async presignVideo(path: string, expiresInSeconds: number): Promise<string> {
      return presign(ownKey(path), expiresInSeconds);
    },
  };

  function presign(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: Math.max(1, Math.round(expiresInSeconds)),
    });
  }

  /** The object key of an `s3://` URI in this storage's bucket. */
  function ownKey(uri: string): string {
    const parts = splitS3Uri(uri);
    if (!parts || parts.bucket !== bucket) {
      throw new StorageError('invalid-key', `${uri.slice(0, 120)} is not in s3://${bucket}/`);
    }
    return parts.key;
  }
}

function documentType(name: string): string {
  if (name.endsWith('.jsonl')) return 'application/x-ndjson';
  if (name.endsWith('.json')) return 'application/json';
  return 'text/plain; charset=utf-8';
}
