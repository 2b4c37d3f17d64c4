import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createWriteBatchManifest } from '../../src/activities/write-manifest.js';
import { mp4Bytes } from '../../src/simulated/sample-video.js';
import { createS3Client, splitS3Uri } from '../../src/storage/s3-location.js';
import type { S3Storage } from '../../src/storage/s3-storage.js';
import { createVideoStorage } from '../../src/storage/storage-factory.js';
import {
  StorageError,
  type VideoSidecar,
  type VideoStorage,
} from '../../src/storage/video-storage.js';
import { s3Environment } from '../setup/s3-server.js';

/**
 * The VideoStorage contract, run against both storages through the same factory the worker and
 * client use: the local directory (default) and S3 on the run's gofakes3 server.
 */

interface Fixture {
  storage: VideoStorage;
  /** The bytes stored at a video's `path`, or undefined when nothing is visible there. */
  readStored(path: string): Promise<Uint8Array | undefined>;
  pathPattern: RegExp;
  /** The S3 fixture's own client, for looking behind the storage's back. */
  client?: S3Client;
}

let workDirectory: string;
beforeAll(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), 'klingflow-storage-contract-'));
});
afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

async function filesystemFixture(): Promise<Fixture> {
  const directory = join(workDirectory, randomUUID());
  return {
    storage: createVideoStorage({ storageDirectory: directory }, {}),
    readStored: async (path) =>
      existsSync(path) ? new Uint8Array(await readFile(path)) : undefined,
    pathPattern: new RegExp(`^${directory}/`),
  };
}

async function s3Fixture(): Promise<Fixture> {
  const prefix = `contract/${randomUUID()}`;
  const environment = s3Environment(inject('s3Endpoint'), prefix);
  const client = createS3Client(environment);
  const storage = createVideoStorage(
    { storageDirectory: join(workDirectory, randomUUID()) },
    environment,
  );
  return {
    storage,
    client,
    readStored: async (path) => {
      const location = splitS3Uri(path);
      if (!location) throw new Error(`not an s3 URI: ${path}`);
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
        );
        return await response.Body?.transformToByteArray();
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    pathPattern: new RegExp(`^s3://klingflow-test/${prefix}/`),
  };
}

