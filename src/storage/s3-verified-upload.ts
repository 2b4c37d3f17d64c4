import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StorageError } from './video-storage.js';

/** 8 MiB parts: few requests for a typical 5-30 MB video, bounded memory (queue of 4). */
const PART_SIZE = 8 * 1024 * 1024;

export interface VerifiedUploadInput {
  client: S3Client;
  bucket: string;
  key: string;
  /** Local file to upload. */
  path: string;
  sha256: string;
  bytes: number;
  contentType: string;
  metadata?: Record<string, string>;
}

/**
 * Hashes and counts the bytes passing through; the stream ends only if they match. lib-storage
 * completes a multipart upload (or sends the single PUT) only after its body ended, so an error
 * raised here means the object never becomes visible and the multipart upload is aborted.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private seen = 0;

  constructor(
    private readonly expectedSha256: string,
    private readonly expectedBytes: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.byteLength;
    if (this.seen > this.expectedBytes) {
      callback(mismatch(`${this.what} has more than the expected ${this.expectedBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (this.seen !== this.expectedBytes) {
      callback(mismatch(`${this.what} has ${this.seen} bytes, expected ${this.expectedBytes}`));
    } else if (actual !== this.expectedSha256) {
      callback(mismatch(`${this.what} hashes to ${actual}, expected ${this.expectedSha256}`));
    } else {
      callback();
    }
  }
}

function mismatch(message: string): StorageError {
  return new StorageError('checksum-mismatch', message);
}

/**
 * Streams a local file into the bucket with a multipart upload while hashing it, and completes
 * the upload only when size and sha256 match: a crash or a mismatch leaves no object at `key`,
 * only an incomplete multipart upload that `abortStaleUploads` (or a bucket lifecycle rule)
 * removes. `If-None-Match: *` keeps a concurrent commit from silently replacing an object;
 * returns false when the key already existed.
 */
export async function uploadVerified(input: VerifiedUploadInput): Promise<boolean> {
  const source = createReadStream(input.path);
  const verifier = new VerifyingStream(input.sha256, input.bytes, input.path);
  source.on('error', (error) => verifier.destroy(error));
  const upload = new Upload({
    client: input.client,
    partSize: PART_SIZE,
    queueSize: 4,
    leavePartsOnError: false,
    params: {
      Bucket: input.bucket,
      Key: input.key,
      Body: source.pipe(verifier),
      ContentType: input.contentType,
      ...(input.metadata ? { Metadata: input.metadata } : {}),
      IfNoneMatch: '*',
    },
  });
  try {
    await upload.done();
    return true;
  } catch (error) {
    if (isPreconditionFailed(error)) return false;
    throw error;
  } finally {
    source.destroy();
  }
}

/**
 * Aborts the incomplete multipart uploads of exactly `key`, left by an attempt that died mid-
 * transfer. Only the commit of that key writes it, and an attempt starts only after the previous
 * one ended or timed out, so nothing live is aborted.
 */
export async function abortStaleUploads(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client
      .send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: key,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      )
      .catch((error: unknown) => {
        // Some compatible servers (gofakes3) answer NoSuchUpload instead of an empty list for a
        // bucket that never had a multipart upload.
        if ((error as { name?: string })?.name === 'NoSuchUpload') return { Uploads: [] };
        throw error;
      });
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== key || !upload.UploadId) continue;
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }),
      );
      aborted++;
    }
    if (!('IsTruncated' in page) || !page.IsTruncated) return aborted;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
    if (!keyMarker && !uploadIdMarker) return aborted;
  }
}

export function isPreconditionFailed(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status === 412 || (error as { name?: string })?.name === 'PreconditionFailed';
}

export function isNotFoundError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = (error as { name?: string })?.name;
  return status === 404 || name === 'NotFound' || name === 'NoSuchKey';
}
