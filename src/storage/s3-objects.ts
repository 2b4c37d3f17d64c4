import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isNotFoundError } from './s3-verified-upload.js';

/** Metadata key holding a video's or blob's sha256 (sent as `x-amz-meta-sha256`). */
export const SHA256_METADATA = 'sha256';

/** The few object calls the S3 storage makes on its bucket; a missing object is `undefined`. */
export interface S3Objects {
  head(key: string): Promise<HeadObjectCommandOutput | undefined>;
  getBytes(key: string): Promise<{ bytes: Uint8Array; type?: string } | undefined>;
  put(key: string, body: string | Uint8Array, contentType: string, sha256?: string): Promise<void>;
  presign(key: string, expiresInSeconds: number): Promise<string>;
}

export function s3Objects(client: S3Client, bucket: string): S3Objects {
  return {
    async head(key) {
      try {
        return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        if (isNotFoundError(error)) return undefined;
        throw error;
      }
    },
    async getBytes(key) {
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
    },
    async put(key, body, contentType, sha256) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ...(sha256 ? { Metadata: { [SHA256_METADATA]: sha256 } } : {}),
        }),
      );
    },
    presign(key, expiresInSeconds) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: Math.max(1, Math.round(expiresInSeconds)),
      });
    },
  };
}