/** A distinct well-formed MP4 per size (the sample, padded by `extra` bytes). */
function video(extra: number): Buffer {
  return mp4Bytes(mp4Bytes().length + 8 + extra);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sidecarFor(bytes: Uint8Array, extra: Record<string, unknown> = {}): VideoSidecar {
  return {
    sha256: sha256(bytes),
    bytes: bytes.byteLength,
    sourceUrl: 'https://cdn.example/video.mp4',
    storedAt: '2025-01-01T00:00:00.000Z',
    ...extra,
  };
}

async function stage(storage: VideoStorage, key: string, bytes: Uint8Array): Promise<string> {
  const tempPath = storage.partialPath(key);
  await mkdir(dirname(tempPath), { recursive: true });
  await writeFile(tempPath, bytes);
  return tempPath;
}

describe.each([
  ['filesystem', filesystemFixture],
  ['s3', s3Fixture],
])('%s storage contract', (_name, makeFixture) => {
  let fixture: Fixture;
  beforeEach(async () => {
    fixture = await makeFixture();
  });

  it('commits a verified video and its sidecar, and removes the staged file', async () => {
    const bytes = video(4096);
    const tempPath = await stage(fixture.storage, 'job-1', bytes);
    const stored = await fixture.storage.commitVideo({
      tempPath,
      key: 'job-1',
      sidecar: sidecarFor(bytes, { workflowId: 'job-1' }),
    });
    expect(stored).toMatchObject({ sha256: sha256(bytes), bytes: bytes.byteLength });
    expect(stored.path).toMatch(fixture.pathPattern);
    expect(stored.path).toMatch(/job-1\.mp4$/);
    expect(Buffer.from((await fixture.readStored(stored.path)) ?? [])).toEqual(bytes);
    const sidecar = await fixture.readStored(stored.path.replace(/\.mp4$/, '.json'));
    expect(JSON.parse(Buffer.from(sidecar ?? []).toString())).toMatchObject({
      workflowId: 'job-1',
      sha256: sha256(bytes),
    });
    expect(existsSync(tempPath)).toBe(false);
  });

  it('says where a video is already stored under a key, with its digest, and nothing for a free one', async () => {
    expect(await fixture.storage.storedVideoPath('job-2')).toBeUndefined();
    const bytes = video(1024);
    const stored = await fixture.storage.commitVideo({
      tempPath: await stage(fixture.storage, 'job-2', bytes),
      key: 'job-2',
      sidecar: sidecarFor(bytes),
    });
    expect(await fixture.storage.storedVideoPath('job-2')).toBe(stored.path);
    expect(await fixture.storage.storedVideoDigest('job-2')).toEqual({
      sha256: sha256(bytes),
      bytes: bytes.byteLength,
      sidecar: expect.objectContaining({ sha256: sha256(bytes) }),
    });
    // A staged download is not a stored video.
    await stage(fixture.storage, 'job-3', bytes);
    expect(await fixture.storage.storedVideoPath('job-3')).toBeUndefined();
    expect(await fixture.storage.storedVideoDigest('job-3')).toBeUndefined();
  });

  it('commits again without change after an attempt that crashed before reporting', async () => {
    const bytes = video(2048);
    const input = {
      tempPath: await stage(fixture.storage, 'again', bytes),
      key: 'again',
      sidecar: sidecarFor(bytes),
    };
    const first = await fixture.storage.commitVideo(input);
    const second = await fixture.storage.commitVideo(input);
    expect(second).toEqual(first);
  });

  it('refuses to replace a different video stored under the same key', async () => {
    const bytes = video(2048);
    await fixture.storage.commitVideo({
      tempPath: await stage(fixture.storage, 'taken', bytes),
      key: 'taken',
      sidecar: sidecarFor(bytes),
    });
    const other = video(3000);
    const error = await fixture.storage
      .commitVideo({
        tempPath: await stage(fixture.storage, 'taken', other),
        key: 'taken',
        sidecar: sidecarFor(other),
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).kind).toBe('conflict');
  });

  it('never makes a file that does not match its sha256 visible', async () => {
    const bytes = video(4096);
    const tempPath = await stage(fixture.storage, 'corrupt', bytes);
    const wrong = { ...sidecarFor(bytes), sha256: sha256(video(10)) };
    const error = await fixture.storage
      .commitVideo({ tempPath, key: 'corrupt', sidecar: wrong })
      .catch((caught: unknown) => caught);
    expect((error as StorageError).kind).toBe('checksum-mismatch');
    const good = await fixture.storage.commitVideo({
      tempPath,
      key: 'corrupt',
      sidecar: sidecarFor(bytes),
    });
    // The failed commit left nothing behind: the retry with the right hash stores normally.
    expect(Buffer.from((await fixture.readStored(good.path)) ?? [])).toEqual(bytes);
  });

  it('reports a missing download as missing-temp', async () => {
    const bytes = video(100);
    const error = await fixture.storage
      .commitVideo({
        tempPath: fixture.storage.partialPath('gone'),
        key: 'gone',
        sidecar: sidecarFor(bytes),
      })
      .catch((caught: unknown) => caught);
    expect((error as StorageError).kind).toBe('missing-temp');
  });

  it('stores image blobs content-addressed and reads them back verified', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const reference = await fixture.storage.putBlob(png, 'image/png');
    expect(reference).toBe(`blob:sha256:${sha256(png)}`);
    expect(await fixture.storage.putBlob(png, 'image/png')).toBe(reference);
    const blob = await fixture.storage.readBlob(reference);
    expect(Buffer.from(blob.bytes)).toEqual(png);
    expect(blob.contentType).toBe('image/png');
    const missing = await fixture.storage
      .readBlob(`blob:sha256:${sha256(Buffer.from('nothing'))}`)
      .catch((caught: unknown) => caught);
    expect((missing as StorageError).kind).toBe('blob-not-found');
  });

  it('writes batch manifests with each video described from its sidecar', async () => {
    const bytes = video(1500);
    const stored = await fixture.storage.commitVideo({
      tempPath: await stage(fixture.storage, 'item-1', bytes),
      key: 'item-1',
      sidecar: sidecarFor(bytes),
    });
    const directory = join(workDirectory, randomUUID(), 'batches');
    const write = createWriteBatchManifest({ directory, storage: fixture.storage });
    const result = await write({
      batchId: 'batch-1',
      items: [{ id: 'item-1', status: 'succeeded', videos: [stored.path] }],
    } as unknown as Parameters<typeof write>[0]);
    const manifest = (await fixture.readStored(result.path)) ?? new Uint8Array();
    const line = JSON.parse(Buffer.from(manifest).toString().trim());
    expect(line).toMatchObject({
      batchId: 'batch-1',
      videos: [{ path: stored.path, sha256: sha256(bytes), bytes: bytes.byteLength }],
    });
  });
});

