import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import { prepareRequest } from '../../src/client/prepare-request.js';
import { ValidationError } from '../../src/errors.js';
import { createVideoStorage } from '../../src/storage/storage-factory.js';
import type { VideoStorage } from '../../src/storage/video-storage.js';
import { createKlingflowWorker, NativeConnection } from '../../src/worker.js';
import { s3Environment } from '../setup/s3-server.js';
import { mp4OfSeconds } from '../support/sample-videos.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

/**
 * Local input videos (issue 13): `--motion-video PATH` / `--reference-video PATH` are stored as
 * blobs in S3 and reach URL-only providers as presigned URLs; with local-disk storage they are
 * refused before anything is stored or submitted. Length and size are checked first.
 */

const IMAGE = 'https://images.example/dancer.png';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function issuesOf(error: unknown) {
  expect(error).toBeInstanceOf(ValidationError);
  expect(exitCodeFor(error)).toBe(2);
  return (error as ValidationError).issues;
}

describe('local input videos', () => {
  let context: IntegrationContext;
  let directory: string;
  let s3: NodeJS.ProcessEnv;
  let s3Storage: VideoStorage;
  const prefix = `videos/${randomUUID()}`;

  beforeAll(async () => {
    context = await createIntegrationContext({ providers: ['apimodels'], renderMs: 200 });
    directory = await mkdtemp(join(tmpdir(), 'klingflow-input-video-'));
    s3 = s3Environment(inject('s3Endpoint'), prefix);
    s3Storage = createVideoStorage({ storageDirectory: join(directory, 'unused') }, s3);
  });
  afterAll(async () => {
    await context?.teardown();
    await rm(directory, { recursive: true, force: true });
  });

  async function videoFile(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(directory, name);
    await writeFile(path, bytes);
    return path;
  }

  it('reaches apimodels as a presigned S3 URL that serves the file', async () => {
    const video = mp4OfSeconds(12);
    const path = await videoFile('dance.mp4', video);
    const workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createKlingflowWorker({
      connection: workerConnection,
      namespace: 'default',
      settings: context.settings,
      environment: { ...context.providers.environment, ...s3 },
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: s3Storage,
    });
    const status = await worker
      .runUntil(async () => {
        const { workflowId } = await client.startGeneration(
          { model: 'kling-motion-control', startImage: IMAGE, motionVideo: path },
          { providers: ['apimodels'] },
        );
        return client.waitForResult(workflowId);
      })
      .finally(() => workerConnection.close());

    expect(status.status).toBe('succeeded');
    const submit = context.providers.fakes.apimodels.requestsFor('submit')[0];
    const motionVideo = (submit?.json as { motion_video?: string } | undefined)?.motion_video;
    expect(motionVideo).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+X-Amz-Signature=/);
    const served = await fetch(motionVideo as string);
    expect(served.headers.get('content-type')).toBe('video/mp4');
    expect(sha256(new Uint8Array(await served.arrayBuffer()))).toBe(sha256(video));
  });

  it('is refused naming motionVideo, with no provider call, on local-disk storage', async () => {
    const path = await videoFile('disk.mp4', mp4OfSeconds(5));
    const before = context.providers.fakes.apimodels.requests.length;
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: createVideoStorage({ storageDirectory: join(directory, 'disk-store') }, {}),
    });
    const error = await client
      .startGeneration(
        { model: 'kling-motion-control', startImage: IMAGE, motionVideo: path },
        { providers: ['apimodels'] },
      )
      .catch((caught: unknown) => caught);
    expect(issuesOf(error)).toEqual([
      expect.objectContaining({
        field: 'motionVideo',
        message: expect.stringContaining('needs S3 storage (KLINGFLOW_STORAGE=s3://…)'),
        allowed: expect.arrayContaining(['http(s) URL']),
      }),
    ]);
    expect(context.providers.fakes.apimodels.requests.length).toBe(before);
  });

  it.each([
    [
      'a motion video over 30 s',
      'motionVideo',
      () => mp4OfSeconds(31),
      /31 s long; it must be 3–30 s/,
    ],
    [
      'a motion video under 3 s',
      'motionVideo',
      () => mp4OfSeconds(2),
      /2 s long; it must be 3–30 s/,
    ],
    ['a reference video over 10 s', 'referenceVideo', () => mp4OfSeconds(11), /3–10 s/],
    [
      'a file that is not a video',
      'motionVideo',
      () => Buffer.from('not a video'),
      /not an MP4 or MOV/,
    ],
  ] as const)('refuses %s before storing it', async (_what, field, bytes, message) => {
    const path = await videoFile(`${randomUUID()}.mp4`, bytes());
    const request = { model: 'kling-motion-control', startImage: IMAGE, [field]: path } as const;
    const error = await prepareRequest(request, s3Storage).catch((caught: unknown) => caught);
    expect(issuesOf(error)).toEqual([
      expect.objectContaining({ field, message: expect.stringMatching(message) }),
    ]);
  });

  it('refuses a motion video over 100 MB by its size, without reading it', async () => {
    const path = join(directory, 'huge.mp4');
    await writeFile(path, '');
    // A sparse file: its size says 100 MB + 1 byte without writing them.
    await truncate(path, 100 * 1024 * 1024 + 1);
    const request = {
      model: 'kling-motion-control',
      startImage: IMAGE,
      motionVideo: path,
    } as const;
    const error = await prepareRequest(request, s3Storage).catch((caught: unknown) => caught);
    expect(issuesOf(error)).toEqual([
      expect.objectContaining({ field: 'motionVideo', allowed: ['at most 100 MB'] }),
    ]);
  });

  it('stores a 10 s reference video as a video/mp4 blob', async () => {
    const video = mp4OfSeconds(10);
    const path = await videoFile('reference.mp4', video);
    const prepared = await prepareRequest(
      { model: 'kling-o1', prompt: 'snow falls', referenceVideo: path },
      s3Storage,
    );
    expect(prepared.referenceVideo).toBe(`blob:sha256:${sha256(video)}`);
    const blob = await s3Storage.readBlob(prepared.referenceVideo as string);
    expect(blob.contentType).toBe('video/mp4');
  });
});
