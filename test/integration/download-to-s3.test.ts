import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
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
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { DownloadProgress } from '../../src/activities/download-video.js';
import { createDownloadVideoToStorage } from '../../src/activities/download-video-to-storage.js';
import type { FakeProviderServer } from '../../src/simulated/fake-server.js';
import { createS3Client } from '../../src/storage/s3-location.js';
import type { S3Storage } from '../../src/storage/s3-storage.js';
import { createVideoStorage } from '../../src/storage/storage-factory.js';
import type { StoredVideo } from '../../src/storage/video-storage.js';
import { s3Environment } from '../setup/s3-server.js';
import { type DownloadServer, startDownloadServer } from '../support/download-server.js';

const KEY = 'job-s3-0';

/**
 * The download activity on two worker hosts that share a bucket and no disk: an attempt that
 * died while committing on host A is retried on host B (no staged file there) or on A again.
 * Either way one verified object appears and the dead attempt's multipart upload is aborted.
 */
describe('downloadVideoToStorage with S3 storage on two hosts', () => {
  let server: DownloadServer;
  let fake: FakeProviderServer;
  let dispatcher: Agent;
  let client: S3Client;
  let hostA: S3Storage;
  let hostB: S3Storage;
  let stagingA: string;
  let stagingB: string;

  beforeEach(async () => {
    server = await startDownloadServer('download-s3-test', { videoBytes: 7 * 1024 * 1024 });
    ({ fake, dispatcher } = server);
    const environment = s3Environment(inject('s3Endpoint'), `hosts/${randomUUID()}`);
    client = createS3Client(environment);
    stagingA = await mkdtemp(join(tmpdir(), 'klingflow-host-a-'));
    stagingB = await mkdtemp(join(tmpdir(), 'klingflow-host-b-'));
    hostA = createVideoStorage({ storageDirectory: stagingA }, environment) as S3Storage;
    hostB = createVideoStorage({ storageDirectory: stagingB }, environment) as S3Storage;
  });

  afterEach(async () => {
    await server.stop();
    await rm(stagingA, { recursive: true, force: true });
    await rm(stagingB, { recursive: true, force: true });
  });

  const objectKey = () => hostA.videoObjectKey(KEY);
  const bucket = () => hostA.location.bucket;
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const visible = () =>
    client.send(new HeadObjectCommand({ Bucket: bucket(), Key: objectKey() })).then(
      () => true,
      () => false,
    );
  const openUploads = async () =>
    (
      (
        await client.send(
          new ListMultipartUploadsCommand({ Bucket: bucket(), Prefix: objectKey() }),
        )
      ).Uploads ?? []
    ).filter((upload) => upload.Key === objectKey());

  /** What host A leaves when killed mid-commit: its staged file and a half-sent upload. */
  async function hostADiedMidCommit(): Promise<DownloadProgress> {
    const video = fake.videoBuffer;
    const staged = hostA.partialPath(KEY);
    await mkdir(dirname(staged), { recursive: true });
    await writeFile(staged, video);
    const upload = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket(), Key: objectKey() }),
    );
    await client.send(
      new UploadPartCommand({
        Bucket: bucket(),
        Key: objectKey(),
        UploadId: upload.UploadId,
        PartNumber: 1,
        Body: video.subarray(0, 5 * 1024 * 1024),
      }),
    );
    expect(await visible()).toBe(false);
    expect(await openUploads()).toHaveLength(1);
    return { offset: video.length, staged: { sha256: sha256(video), bytes: video.length } };
  }

  function retryOn(storage: S3Storage, heartbeat: DownloadProgress): Promise<StoredVideo> {
    const env = new MockActivityEnvironment(
      { heartbeatDetails: heartbeat, attempt: 2 },
      { logger: new DefaultLogger('ERROR') },
    );
    const activity = createDownloadVideoToStorage({
      storage,
      dispatcher,
      allowPrivateNetwork: true,
    });
    return env.run(activity, {
      url: `${fake.origin}/files/task-s3.mp4`,
      key: KEY,
      sidecar: { workflowId: 'job-s3' },
    }) as Promise<StoredVideo>;
  }

  async function expectOneVerifiedObject(stored: StoredVideo): Promise<void> {
    const video = fake.videoBuffer;
    expect(stored).toMatchObject({
      path: `s3://${bucket()}/${objectKey()}`,
      sha256: sha256(video),
      bytes: video.length,
    });
    const object = await client.send(new GetObjectCommand({ Bucket: bucket(), Key: objectKey() }));
    expect(sha256((await object.Body?.transformToByteArray()) ?? new Uint8Array())).toBe(
      sha256(video),
    );
    expect(await openUploads()).toEqual([]);
  }

  it('downloads again from zero on a host without the staged file, and stores one verified object', async () => {
    const heartbeat = await hostADiedMidCommit();

    const stored = await retryOn(hostB, heartbeat);

    const downloads = fake.requestsFor('download');
    expect(downloads).toHaveLength(1);
    expect(downloads[0]?.headers.range).toBeUndefined();
    await expectOneVerifiedObject(stored);
    // Nothing is left on host B's disk: the staged file went into the bucket and was removed.
    const left = await readdir(stagingB, { recursive: true, withFileTypes: true });
    expect(left.filter((entry) => entry.isFile()).map((entry) => entry.name)).toEqual([]);
  });

  it('commits the staged file without fetching it again on the host that staged it', async () => {
    const heartbeat = await hostADiedMidCommit();

    const stored = await retryOn(hostA, heartbeat);

    expect(fake.requestsFor('download')).toHaveLength(0);
    await expectOneVerifiedObject(stored);
  });
});