describe('s3 storage in particular', () => {
  let storage: S3Storage;
  let client: S3Client;
  let bucket: string;
  beforeEach(async () => {
    const fixture = await s3Fixture();
    storage = fixture.storage as S3Storage;
    client = fixture.client as S3Client;
    bucket = storage.location.bucket;
  });

  const uploadsOf = async (key: string) =>
    (
      (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key })))
        .Uploads ?? []
    ).filter((upload) => upload.Key === key);
  const exists = (key: string) =>
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );

  it('streams a large video as a multipart upload and leaves no upload open', async () => {
    const bytes = video(17 * 1024 * 1024);
    const stored = await storage.commitVideo({
      tempPath: await stage(storage, 'large', bytes),
      key: 'large',
      sidecar: sidecarFor(bytes),
    });
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: storage.videoObjectKey('large') }),
    );
    expect(head.ContentLength).toBe(bytes.byteLength);
    expect(head.Metadata?.sha256).toBe(sha256(bytes));
    expect(stored.path).toBe(`s3://${bucket}/${storage.videoObjectKey('large')}`);
    expect(await uploadsOf(storage.videoObjectKey('large'))).toEqual([]);
  });

  it('aborts a multipart upload that fails verification: no object, no upload left', async () => {
    const bytes = video(17 * 1024 * 1024);
    const tempPath = await stage(storage, 'bad-large', bytes);
    const error = await storage
      .commitVideo({
        tempPath,
        key: 'bad-large',
        sidecar: { ...sidecarFor(bytes), sha256: sha256(Buffer.from('other')) },
      })
      .catch((caught: unknown) => caught);
    expect((error as StorageError).kind).toBe('checksum-mismatch');
    const key = storage.videoObjectKey('bad-large');
    expect(await exists(key)).toBe(false);
    expect(await uploadsOf(key)).toEqual([]);
  });

  it('restarts cleanly after a worker died mid-upload, aborting the stale upload', async () => {
    const bytes = video(9 * 1024 * 1024);
    const key = storage.videoObjectKey('crashed');
    // What a killed worker leaves: an upload with one part sent and never completed.
    const stale = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: stale.UploadId,
        PartNumber: 1,
        Body: bytes.subarray(0, 5 * 1024 * 1024),
      }),
    );
    expect(await exists(key)).toBe(false);
    expect(await uploadsOf(key)).toHaveLength(1);

    const stored = await storage.commitVideo({
      tempPath: await stage(storage, 'crashed', bytes),
      key: 'crashed',
      sidecar: sidecarFor(bytes),
    });
    expect(stored.bytes).toBe(bytes.byteLength);
    expect(await uploadsOf(key)).toEqual([]);
  });

  it('presigns GET URLs for videos and blobs that plain HTTP clients can fetch', async () => {
    const bytes = video(1024);
    const stored = await storage.commitVideo({
      tempPath: await stage(storage, 'shared', bytes),
      key: 'shared',
      sidecar: sidecarFor(bytes),
    });
    const videoUrl = await storage.presignVideo(stored.path, 600);
    expect(videoUrl).toMatch(/X-Amz-Expires=600/);
    const response = await fetch(videoUrl);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);

    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const blobUrl = await storage.blobUrl(await storage.putBlob(png, 'image/png'), 600);
    const image = await fetch(blobUrl);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer())).toEqual(png);
  });
});
